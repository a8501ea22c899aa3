"""Readers mark comments as useful (issue #14, point 5): once per reader (identity, guest
token, else a signed browser id), never by the comment's author, rate-limited; the count
shows beside the comment and in the API, and a cached page shows it at once."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.test import Client

from dateline.discussion.models import Comment, DiscussionSettings, Reaction
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}


@pytest.fixture
def article(section):
    return make_article(section, title="The river ferry runs again from Monday")


@pytest.fixture
def policy():
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


@pytest.fixture
def comment(article, policy):
    return post_guest_comment(article, "The timetable is on the port's notice board.",
                              policy=policy, email="layla@example.org")  # fmt: skip


@pytest.fixture
def page_cache(settings):
    settings.DATELINE_PAGE_CACHE = True
    settings.DATELINE_FRAGMENT_CACHE = True
    caches["pages"].clear()
    yield
    caches["pages"].clear()


def useful(client: Client, comment: Comment, **extra: str):
    return client.post(f"/comments/{comment.pk}/useful/", **ORIGIN, **extra)


def count(comment: Comment) -> int:
    comment.refresh_from_db()
    return comment.useful_count


def test_a_reader_without_an_account_marks_a_comment_useful_once(article, comment):
    reader = Client()

    first = useful(reader, comment)

    assert first.status_code == HTTPStatus.FOUND
    assert first["Location"] == f"/comments/{comment.pk}/"  # the permalink finds its page
    assert "dateline_reader" in first.cookies
    assert count(comment) == 1
    useful(reader, comment)  # the browser's own id: the same reader
    assert count(comment) == 1
    useful(Client(), comment)  # another browser, another reader
    assert count(comment) == 2
    assert Reaction.objects.filter(comment=comment).count() == 2


def test_the_author_cannot_mark_their_own_comment_and_a_guest_counts_once(article, comment, policy):
    author = Client()
    author.cookies["dateline_guest"] = comment.guest_token
    refused = useful(author, comment)
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert "You cannot mark your own comment as useful." in refused.content.decode()

    other = post_guest_comment(article, "Thanks!", policy=policy, email="sami@example.org")
    for _ in range(2):
        guest = Client()  # two browsers, one guest: the token says who
        guest.cookies["dateline_guest"] = other.guest_token
        useful(guest, comment)
    assert count(comment) == 1


def test_the_count_shows_on_a_cached_page_at_once_and_in_the_api(article, comment, page_cache):
    assert "Useful (1)" not in Client().get(article.url).content.decode()  # cached now

    useful(Client(), comment)

    page = Client().get(article.url).content.decode()
    assert "Useful (1)" in page
    assert f'aria-label="Mark the comment by {comment.author_name} as useful"' in page
    api = Client().get("/comments/api/threads/", {"article": article.pk})
    assert api.status_code == HTTPStatus.OK
    assert api.json()["comments"][0]["useful"] == 1


def test_marking_is_a_post_from_our_own_pages_only_and_is_rate_limited(comment, article, policy):
    assert Client().get(f"/comments/{comment.pk}/useful/").status_code == (
        HTTPStatus.METHOD_NOT_ALLOWED
    )
    strict = Client(enforce_csrf_checks=True)
    forged = strict.post(f"/comments/{comment.pk}/useful/", HTTP_ORIGIN="https://elsewhere.example")
    assert forged.status_code == HTTPStatus.FORBIDDEN
    assert count(comment) == 0
    # From our own page, a browser without a session needs no token (its page had none).
    assert useful(Client(enforce_csrf_checks=True), comment).status_code == HTTPStatus.FOUND
    assert count(comment) == 1

    others = [post_guest_comment(article, f"Note {n}.", policy=policy) for n in range(121)]
    reader = Client(REMOTE_ADDR="192.0.2.77")
    answers = [useful(reader, c).status_code for c in others]
    assert answers[:120] == [HTTPStatus.FOUND] * 120
    assert answers[120] == HTTPStatus.TOO_MANY_REQUESTS


def test_a_held_comment_cannot_be_marked(article):
    held = post_guest_comment(
        article, "Waiting.", policy=discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    )
    assert useful(Client(), held).status_code == HTTPStatus.NOT_FOUND
    assert count(held) == 0


def test_a_thread_can_show_the_most_useful_comments_first_page_by_page(article):
    """Top-level comments by their marks, then oldest first; the keyset pages, backwards and
    forwards, and a permalink's page follow the same order; replies keep theirs."""
    from dateline.discussion import threads

    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    a, b, c, d = (post_guest_comment(article, f"Comment {n}.", policy=policy) for n in "ABCD")
    reply = post_guest_comment(article, "A reply to C.", policy=policy, parent=c)
    for comment, marks in ((c, 3), (a, 1), (d, 1)):
        Comment.objects.filter(pk=comment.pk).update(useful_count=marks)
    policy = discussion_policy(
        mode=DiscussionSettings.Mode.PUBLISH, order=DiscussionSettings.Order.USEFUL, page_size=2
    )
    thread = c.thread

    first = threads.thread_page(thread=thread, policy=policy)
    assert [n.comment.pk for n in first.nodes] == [c.pk, a.pk]
    assert [child.comment.pk for child in first.nodes[0].children] == [reply.pk]
    second = threads.thread_page(thread=thread, policy=policy, cursor=first.next_cursor)
    assert [n.comment.pk for n in second.nodes] == [d.pk, b.pk]
    assert second.next_cursor is None
    back = threads.thread_page(thread=thread, policy=policy, cursor=second.previous_cursor)
    assert [n.comment.pk for n in back.nodes] == [c.pk, a.pk]
    assert threads.page_cursor_for(comment=b, policy=policy) == first.next_cursor
    assert threads.page_cursor_for(comment=reply, policy=policy) is None

    # The story's page in that order, and a cursor of the other order starts again.
    html = Client().get(article.url).content.decode()
    assert html.index("Comment C.") < html.index("Comment A.")
    chronological = discussion_policy(page_size=2, order=DiscussionSettings.Order.OLDEST)
    again = threads.thread_page(thread=thread, policy=chronological, cursor=first.next_cursor)
    assert [n.comment.pk for n in again.nodes] == [a.pk, b.pk]
