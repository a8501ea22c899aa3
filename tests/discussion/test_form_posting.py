"""Posting through the "Leave a Reply" form over HTTP: without JavaScript (POST → 303 → GET)
and as the page's script does it (same endpoint, JSON)."""

import time
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from dateline.discussion import actions
from dateline.discussion.forms import sign_rendered_at
from dateline.discussion.models import Ban, Comment, DiscussionSettings, Thread
from dateline.discussion.reasons import describe_all
from dateline.discussion.views import EDIT_COOKIE
from dateline.newsroom.models import ArticlePage
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def article(section):
    return make_article(section, title="Bridge reopens after repairs")


@pytest.fixture
def publish_at_once(db):
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


def form_data(**overrides):
    """What a reader who took half a minute to write would send."""
    data = {
        "body": "Glad the bridge is open again.",
        "name": "Amal Hassan",
        "email": "amal@example.org",
        "website": "",
        "parent": "",
        "website_confirm": "",
        "rendered_at": sign_rendered_at(time.time() - 30),
    }
    data.update(overrides)
    return data


def post_url(article):
    return reverse("discussion:post", args=[article.pk])


def test_a_comment_posted_without_javascript_redirects_to_its_anchor_and_shows_there(
    client, article, publish_at_once
):
    response = client.post(post_url(article), form_data())

    comment = Comment.objects.get()
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == f"{article.url}#comment-{comment.pk}"
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert f'id="comment-{comment.pk}"' in page
    assert "Glad the bridge is open again." in page
    assert "Amal Hassan" in page
    assert "amal@example.org" not in page  # the email is never shown


def test_the_redirect_carries_the_edit_token_in_a_short_lived_cookie(
    client, article, publish_at_once
):
    response = client.post(post_url(article), form_data())

    comment = Comment.objects.get()
    cookie = response.cookies[EDIT_COOKIE]
    comment_id, token, _until = cookie.value.split("|")
    assert int(comment_id) == comment.pk
    assert cookie["max-age"] == publish_at_once.edit_window_minutes * 60
    assert actions._token_matches(comment=comment, token=token, policy=publish_at_once)


def test_a_held_comment_shows_only_the_notice_and_is_visible_to_nobody(client, article):
    discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)

    response = client.post(post_url(article), form_data(body="Please hold this thought."))

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == f"{article.url}?held=1#respond"
    landing = client.get(response["Location"].split("#")[0]).content.decode()
    assert "Your comment is awaiting moderation." in landing
    assert "Please hold this thought." not in landing
    assert "Please hold this thought." not in Client().get(article.url).content.decode()
    assert client.get(f"/comments/{comment.pk}/").status_code == HTTPStatus.NOT_FOUND


def test_errors_come_back_inline_next_to_their_fields_with_the_typed_text_kept(
    client, article, publish_at_once
):
    response = client.post(
        post_url(article),
        form_data(
            body="My <b>draft</b> reply",
            name="",
            email="not-an-address",
            website="javascript:alert(1)",
        ),
    )

    html = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Comment.objects.exists()
    assert 'role="alert"' in html
    assert "Please enter your name." in html
    assert "Please enter a valid email address" in html
    assert "The website must be an http:// or https:// address." in html
    assert "My &lt;b&gt;draft&lt;/b&gt; reply</textarea>" in html
    assert 'value="not-an-address"' in html
    assert 'aria-invalid="true" ' in html or 'aria-invalid="true">' in html
    assert 'aria-describedby="comment-name-error"' in html
    assert 'aria-describedby="comment-email-help comment-email-error"' in html
    assert '<a href="#comment-name">Please enter your name.</a>' in html


def test_an_empty_comment_is_refused_with_a_message(client, article, publish_at_once):
    response = client.post(post_url(article), form_data(body="   "))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Please write a comment." in response.content.decode()
    assert not Comment.objects.exists()


def test_the_script_gets_the_new_comment_as_json_with_its_edit_token(
    client, article, publish_at_once
):
    response = client.post(post_url(article), form_data(), **JSON)

    data = response.json()
    comment = Comment.objects.get()
    assert response.status_code == HTTPStatus.CREATED
    assert data["id"] == comment.pk
    assert data["status"] == "approved"
    assert data["anchor"] == f"comment-{comment.pk}"
    assert f'id="comment-{comment.pk}"' in data["html"]
    assert data["countText"] == "1 comment"
    assert actions._token_matches(comment=comment, token=data["editToken"], policy=publish_at_once)
    assert "no-store" in response["Cache-Control"]


def test_the_script_gets_field_errors_as_json(client, article, publish_at_once):
    response = client.post(post_url(article), form_data(email="", body=""), **JSON)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()["errors"]) == {"email", "body"}


def test_a_held_comment_comes_back_to_its_author_alone_marked_as_waiting(client, article):
    discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)

    data = client.post(post_url(article), form_data(body="Only I see this."), **JSON).json()

    assert data["status"] == "pending"
    assert "Your comment is awaiting moderation." in data["html"]
    assert "Only I see this." in data["html"]
    assert "Only I see this." not in client.get(article.url).content.decode()


def test_a_reply_posted_without_javascript_lands_under_its_parent(client, article, publish_at_once):
    parent = post_guest_comment(article, "First!", policy=publish_at_once, name="Omar")

    response = client.post(post_url(article), form_data(parent=str(parent.pk), body="Second."))

    reply = Comment.objects.get(parent=parent)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"].endswith(f"#comment-{reply.pk}")
    assert reply.depth == 1


@pytest.mark.parametrize("parent", ["abc", "-1", "99999999999999999999999", "0"])
def test_a_nonsense_parent_is_a_message_not_a_crash(client, article, publish_at_once, parent):
    response = client.post(post_url(article), form_data(parent=parent), **JSON)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "not available any more" in response.json()["errors"]["__all__"]
    assert not Comment.objects.exists()


def test_a_reply_to_a_held_comment_is_refused(client, article):
    held = post_guest_comment(
        article, policy=discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    )

    response = client.post(post_url(article), form_data(parent=str(held.pk)))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "not available any more" in response.content.decode()


def test_nul_characters_are_refused_before_they_reach_the_database(
    client, article, publish_at_once
):
    response = client.post(post_url(article), form_data(name="Am\x00al", body="a\x00b"), **JSON)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert {"name", "body"} <= set(response.json()["errors"])
    assert not Comment.objects.exists()


def test_posting_too_quickly_is_a_429_with_a_wait_on_both_paths(client, article):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, flood_seconds=30)
    client.post(post_url(article), form_data(body="One."))

    as_html = client.post(post_url(article), form_data(body="Two, typed again."))
    as_json = client.post(post_url(article), form_data(body="Three."), **JSON)

    assert as_html.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 1 <= int(as_html["Retry-After"]) <= 30
    html = as_html.content.decode()
    assert "You are posting comments too quickly." in html
    assert "Please try again in" in html
    assert "Two, typed again.</textarea>" in html
    assert as_json.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert as_json["Retry-After"]
    assert "Please try again in" in as_json.json()["errors"]["__all__"]
    assert as_json.json()["retryAfter"] >= 1
    assert Comment.objects.count() == 1


def test_a_closed_story_refuses_comments_with_403_and_creates_nothing(client, section):
    closed = make_article(section)
    ArticlePage.objects.filter(pk=closed.pk).update(comments_enabled=False)
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)

    as_html = client.post(post_url(closed), form_data())
    as_json = client.post(post_url(closed), form_data(), **JSON)

    assert as_html.status_code == HTTPStatus.FORBIDDEN
    assert "Comments are closed" in as_html.content.decode()
    assert as_json.status_code == HTTPStatus.FORBIDDEN
    assert not Thread.objects.exists()
    assert not Comment.objects.exists()


def test_a_banned_address_gets_403(client, article, publish_at_once):
    actions.ban(kind=Ban.Kind.EMAIL, value="amal@example.org")

    response = client.post(post_url(article), form_data(), **JSON)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["errors"]["__all__"] == "You cannot comment on this site."
    assert not Comment.objects.exists()


def test_a_filled_honeypot_sends_the_comment_to_spam_and_the_robot_is_told_it_is_held(
    client, article, publish_at_once
):
    response = client.post(post_url(article), form_data(website_confirm="https://spam.example"))

    assert Comment.objects.get().status == Comment.Status.SPAM
    assert response["Location"].endswith("?held=1#respond")


def test_a_comment_sent_within_two_seconds_of_the_form_is_held(client, article, publish_at_once):
    client.post(post_url(article), form_data(rendered_at=sign_rendered_at()))

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert "posted less than 2 seconds after the form was shown" in describe_all(
        comment.moderation_reasons
    )


def test_a_forged_render_stamp_is_as_suspicious_as_posting_at_once(
    client, article, publish_at_once
):
    # One stamp and one rule for the form and the API: no page of ours hands out a forged one.
    client.post(post_url(article), form_data(rendered_at="1700000000.0:forged"))

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert "posted less than 2 seconds after the form was shown" in describe_all(
        comment.moderation_reasons
    )


def test_an_expired_render_stamp_is_ignored(client, article, publish_at_once):
    client.post(post_url(article), form_data(rendered_at=sign_rendered_at(time.time() - 8 * 86400)))

    assert Comment.objects.get().status == Comment.Status.APPROVED


def test_posting_to_a_draft_or_missing_story_is_404(client, section, publish_at_once):
    draft = make_article(section, publish=False)

    assert client.post(post_url(draft), form_data()).status_code == HTTPStatus.NOT_FOUND
    assert (
        client.post("/comments/post/999999/", form_data(), **JSON).status_code
        == HTTPStatus.NOT_FOUND
    )
    assert not Comment.objects.exists()


def test_get_on_the_post_endpoint_changes_nothing(client, article):
    assert client.get(post_url(article)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not Thread.objects.exists()


def test_the_ip_address_comes_from_remote_addr(client, article, publish_at_once):
    client.post(
        post_url(article),
        form_data(),
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )

    assert Comment.objects.get().ip_address == "203.0.113.9"


def test_the_notify_boxes_ask_the_commenter_to_confirm_subscriptions(
    client, article, publish_at_once
):
    from dateline.notifications.models import Subscription

    page = client.get(article.url).content.decode()
    client.post(post_url(article), form_data(notify_comments="1", notify_posts="1"))

    assert "Notify me of new comments via email." in page
    assert "Notify me of new posts via email." in page
    assert f'href="/notifications/follow/{article.pk}/"' in page
    waiting = Subscription.objects.filter(subscriber__email="amal@example.org")
    assert waiting.count() == 2
    assert not waiting.filter(confirmed_at__isnull=False).exists()  # double opt-in first


def test_a_comment_without_the_notify_boxes_subscribes_nobody(client, article, publish_at_once):
    from dateline.notifications.models import Subscription

    client.post(post_url(article), form_data())

    assert not Subscription.objects.exists()
