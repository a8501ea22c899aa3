"""Fragments every reader shares (dateline/server/pagecache.py ``fragment``): a story's rendered
thread and its comments as JSON are reused until the thread changes, and every change a reader
should see shows on the next request — with the whole-page cache off, as signed-in readers and
the page cache's misses get them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dateline.discussion import actions as discussion_actions
from dateline.discussion import targets
from dateline.discussion.invalidation import thread_gen
from dateline.discussion.models import Comment
from dateline.server import pagecache
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fragment_cache(settings) -> Iterator[None]:
    settings.DATELINE_PAGE_CACHE = False
    settings.DATELINE_FRAGMENT_CACHE = True
    caches["pages"].clear()
    yield
    caches["pages"].clear()


@pytest.fixture
def policy(home):
    return discussion_policy(mode="publish")


@pytest.fixture
def article(section):
    return make_article(section, title="The ferry runs again")


def _queries(client: Client, url: str) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(captured), response.content


def _thread_json(client: Client, article) -> dict:
    response = client.get("/comments/api/threads/", {"article": article.pk})
    assert response.status_code == HTTPStatus.OK
    return response.json()


def _bodies(data: dict) -> list[str]:
    found: list[str] = []
    stack = list(data["comments"])
    while stack:
        comment = stack.pop()
        found.append(comment["html"])
        stack.extend(comment["replies"])
    return found


def test_a_second_reader_gets_the_rendered_thread_without_its_queries(client, article, policy):
    comment = post_guest_comment(article, "The crossing takes ten minutes now.", policy=policy)
    post_guest_comment(article, "Five on a calm day.", policy=policy, parent=comment)
    for _ in range(2):  # the process's site snapshot, the story, the fragments
        client.get(article.url)
    first, _ = _queries(Client(), article.url)
    pagecache.bump(thread_gen(comment.thread_id))  # as a change to the thread would
    rebuilt, content = _queries(Client(), article.url)

    assert b"The crossing takes ten minutes" in content
    assert rebuilt - first == 2  # the top-level comments and their replies


def test_a_new_approved_comment_shows_on_the_next_request(client, article, home):
    held = discussion_policy(mode="hold_all")
    comment = post_guest_comment(article, "Tickets cost less than the bridge toll.", policy=held)
    client.get(article.url)
    assert b"Tickets cost less" not in client.get(article.url).content
    assert _bodies(_thread_json(client, article)) == []

    discussion_actions.set_status(
        comments=[comment], status=Comment.Status.APPROVED, moderator=None
    )

    assert b"Tickets cost less" in client.get(article.url).content
    assert any("Tickets cost less" in body for body in _bodies(_thread_json(client, article)))


def test_a_removed_comment_disappears_on_the_next_request(client, article, policy):
    comment = post_guest_comment(article, "The old pier is rotten.", policy=policy)
    assert b"The old pier" in client.get(article.url).content
    assert _bodies(_thread_json(client, article))

    discussion_actions.set_status(comments=[comment], status=Comment.Status.SPAM, moderator=None)

    assert b"The old pier" not in client.get(article.url).content
    assert _bodies(_thread_json(client, article)) == []


def test_a_moderators_and_an_authors_edits_show_on_the_next_request(client, article, policy):
    posted = discussion_actions.post_comment(
        target=targets.of_thread(discussion_actions.thread_for_article(article=article)),
        body="Two boats an hour.",
        policy=policy,
        meta=discussion_actions.RequestMeta(ip_address="192.0.2.7"),
        author=discussion_actions.Guest(name="Samir", email="samir@example.org"),
    )
    assert b"Two boats an hour" in client.get(article.url).content
    _thread_json(client, article)

    discussion_actions.edit_comment(
        comment=posted.comment, token=posted.edit_token, body="Three boats an hour.", policy=policy
    )
    assert b"Three boats an hour" in client.get(article.url).content
    assert any("Three boats" in body for body in _bodies(_thread_json(client, article)))

    discussion_actions.edit_by_moderator(
        comment=posted.comment, body="Four boats an hour.", policy=policy, moderator=None
    )
    assert b"Four boats an hour" in client.get(article.url).content
    assert any("Four boats" in body for body in _bodies(_thread_json(client, article)))


def test_a_signed_in_reader_sees_a_comment_posted_after_their_last_visit(client, article, policy):
    reader = User.objects.create_user("reader", password="pw-for-tests-only")
    client.force_login(reader)
    assert client.get(article.url).status_code == HTTPStatus.OK

    post_guest_comment(article, "The timetable is on the quay.", policy=policy)

    assert b"The timetable is on the quay" in client.get(article.url).content


def test_a_comment_on_one_story_leaves_the_other_storys_thread_cached(client, article, section):
    other = make_article(section, title="Bus fares rise")
    policy = discussion_policy(mode="publish")
    post_guest_comment(other, "Fares went up twice this year.", policy=policy)
    for _ in range(2):
        client.get(other.url)
    warm, _ = _queries(client, other.url)

    post_guest_comment(article, "Only the ferry story changes.", policy=policy)

    again, content = _queries(client, other.url)
    assert again == warm
    assert b"Fares went up twice" in content


def test_each_language_gets_its_own_rendering(client, article, policy):
    post_guest_comment(article, "A comment in any language.", policy=policy)
    english = client.get(article.url, headers={"accept-language": "en"}).content.decode()
    arabic = client.get(article.url, headers={"accept-language": "ar"}).content.decode()

    assert "Reply" in english
    assert 'class="comment__reply"' in arabic
    assert ">Reply<" not in arabic


def test_a_change_to_the_discussion_settings_rerenders_the_thread(client, article, policy):
    for n in range(3):
        post_guest_comment(article, f"Comment number {n}.", policy=policy)
    content = client.get(article.url).content.decode()
    assert content.index("Comment number 0") < content.index("Comment number 2")

    discussion_policy(mode="publish", order="newest")

    content = client.get(article.url).content.decode()
    assert content.index("Comment number 2") < content.index("Comment number 0")


def test_a_result_built_while_its_thread_changed_is_not_reused(article, policy):
    """The numbers are read before the database: a bump during the build makes the stored
    result stale at once."""
    thread = discussion_actions.thread_for_article(article=article)
    names = [thread_gen(thread.pk)]
    builds: list[int] = []

    def build() -> int:
        builds.append(1)
        if len(builds) == 1:
            pagecache.bump(*names)  # a writer commits while the first build reads
        return len(builds)

    assert pagecache.fragment("race", names, build) == 1
    assert pagecache.fragment("race", names, build) == 2
    assert pagecache.fragment("race", names, build) == 2


def test_with_the_fragment_cache_off_every_request_builds(settings):
    settings.DATELINE_FRAGMENT_CACHE = False
    calls: list[int] = []

    def build() -> int:
        calls.append(1)
        return len(calls)

    assert pagecache.fragment("off", ["gen:thread:1"], build) == 1
    assert pagecache.fragment("off", ["gen:thread:1"], build) == 2


def test_two_sites_sharing_a_page_tree_get_their_own_thread_order(client, article, home, settings):
    from wagtail.models import Site

    from dateline.discussion.models import DiscussionSettings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "second.example"]
    policy = discussion_policy(mode="publish")
    for n in range(3):
        post_guest_comment(article, f"Comment number {n}.", policy=policy)
    second = Site.objects.create(hostname="second.example", port=80, root_page=home)
    DiscussionSettings.objects.create(site=second, order="newest", mode="publish")

    first_site = client.get(article.url).content.decode()
    second_site = client.get(article.url, headers={"host": "second.example"}).content.decode()

    assert first_site.index("Comment number 0") < first_site.index("Comment number 2")
    assert second_site.index("Comment number 2") < second_site.index("Comment number 0")


# The story's own part of the page ---------------------------------------------------------


def _without_render_stamp(content: bytes) -> bytes:
    # The comment form's signed render time (the timing check) differs on every request.
    return re.sub(rb'name="rendered_at" value="[^"]*"', b"", content)


def test_a_second_reader_gets_the_story_part_without_its_queries(client, article, policy, settings):
    client.get(article.url)  # the process's site snapshot, and the fragments
    reused, reused_content = _queries(Client(), article.url)
    settings.DATELINE_FRAGMENT_CACHE = False
    built, built_content = _queries(Client(), article.url)

    assert (built, reused) == (4, 1)  # without its bylines, corrections and tags: the story
    assert _without_render_stamp(reused_content) == _without_render_stamp(built_content)


def test_a_published_edit_of_the_story_shows_on_the_next_request(client, article, policy):
    client.get(article.url)
    article.title = "The ferry runs again, twice a day"
    article.standfirst = "A second boat joins in the spring."
    article.save_revision().publish()

    content = client.get(article.url).content

    assert b"The ferry runs again, twice a day</h1>" in content
    assert b'content="A second boat joins in the spring."' in content


def test_a_draft_of_the_story_changes_nothing_readers_see(client, article, policy):
    client.get(article.url)
    article.title = "Not ready yet"
    article.save_revision()

    content = client.get(article.url).content

    assert b"The ferry runs again</h1>" in content
    assert b"Not ready yet" not in content


def test_a_renamed_author_shows_in_the_byline_on_the_next_request(client, article, policy):
    client.get(article.url)
    author = article.bylines.first().author
    author.name = "Hana Yousef"
    author.save()

    assert b">Hana Yousef</a>" in client.get(article.url).content


def test_each_language_gets_its_own_story_part(client, article, policy):
    def page(language: str) -> bytes:
        content = client.get(article.url, headers={"accept-language": language}).content
        return _without_render_stamp(content)

    english, arabic = page("en"), page("ar")

    assert page("en") == english
    assert page("ar") == arabic
    assert b'<html lang="en"' in english
    assert b'<html lang="ar"' in arabic


# The comment form ---------------------------------------------------------------------------


def _render_stamp(content: bytes) -> str:
    found = re.search(rb'name="rendered_at" value="([^"]*)"', content)
    assert found is not None
    return found.group(1).decode()


def test_the_blank_form_is_shared_but_each_reader_gets_their_own_render_stamp(article, policy):
    from dateline.discussion.forms import seconds_since_rendered

    first = _render_stamp(Client().get(article.url).content)
    time.sleep(0.01)
    second = _render_stamp(Client().get(article.url).content)

    assert first != second
    assert seconds_since_rendered(second) is not None  # signed and readable, not a placeholder


def test_a_reply_target_and_a_held_notice_never_reach_another_readers_form(article, policy):
    parent = post_guest_comment(article, "Which pier does it leave from?", name="Rana")
    client = Client()
    client.get(article.url)

    replying = client.get(article.url, {"replytocom": parent.pk}).content
    held = client.get(article.url, {"held": "1"}).content
    plain = Client().get(article.url).content

    assert b"Leave a Reply to <bdi>Rana</bdi>" in replying
    assert b'<p class="respond__notice">Your comment is awaiting moderation.</p>' in held
    heading = b'<span data-reply-heading data-default-heading="Leave a Reply">Leave a Reply</span>'
    assert heading in plain
    assert b'class="respond__notice"' not in plain
    assert f'name="parent" value="{parent.pk}"'.encode() in replying
    assert b'name="parent" value=""' in plain


def test_a_reader_with_a_session_gets_their_draft_and_others_the_blank_form(article, policy):
    from dateline.identity import session

    client = Client()
    client.get(article.url)
    browser_session = client.session
    browser_session[session.DRAFT_KEY] = {
        "path": article.url,
        "fields": {"body": "Half-written thought", "name": "Rana"},
    }
    browser_session.save()

    mine = client.get(article.url).content
    others = Client().get(article.url).content

    assert b"Half-written thought</textarea>" in mine
    assert b"Half-written thought" not in others


# Finding the story ----------------------------------------------------------------------------


def test_between_changes_a_story_is_found_and_shown_without_a_query(article, policy):
    post_guest_comment(article, "First!", policy=policy)
    for _ in range(2):  # the first request learns the address, the second keeps the story
        Client().get(article.url)

    queries, content = _queries(Client(), article.url)

    assert queries == 0
    assert b"First!" in content


def test_a_kept_story_sees_every_change_on_the_next_request(client, article, policy, section):
    for _ in range(3):
        client.get(article.url)

    post_guest_comment(article, "Seen at once.", policy=policy)
    assert b"Seen at once." in client.get(article.url).content
    assert (
        b"1 Comment" in client.get(article.url).content
        or b"1 comment" in client.get(article.url).content.lower()
    )

    article.title = "The ferry runs at night too"
    article.save_revision().publish()
    assert b"The ferry runs at night too</h1>" in client.get(article.url).content

    article.unpublish()
    assert client.get(article.url).status_code == HTTPStatus.NOT_FOUND


def test_a_moved_story_is_only_found_at_its_new_address(client, article, section, home, policy):
    from dateline.newsroom import actions as newsroom_actions

    old_url = article.url
    for _ in range(3):
        client.get(old_url)
    economy = newsroom_actions.create_section(parent=home, title="Economy")
    article.move(economy, pos="last-child")
    article.refresh_from_db()

    assert client.get(old_url).status_code != HTTPStatus.OK
    assert client.get(article.url).status_code == HTTPStatus.OK


def test_between_changes_the_thread_json_is_answered_without_a_query(article, policy):
    post_guest_comment(article, "Ten minutes, door to door.", policy=policy)
    _thread_json(Client(), article)

    with CaptureQueriesContext(connection) as captured:
        data = _thread_json(Client(), article)

    assert len(captured) == 0
    assert any("Ten minutes" in html for html in _bodies(data))


def test_a_kept_story_past_its_expiry_time_has_no_thread_json(article, policy):
    import datetime

    from django.utils import timezone

    article.expire_at = timezone.now() + datetime.timedelta(seconds=1)
    article.save_revision().publish()
    _thread_json(Client(), article)
    _thread_json(Client(), article)  # kept now
    time.sleep(1.1)

    response = Client().get("/comments/api/threads/", {"article": article.pk})

    assert response.status_code == HTTPStatus.NOT_FOUND


# Numbers read once per request, fragments kept per process --------------------------------


def test_a_request_reads_each_number_once_and_sees_its_own_bumps(db):
    name = thread_gen(424242)
    with pagecache.numbers_for_request():
        first = pagecache.read_numbers([name])[0]
        pagecache.generations().bump([name])  # another process's write, mid-request
        assert pagecache.read_numbers([name])[0] == first  # read once: the older number
        pagecache.bump(name)  # this request's own write
        assert pagecache.read_numbers([name])[0] > first + 1
    assert pagecache.read_numbers([name])[0] > first + 1


def test_a_requests_first_read_brings_the_kept_values_counters_along(db, monkeypatch):
    """The bans in force are kept per process under their counter, which every comment asks
    for: it comes with the request's first numbers (with Redis, the same round trip)."""
    store = pagecache.generations()
    reads: list[list[str]] = []

    class Counting:
        def read(self, names):  # type: ignore[no-untyped-def]
            reads.append(list(names))
            return store.read(names)

        def bump(self, names):  # type: ignore[no-untyped-def]
            store.bump(names)

    monkeypatch.setattr(pagecache, "generations", Counting)
    discussion_actions.active_bans()  # kept by this process from now on
    reads.clear()

    with pagecache.numbers_for_request():
        pagecache.read_numbers([pagecache.GEN_SITE])  # the site snapshot, first in a request
        discussion_actions.active_bans()

    assert len(reads) == 1
    assert discussion_actions.kept_bans.counter in reads[0]


def test_a_fragment_kept_by_the_process_is_checked_against_the_numbers(db):
    name = thread_gen(434343)
    builds: list[int] = []

    def build() -> str:
        builds.append(1)
        return f"built {len(builds)}"

    assert pagecache.fragment("kept-test", [name], build) == "built 1"
    # The shared copy gone: this process still has its own.
    caches["pages"].delete(pagecache.fragment_store_key("kept-test"))
    assert pagecache.fragment("kept-test", [name], build) == "built 1"
    pagecache.bump(name)
    assert pagecache.fragment("kept-test", [name], build) == "built 2"
    assert len(builds) == 2


# What a comment's POST keeps of its story -------------------------------------------------


def _post(article, body: str):  # type: ignore[no-untyped-def]
    return Client().post(
        "/comments/api/comments/",
        data={
            "thread": {"article": article.pk},
            "body": body,
            "name": "Samir",
            "email": "samir@example.org",
        },
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


@pytest.fixture
def open_policy(home):
    return discussion_policy(mode="publish", flood_seconds=0)


def test_between_changes_a_comment_finds_its_story_without_reading_the_story(article, open_policy):
    """Comments move the story's page number (its HTML shows them), not its own rows' number:
    a burst of comments reads the story once."""
    assert _post(article, "The first crossing.").status_code == HTTPStatus.CREATED

    with CaptureQueriesContext(connection) as captured:
        assert _post(article, "The second crossing.").status_code == HTTPStatus.CREATED

    statements = [q["sql"] for q in captured.captured_queries]
    assert not [sql for sql in statements if "newsroom_articlepage" in sql]
    # The thread is its own row, read fresh each time: a thread closed a moment ago is closed.
    assert [sql for sql in statements if sql.startswith("SELECT") and "discussion_thread" in sql]


def test_a_comment_sees_every_change_to_its_story_at_once(article, open_policy):
    assert _post(article, "Before the change.").status_code == HTTPStatus.CREATED

    # A moderator closes the thread.
    thread = article.discussion_thread
    thread.closed = True
    thread.save()
    assert _post(article, "Closed thread.").status_code == HTTPStatus.FORBIDDEN
    thread.closed = False
    thread.save()
    assert _post(article, "Open again.").status_code == HTTPStatus.CREATED

    # An editor publishes the story with comments off.
    article.comments_enabled = False
    article.save_revision().publish()
    assert _post(article, "Comments off.").status_code == HTTPStatus.FORBIDDEN

    # A script saves the live row directly (no publish): seen all the same.
    article.comments_enabled = True
    article.save()
    assert _post(article, "Comments on.").status_code == HTTPStatus.CREATED

    article.unpublish()
    assert _post(article, "Unpublished.").status_code == HTTPStatus.NOT_FOUND
