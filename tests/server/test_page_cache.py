"""The whole-page cache for anonymous readers (dateline/server/pagecache.py): what it stores,
whom it never serves, and that every change readers should see invalidates it at once.

The cache is off in tests by default; the ``page_cache`` fixture turns it on. Works with the
local-memory cache and, when REDIS_URL is set, with Redis (keys under a per-worker prefix)."""

from __future__ import annotations

import datetime
import os
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from dateline.discussion import actions as discussion_actions
from dateline.discussion import targets
from dateline.discussion.models import Comment, Commenter
from dateline.env import EnvError, get_frontend_cache
from dateline.newsroom import actions
from dateline.server import pagecache
from tests.factories import AuthorFactory, discussion_policy, make_article, post_guest_comment
from tests.servers import running_server, server_env


def _cookie_view(request: HttpRequest) -> HttpResponse:
    pagecache.depend_on(request, pagecache.GEN_LISTS)
    response = HttpResponse("<p>Hello</p>")
    response.set_cookie("seen", "1")
    return response


def _token_view(request: HttpRequest) -> HttpResponse:
    pagecache.depend_on(request, pagecache.GEN_LISTS)
    return HttpResponse('<input type="hidden" name="csrfmiddlewaretoken" value="x">')


def _plain_view(request: HttpRequest) -> HttpResponse:
    pagecache.depend_on(request, pagecache.GEN_LISTS)
    return HttpResponse(f"<p>{request.GET.get('n', '')}</p>")


_racing: list[bool] = []


def _racing_view(request: HttpRequest) -> HttpResponse:
    """The first time, something elsewhere changes while this page is being rendered."""
    pagecache.depend_on(request, pagecache.GEN_LISTS)
    if not _racing:
        _racing.append(True)
        pagecache.bump(pagecache.page_gen(999_999))
    return HttpResponse("<p>rendered</p>")


# The site's own URLs plus small views that exercise the refusals and the race.
urlpatterns = [
    path("test-race/", _racing_view),
    path("test-cookie/", _cookie_view),
    path("test-token/", _token_view),
    path("test-plain/", _plain_view),
    path("", include("dateline.urls")),
]


@pytest.fixture
def page_cache(settings, worker_id: str) -> Iterator[None]:
    settings.DATELINE_PAGE_CACHE = True
    settings.ROOT_URLCONF = __name__
    if "redis" in settings.CACHES["pages"]["BACKEND"].lower():
        # Several xdist workers may share one Redis database.
        prefix = f"{os.environ.get('DATELINE_CACHE_PREFIX', 'dateline')}-test-{worker_id}"
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "KEY_PREFIX": prefix},
            "pages": {**settings.CACHES["pages"], "KEY_PREFIX": prefix + ".pages"},
        }
    caches["pages"].clear()
    yield
    caches["pages"].clear()


@pytest.fixture
def article(section):
    return make_article(
        section,
        title="Water returns to the marshes",
        bylines=[AuthorFactory(name="Noor Saleh", slug="noor-saleh")],
        tags=["marshes"],
    )


def get(client: Client, url: str, **headers: str):
    return client.get(url, headers=headers)


def directives(response) -> set[str]:
    return {d.strip() for d in response["Cache-Control"].split(",")}


pytestmark = pytest.mark.usefixtures("page_cache")


# Hits -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_serves_an_anonymous_readers_second_request_from_the_cache(
    client, article, django_assert_num_queries
):
    first = client.get(article.url)
    assert first.status_code == HTTPStatus.OK
    assert first["X-Cache"] == "miss"

    with django_assert_num_queries(0):
        second = client.get(article.url)

    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/world/",
        "/feed/rss/",
        "/feed/atom/",
        "/world/feed/rss/",
        "/authors/",
        "/authors/noor-saleh/",
        "/tags/marshes/",
        "/sitemap.xml",
    ],
)
def test_it_caches_every_kind_of_reader_page(client, article, url, django_assert_num_queries):
    assert client.get(url)["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["X-Cache"] == "hit"


@pytest.mark.django_db
def test_it_keys_on_the_query_string_but_not_on_tracking_parameters(client, home):
    assert client.get("/test-plain/?n=1").content == b"<p>1</p>"
    assert client.get("/test-plain/?n=2").content == b"<p>2</p>"
    assert client.get("/test-plain/?n=1")["X-Cache"] == "hit"
    assert client.get("/test-plain/?n=1&utm_source=mail")["X-Cache"] == "hit"


@pytest.mark.django_db
def test_it_keeps_each_language_apart(client, article):
    english = client.get(article.url, headers={"accept-language": "en"})
    arabic = client.get(article.url, headers={"accept-language": "ar"})

    assert arabic["X-Cache"] == "miss"
    assert english["Content-Language"] == "en"
    assert arabic["Content-Language"] == "ar"
    assert client.get(article.url, headers={"accept-language": "ar"})["Content-Language"] == "ar"


@pytest.mark.django_db
def test_it_does_not_cache_when_turned_off(client, article, settings):
    settings.DATELINE_PAGE_CACHE = False
    client.get(article.url)
    response = client.get(article.url)
    assert response["X-Cache"] == "bypass"
    assert directives(response) == {"private", "no-cache"}


# HTTP caching --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cached_pages_say_public_with_an_etag_and_last_modified(client, article, settings):
    settings.DATELINE_PAGE_MAX_AGE = 60
    for response in (client.get(article.url), client.get(article.url)):
        assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=30"
        assert response["ETag"].startswith('"')
        assert response["Last-Modified"].endswith("GMT")


@pytest.mark.django_db
def test_it_answers_a_matching_if_none_match_with_304(client, article):
    etag = client.get(article.url)["ETag"]

    hit = client.get(article.url, headers={"if-none-match": etag})
    assert hit.status_code == HTTPStatus.NOT_MODIFIED
    assert hit.content == b""
    assert hit["ETag"] == etag

    other = client.get(article.url, headers={"if-none-match": '"something-else"'})
    assert other.status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_it_answers_if_modified_since_with_304(client, article):
    last_modified = client.get(article.url)["Last-Modified"]
    response = client.get(article.url, headers={"if-modified-since": last_modified})
    assert response.status_code == HTTPStatus.NOT_MODIFIED


@pytest.mark.django_db
def test_a_304_is_also_given_on_the_rendering_request(client, article):
    # The section page renders byte for byte the same each time (a story page does not: its
    # comment form carries the time it was rendered).
    etag = client.get("/world/")["ETag"]
    caches["pages"].clear()

    response = client.get("/world/", headers={"if-none-match": etag})

    assert response["X-Cache"] == "miss"
    assert response.status_code == HTTPStatus.NOT_MODIFIED


# Who never gets a cached page ------------------------------------------------------------------


@pytest.fixture
def editor(db) -> User:
    return User.objects.create_superuser("editor", "editor@example.org", "a-long-password-1")


@pytest.mark.django_db
def test_a_signed_in_editor_never_gets_the_cached_page(client, article, editor):
    client.get(article.url)
    assert client.get(article.url)["X-Cache"] == "hit"

    client.force_login(editor)
    response = client.get(article.url)

    assert response["X-Cache"] == "bypass"
    assert directives(response) == {"private", "no-cache"}
    assert b"wagtail-userbar" in response.content.lower() or b"userbar" in response.content


@pytest.mark.django_db
def test_a_signed_in_reader_never_fills_the_cache(client, article, editor):
    client.force_login(editor)
    client.get(article.url)
    client.get(article.url)

    anonymous = Client()
    response = anonymous.get(article.url)

    assert response["X-Cache"] == "miss"
    assert b"userbar" not in response.content


@pytest.mark.django_db
def test_requests_with_authorization_or_the_messages_cookie_bypass_the_cache(client, article):
    client.get(article.url)
    assert get(client, article.url, authorization="Bearer x")["X-Cache"] == "bypass"
    client.cookies["messages"] = "x"
    assert client.get(article.url)["X-Cache"] == "bypass"


@pytest.mark.django_db
def test_a_response_that_sets_a_cookie_is_never_cached(client, home):
    client.get("/test-cookie/")
    response = Client().get("/test-cookie/")
    assert response["X-Cache"] == "uncacheable"
    assert directives(response) == {"private", "no-cache"}
    assert "seen" in response.cookies


@pytest.mark.django_db
def test_a_page_holding_a_csrf_token_is_never_cached(client, home):
    client.get("/test-token/")
    assert client.get("/test-token/")["X-Cache"] == "uncacheable"


@pytest.mark.django_db
def test_a_password_protected_page_is_never_cached(client, article):
    PageViewRestriction.objects.create(
        page=article, restriction_type=PageViewRestriction.PASSWORD, password="secret-password"
    )
    client.get(article.url)
    response = client.get(article.url)
    assert response["X-Cache"] == "uncacheable"
    assert b"Water returns" not in response.content


@pytest.mark.django_db
def test_the_admin_and_the_comment_api_are_never_cached(client, article):
    client.get("/admin/login/")
    assert "X-Cache" not in client.get("/admin/login/")
    client.get(f"/comments/api/threads/?article={article.pk}")
    assert "X-Cache" not in client.get(f"/comments/api/threads/?article={article.pk}")


@pytest.mark.django_db
def test_the_article_html_holds_nothing_per_reader(client, article):
    """The discussion form is in the cached page: it must carry no CSRF token and set no
    cookie, or the cache refuses it and every reader pays for a render."""
    response = client.get(article.url)
    assert response["X-Cache"] == "miss"
    assert b"csrfmiddlewaretoken" not in response.content
    assert not response.cookies
    assert client.get(article.url)["X-Cache"] == "hit"


# Invalidation: pages --------------------------------------------------------------------------


def _warm(client: Client, *urls: str) -> None:
    for url in urls:
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit", url


@pytest.mark.django_db
def test_republishing_an_article_shows_the_new_version_on_the_next_request(client, article):
    _warm(client, article.url, "/", "/world/", "/feed/rss/", "/tags/marshes/")

    actions.update_article(
        article=article,
        title="Water returns to the southern marshes",
        body=[actions.Block("paragraph", "<p>Updated.</p>")],
        bylines=["Noor Saleh"],
        tags=["marshes"],
        publish=True,
    )

    for url in (article.url, "/", "/world/", "/feed/rss/", "/tags/marshes/"):
        response = client.get(url)
        assert response["X-Cache"] == "miss", url
        assert b"southern marshes" in response.content, url


@pytest.mark.django_db
def test_saving_a_draft_does_not_invalidate(client, article):
    _warm(client, article.url)
    actions.update_article(
        article=article, title="Draft headline", body=[], bylines=["Noor Saleh"], publish=False
    )
    assert client.get(article.url)["X-Cache"] == "hit"


@pytest.mark.django_db
def test_publishing_a_new_article_updates_the_lists_but_not_other_articles(
    client, article, section
):
    _warm(client, article.url, "/", "/world/", "/feed/atom/", "/authors/noor-saleh/")

    make_article(section, title="Dates harvest begins", bylines=[article.bylines.first().author])

    assert client.get(article.url)["X-Cache"] == "hit"
    for url in ("/", "/world/", "/feed/atom/", "/authors/noor-saleh/"):
        response = client.get(url)
        assert response["X-Cache"] == "miss", url
        assert b"Dates harvest begins" in response.content, url


@pytest.mark.django_db
def test_unpublishing_an_article_removes_it_at_once(client, article):
    _warm(client, article.url, "/world/")

    article.unpublish()

    assert client.get(article.url).status_code == HTTPStatus.NOT_FOUND
    assert b"Water returns" not in client.get("/world/").content


@pytest.mark.django_db
def test_deleting_an_article_removes_it_at_once(client, article):
    url = article.url
    _warm(client, url, "/")

    Page.objects.get(pk=article.pk).delete()

    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert b"Water returns" not in client.get("/").content


@pytest.mark.django_db
def test_moving_an_article_invalidates_its_old_and_new_places(client, article, home):
    old_url = article.url
    economy = actions.create_section(parent=home, title="Economy", slug="economy")
    _warm(client, old_url, "/world/", "/economy/")

    Page.objects.get(pk=article.pk).move(economy, pos="last-child")

    assert client.get(old_url).get("X-Cache") != "hit"
    assert client.get(old_url).status_code in {HTTPStatus.NOT_FOUND, HTTPStatus.MOVED_PERMANENTLY}
    assert b"Water returns" in client.get("/economy/").content
    assert b"Water returns" not in client.get("/world/").content
    assert client.get("/economy/water-returns-to-the-marshes/").status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_renaming_a_section_updates_the_navigation_of_every_page(client, article, section):
    _warm(client, article.url, "/")

    section.title = "International"
    section.save_revision().publish()

    assert b"International" in client.get(article.url).content
    assert b"International" in client.get("/").content


@pytest.mark.django_db
def test_an_article_expiring_is_never_served_after_its_expiry_time(client, section):
    article = make_article(section, title="Short-lived notice")
    article.expire_at = timezone.now() + datetime.timedelta(seconds=2)
    article.save_revision().publish()
    client.get(article.url)

    entry_timeouts = []
    store = caches["pages"]
    if hasattr(store, "_expire_info"):
        entry_timeouts = [t for t in store._expire_info.values() if t is not None]
        assert entry_timeouts
        assert max(entry_timeouts) <= timezone.now().timestamp() + 3


# Invalidation: comments -----------------------------------------------------------------------


@pytest.fixture
def held_policy(home):
    return discussion_policy(mode="hold_all")


@pytest.mark.django_db
def test_an_approved_comment_is_visible_on_the_very_next_request(client, article, held_policy):
    comment = post_guest_comment(
        article, "The reeds are back after twenty years.", policy=held_policy
    )
    _warm(client, article.url)
    assert b"The reeds are back" not in client.get(article.url).content

    discussion_actions.set_status(
        comments=[comment], status=Comment.Status.APPROVED, moderator=None
    )

    response = client.get(article.url)
    assert response["X-Cache"] == "miss"
    assert b"The reeds are back" in response.content


@pytest.mark.django_db
def test_removing_a_comment_hides_it_on_the_very_next_request(client, article):
    policy = discussion_policy(mode="publish")
    comment = post_guest_comment(article, "Fishing boats on the water again.", policy=policy)
    _warm(client, article.url)
    assert b"Fishing boats" in client.get(article.url).content

    discussion_actions.set_status(comments=[comment], status=Comment.Status.TRASH, moderator=None)

    assert b"Fishing boats" not in client.get(article.url).content


@pytest.mark.django_db
def test_a_moderators_edit_shows_on_the_very_next_request(client, article):
    policy = discussion_policy(mode="publish")
    comment = post_guest_comment(article, "Buffalo herds have returned.", policy=policy)
    _warm(client, article.url)

    discussion_actions.edit_by_moderator(
        comment=comment, body="Water buffalo herds have returned.", policy=policy, moderator=None
    )

    assert b"Water buffalo herds" in client.get(article.url).content


@pytest.mark.django_db
def test_an_authors_own_edit_and_delete_show_on_the_very_next_request(client, article):
    policy = discussion_policy(mode="publish")
    posted = discussion_actions.post_comment(
        target=targets.of_thread(discussion_actions.thread_for_article(article=article)),
        body="Migrating birds stop here.",
        policy=policy,
        meta=discussion_actions.RequestMeta(ip_address="192.0.2.1"),
        author=discussion_actions.Guest(name="Huda", email="huda@example.org"),
    )
    _warm(client, article.url)

    discussion_actions.edit_comment(
        comment=posted.comment,
        token=posted.edit_token,
        body="Migrating pelicans stop here.",
        policy=policy,
    )
    assert b"pelicans" in client.get(article.url).content

    _warm(client, article.url)
    discussion_actions.delete_own_comment(
        comment=posted.comment, token=posted.edit_token, policy=policy
    )
    assert b"pelicans" not in client.get(article.url).content


@pytest.mark.django_db
def test_a_held_comment_does_not_invalidate_the_page(client, article, held_policy):
    _warm(client, article.url)
    post_guest_comment(article, "Held for now.", policy=held_policy)
    assert client.get(article.url)["X-Cache"] == "hit"


@pytest.mark.django_db
def test_a_comment_on_one_story_leaves_other_stories_cached(client, article, section):
    other = make_article(section, title="Another story")
    policy = discussion_policy(mode="publish")  # a settings change invalidates every page
    _warm(client, article.url, other.url)
    post_guest_comment(article, "Only this story changes.", policy=policy)
    assert client.get(other.url)["X-Cache"] == "hit"
    assert client.get(article.url)["X-Cache"] == "miss"


# Races ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_rendered_while_something_changed_is_not_stored(client, home):
    _racing.clear()
    assert client.get("/test-race/")["X-Cache"] == "miss"
    assert client.get("/test-race/")["X-Cache"] == "miss"  # the first render was not stored
    assert client.get("/test-race/")["X-Cache"] == "hit"


# Constant cost -------------------------------------------------------------------------------


def _bulk_comments(article, n: int) -> None:
    thread = discussion_actions.thread_for_article(article=article)
    commenter = Commenter.objects.create(
        kind=Commenter.Kind.GUEST,
        provider="guest",
        subject=f"bulk-{article.pk}@example.org",
        display_name="Bulk Reader",
    )
    start = timezone.now() - datetime.timedelta(days=1)
    roots = Comment.objects.bulk_create(
        Comment(
            thread=thread,
            commenter=commenter,
            author_name="Bulk Reader",
            body=f"Comment {i}",
            body_html=f"<p>Comment {i}</p>",
            status=Comment.Status.APPROVED,
            created_at=start + datetime.timedelta(seconds=i),
            content_hash=f"{article.pk}-{i}",
        )
        for i in range(n)
    )
    # Every fifth comment gets a reply, so subtrees are fetched too.
    replies = Comment.objects.bulk_create(
        Comment(
            thread=thread,
            commenter=commenter,
            author_name="Bulk Reader",
            parent=root,
            root=root,
            depth=1,
            body="A reply",
            body_html="<p>A reply</p>",
            status=Comment.Status.APPROVED,
            created_at=root.created_at + datetime.timedelta(milliseconds=1),
            content_hash=f"{article.pk}-r{root.pk}",
        )
        for root in roots[::5]
    )
    for root in roots[::5]:
        Comment.objects.filter(pk=root.pk).update(approved_reply_count=1)
    type(thread).objects.filter(pk=thread.pk).update(approved_count=n + len(replies))


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(captured)


@pytest.mark.django_db
def test_an_article_costs_the_same_queries_with_5_and_500_comments(client, section, settings):
    settings.DATELINE_PAGE_CACHE = False
    small = make_article(section, title="A quiet story")
    large = make_article(section, title="A busy story")
    _bulk_comments(small, 5)
    _bulk_comments(large, 500)
    client.get(small.url)  # settings rows and the like are created on first use

    assert _queries_for(client, small.url) == _queries_for(client, large.url)
    assert _queries_for(client, large.url + "?comments=" + _deep_cursor(large)) == _queries_for(
        client, small.url
    )


@pytest.mark.django_db
def test_a_deep_page_of_a_thread_seeks_to_its_cursor_in_the_index(section):
    """Top-level comments come from the (thread, created_at, id) index starting at the cursor,
    so page 200 costs what page 1 costs (bench/explain_threads.py shows the full plans)."""
    from dateline.discussion import threads
    from dateline.discussion.models import DiscussionSettings

    article = make_article(section, title="A long conversation")
    _bulk_comments(article, 60)
    thread = discussion_actions.thread_for_article(article=article)
    policy = DiscussionSettings(page_size=10)
    cursor_40 = _deep_cursor(article, 40)
    with CaptureQueriesContext(connection) as captured:
        threads.thread_page(thread=thread, policy=policy, cursor=cursor_40)
    roots_sql = captured.captured_queries[0]["sql"]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test-sized table would be read whole or sorted in memory; ask whether the
            # index *can* deliver the page in order from the cursor.
            cursor.execute("ANALYZE discussion_comment")
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                cursor.execute(f"SET {setting} = off")
            cursor.execute("EXPLAIN " + roots_sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                cursor.execute(f"RESET {setting}")
            assert "comment_thread_roots" in plan, plan
            assert "Index Cond" in plan, plan
            assert "created_at >=" in plan.split("Index Cond", 1)[1].split("\n", 1)[0]
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + roots_sql)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "comment_thread_roots (thread_id=? AND created_at>?)" in plan


def _deep_cursor(article, position: int = 400) -> str:
    from dateline.discussion.threads import Cursor

    root = Comment.objects.filter(thread__article=article, root__isnull=True).order_by(
        "created_at", "id"
    )[position]
    return Cursor.after(root).encode()


# Across processes (the single-machine default: local-memory cache per process) -----------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_in_one_process_invalidates_the_page_cached_by_a_server_process(article, settings):
    if "redis" in settings.CACHES["pages"]["BACKEND"].lower():
        pytest.skip("with Redis this is tests/server/test_two_processes.py")
    policy = discussion_policy(mode="hold_all")
    comment = post_guest_comment(article, "Seen by every process.", policy=policy)
    env = server_env(DATELINE_PAGE_CACHE="true")
    with running_server("--no-worker", "--workers", "1", env=env) as base_url:
        url = base_url + article.url
        requests.get(url, timeout=10)
        assert requests.get(url, timeout=10).headers["X-Cache"] == "hit"

        discussion_actions.set_status(
            comments=[comment], status=Comment.Status.APPROVED, moderator=None
        )

        response = requests.get(url, timeout=10)
        assert response.headers["X-Cache"] == "miss"
        assert "Seen by every process." in response.text


# Frontend cache (CDN) purges ---------------------------------------------------------------------


class _PurgeRecorder(BaseHTTPRequestHandler):
    purged: list[tuple[str, str]] = []

    def do_PURGE(self) -> None:
        self.purged.append((self.headers["Host"], self.path))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def purge_server(settings) -> Iterator[list[tuple[str, str]]]:
    """A real HTTP cache stand-in that records the PURGE requests Wagtail's HTTP backend sends
    (what Varnish would receive)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PurgeRecorder)
    _PurgeRecorder.purged = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WAGTAILFRONTENDCACHE = {
        "varnish": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": f"http://127.0.0.1:{server.server_address[1]}",
        }
    }
    yield _PurgeRecorder.purged
    server.shutdown()


def _run_background_tasks() -> None:
    call_command("worker", "--batch", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_publishing_purges_the_article_its_sections_feeds_authors_and_tags(
    purge_server, section, settings
):
    host = settings.BASE_URL.split("://", 1)[1]
    author = AuthorFactory(name="Sami Rahim", slug="sami-rahim")

    make_article(section, title="Port reopens", bylines=[author], tags=["trade"])
    _run_background_tasks()

    assert all(h == host for h, _ in purge_server)
    assert {p for _, p in purge_server} >= {
        "/world/port-reopens/",
        "/world/",
        "/world/feed/rss/",
        "/world/feed/atom/",
        "/",
        "/feed/rss/",
        "/feed/atom/",
        "/authors/sami-rahim/",
        "/tags/trade/",
        "/authors/",
        "/sitemap.xml",
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_approving_a_comment_purges_the_article(purge_server, section):
    article = make_article(section, title="Bridge rebuilt")
    comment = post_guest_comment(article, "Good news.", policy=discussion_policy(mode="hold_all"))
    _run_background_tasks()
    purge_server.clear()

    discussion_actions.set_status(
        comments=[comment], status=Comment.Status.APPROVED, moderator=None
    )
    _run_background_tasks()

    assert [p for _, p in purge_server] == ["/world/bridge-rebuilt/"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_moving_a_section_purges_the_old_addresses(purge_server, section, home):
    article = make_article(section, title="Old road")
    other = actions.create_section(parent=home, title="Region", slug="region")
    _run_background_tasks()
    purge_server.clear()

    Page.objects.get(pk=section.pk).move(other, pos="last-child")
    _run_background_tasks()

    paths = {p for _, p in purge_server}
    assert {"/world/", "/world/old-road/", "/region/world/"} <= paths
    assert article.pk


@pytest.mark.django_db
def test_no_purge_is_queued_without_a_frontend_cache(section, settings):
    from django_tasks_db.models import DBTaskResult

    settings.WAGTAILFRONTENDCACHE = None
    make_article(section, title="Nothing to purge")
    assert not DBTaskResult.objects.filter(task_path__contains="frontend_cache").exists()


# Frontend cache configuration -------------------------------------------------------------------


def test_the_frontend_cache_is_off_unless_configured(monkeypatch):
    monkeypatch.delenv("DATELINE_FRONTEND_CACHE", raising=False)
    assert get_frontend_cache() is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {
                "DATELINE_FRONTEND_CACHE": "cloudflare",
                "DATELINE_CLOUDFLARE_ZONE_ID": "zone",
                "DATELINE_CLOUDFLARE_TOKEN": "token",
            },
            {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
                "ZONEID": "zone",
                "BEARER_TOKEN": "token",
            },
        ),
        (
            {
                "DATELINE_FRONTEND_CACHE": "varnish",
                "DATELINE_FRONTEND_CACHE_URL": "http://127.0.0.1:6081",
                "DATELINE_FRONTEND_CACHE_HOSTNAMES": "news.example.org",
            },
            {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
                "LOCATION": "http://127.0.0.1:6081",
                "HOSTNAMES": ["news.example.org"],
            },
        ),
    ],
)
def test_the_frontend_cache_is_configured_from_the_environment(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert get_frontend_cache() == {"default": expected}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATELINE_FRONTEND_CACHE": "akamai"}, "DATELINE_FRONTEND_CACHE"),
        ({"DATELINE_FRONTEND_CACHE": "cloudflare"}, "DATELINE_CLOUDFLARE_ZONE_ID"),
        (
            {"DATELINE_FRONTEND_CACHE": "cloudflare", "DATELINE_CLOUDFLARE_ZONE_ID": "zone"},
            "DATELINE_CLOUDFLARE_TOKEN",
        ),
        ({"DATELINE_FRONTEND_CACHE": "http-purge"}, "DATELINE_FRONTEND_CACHE_URL"),
        (
            {"DATELINE_FRONTEND_CACHE": "http-purge", "DATELINE_FRONTEND_CACHE_URL": "varnish"},
            "DATELINE_FRONTEND_CACHE_URL",
        ),
    ],
)
def test_a_bad_frontend_cache_setting_stops_start_up_naming_the_variable(monkeypatch, env, named):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(EnvError, match=named):
        get_frontend_cache()


def test_the_redis_backend_builds_one_client_and_keeps_it(settings):
    if "redis" not in settings.CACHES["pages"]["BACKEND"].lower():
        pytest.skip("only with REDIS_URL")
    backend = caches["pages"]._cache
    assert backend.get_client() is backend.get_client()
    assert backend.get_client(write=True) is backend.get_client(write=True)


def test_a_redis_bump_moves_each_counter_and_starts_a_missing_one_afresh(settings):
    if "redis" not in settings.CACHES["pages"]["BACKEND"].lower():
        pytest.skip("only with REDIS_URL")
    store = caches["pages"]
    known, missing = "gen:test-bump:known", "gen:test-bump:missing"
    store.set(known, 41, timeout=None)
    store.delete(missing)

    pagecache.CacheGenerations(store).bump([known, missing])

    assert store.get(known) == 42
    # A counter that vanished never comes back at a number it had before (pagecache._seed).
    assert store.get(missing) > 41
    client = store._cache.get_client(write=True)
    assert client.ttl(store.make_and_validate_key(missing)) == -1  # kept, like the others
    assert pagecache.CacheGenerations(store).read([known]) == [42]
