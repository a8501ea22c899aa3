"""A comment with a great many replies: the story page shows the first ``REPLIES_SHOWN`` under
it and links to the rest, which come a keyset page at a time; spam under it is never read; a
permalink to a reply far down lands on the page of replies that holds it."""

import datetime
import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dateline.discussion import actions, threads
from dateline.discussion.models import Comment, DiscussionSettings
from tests.discussion.embed_helpers import Api
from tests.discussion.test_thread_rendering import bulk_comments, ids_on, page_html
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

SHOWN = threads.REPLIES_SHOWN
PAGE = threads.REPLIES_PAGE
MORE_LINK = re.compile(r'<p class="comment__more-replies"><a href="([^"]+)"[^>]*>([^<]+)</a>')
NEXT_LINK = re.compile(r'<a class="comment-pagination__newer" href="([^"]+)">([^<]+)</a>')


@pytest.fixture
def article(section):
    return make_article(section, title="The old bridge closes for a month")


@pytest.fixture
def policy(db):
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


def _href(link: str) -> str:
    return link.replace("&amp;", "&")


def _root_with_replies(article, count):
    [root] = bulk_comments(article, 1, start=timezone.now() - datetime.timedelta(days=2))
    replies = bulk_comments(article, count, parents=[root])
    root.refresh_from_db()
    return root, replies


def test_the_story_shows_the_first_replies_and_links_to_the_rest(client, article, policy):
    root, replies = _root_with_replies(article, SHOWN + 5)

    story = page_html(client, article.url)
    link, label = MORE_LINK.search(story).groups()
    rest = page_html(client, _href(link))

    assert ids_on(story) == [root.pk, *(r.pk for r in replies[:SHOWN])]
    assert label == "Show 5 more replies"
    assert ids_on(rest) == [root.pk, *(r.pk for r in replies[SHOWN:])]
    assert "Replies to <bdi>Reader 0</bdi>" in rest
    assert f'href="{article.url}#comment-{root.pk}"' in rest  # back to the story, at the comment
    assert not NEXT_LINK.search(rest)


def test_pages_of_replies_follow_one_another_to_the_last(client, article, policy):
    _root, replies = _root_with_replies(article, SHOWN + PAGE + 7)

    story = page_html(client, article.url)
    first = page_html(client, _href(MORE_LINK.search(story).group(1)))
    link, label = NEXT_LINK.search(first).groups()
    last = page_html(client, _href(link))

    assert ids_on(first)[1:] == [r.pk for r in replies[SHOWN : SHOWN + PAGE]]
    assert label == "7 more replies"
    assert ids_on(last)[1:] == [r.pk for r in replies[SHOWN + PAGE :]]
    assert not NEXT_LINK.search(last)


def test_the_story_page_costs_the_same_with_30_or_600_replies_under_one_comment(
    client, article, policy, django_assert_num_queries
):
    root, _replies = _root_with_replies(article, 30)
    client.get(article.url)
    with CaptureQueriesContext(connection) as few:
        small = page_html(client, article.url)
    bulk_comments(article, 570, parents=[root], start=timezone.now())

    with django_assert_num_queries(len(few.captured_queries)):
        large = page_html(client, article.url)

    assert len(ids_on(small)) == len(ids_on(large)) == 1 + SHOWN
    assert MORE_LINK.search(large).group(2) == "Show 580 more replies"


def test_spam_and_removed_replies_take_no_place_under_a_comment(client, article, policy):
    root, replies = _root_with_replies(article, SHOWN + 3)
    # The counters as set_status would leave them (bulk rows have no commenter counts to move).
    Comment.objects.filter(pk__in=[r.pk for r in replies[:SHOWN]]).update(
        status=Comment.Status.SPAM
    )
    Comment.objects.filter(pk=root.pk).update(approved_reply_count=3)

    story = page_html(client, article.url)

    assert ids_on(story) == [root.pk, *(r.pk for r in replies[SHOWN:])]
    assert not MORE_LINK.search(story)
    assert "comment--removed" not in story


def test_a_removed_reply_keeps_its_place_for_the_replies_under_it(client, article, policy):
    root = post_guest_comment(article, "Where will the buses go?", policy=policy)
    middle = post_guest_comment(article, "Over the new bridge.", policy=policy, parent=root)
    answer = post_guest_comment(article, "Which opens when?", policy=policy, parent=middle)
    actions.set_status(comments=[middle], status=Comment.Status.TRASH, moderator=None)

    story = page_html(client, article.url)

    assert ids_on(story) == [root.pk, middle.pk, answer.pk]
    assert "Over the new bridge." not in story
    assert "This comment was removed." in story


def test_a_permalink_to_a_reply_far_down_lands_on_its_page_of_replies(client, article, policy):
    root, replies = _root_with_replies(article, SHOWN + PAGE + 10)

    for index in (0, SHOWN - 1, SHOWN, SHOWN + PAGE - 1, SHOWN + PAGE, SHOWN + PAGE + 9):
        reply = replies[index]
        response = client.get(f"/comments/{reply.pk}/")

        assert response.status_code == HTTPStatus.FOUND
        location = response["Location"]
        assert location.endswith(f"#comment-{reply.pk}")
        if index < SHOWN:
            assert location.startswith(article.url)
        else:
            assert location.startswith(f"/comments/{root.pk}/replies/?after=")
        assert reply.pk in ids_on(page_html(client, location.split("#")[0])), index


def test_a_reply_posted_far_down_is_shown_on_its_page_after_posting(client, article, policy):
    root, _replies = _root_with_replies(article, SHOWN + 2)
    reply = post_guest_comment(article, "Late, but still.", policy=policy, parent=root)

    location = client.get(f"/comments/{reply.pk}/")["Location"]

    assert "Late, but still." in page_html(client, location.split("#")[0])


def test_a_page_of_replies_is_only_for_a_shown_comment_on_a_published_story(
    client, article, policy
):
    root, replies = _root_with_replies(article, 2)
    spam = post_guest_comment(article, "Buy now.", policy=policy)
    actions.set_status(comments=[spam], status=Comment.Status.SPAM, moderator=None)

    assert client.get(f"/comments/{replies[0].pk}/replies/").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/comments/{spam.pk}/replies/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/comments/987654321/replies/").status_code == HTTPStatus.NOT_FOUND
    bad = client.get(f"/comments/{root.pk}/replies/?after=garbage")
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "This page of replies does not exist" in bad.content.decode()
    assert client.post(f"/comments/{root.pk}/replies/").status_code == (
        HTTPStatus.METHOD_NOT_ALLOWED
    )
    article.unpublish()
    assert client.get(f"/comments/{root.pk}/replies/").status_code == HTTPStatus.NOT_FOUND


def test_the_api_gives_the_rest_of_a_long_subthread_a_page_at_a_time(client, article, policy):
    api = Api(client)
    root, replies = _root_with_replies(article, SHOWN + PAGE + 3)

    thread = api.thread(article=article.pk).data
    [top] = thread["comments"]
    first = api.replies(root.pk, cursor=top["replies_next"]).data
    last = api.replies(root.pk, cursor=first["next"]).data

    assert [r["id"] for r in top["replies"]] == [r.pk for r in replies[:SHOWN]]
    assert top["more_replies"] == PAGE + 3
    assert [r["id"] for r in first["comments"]] == [r.pk for r in replies[SHOWN : SHOWN + PAGE]]
    assert first["more"] == 3
    assert [r["id"] for r in last["comments"]] == [r.pk for r in replies[SHOWN + PAGE :]]
    assert last["next"] is None
    assert last["more"] == 0
    assert "more_replies" not in api.thread(article=article.pk).data["comments"][0]["replies"][0]


def test_the_api_refuses_replies_of_a_reply_a_bad_cursor_and_a_hidden_story(
    client, article, policy
):
    api = Api(client)
    root, replies = _root_with_replies(article, 2)

    assert api.replies(replies[0].pk).status_code == HTTPStatus.NOT_FOUND
    bad = api.replies(root.pk, cursor="garbage")
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "cursor" in bad.data["errors"]
    assert api.replies(root.pk).status_code == HTTPStatus.OK
    article.unpublish()
    assert api.replies(root.pk).status_code == HTTPStatus.NOT_FOUND
