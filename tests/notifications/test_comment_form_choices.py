"""The comment form's notify boxes over HTTP: every new comment or only replies to mine, a
plain radio choice that works without JavaScript and is the same markup for every reader."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from dateline.discussion.forms import sign_rendered_at
from dateline.discussion.models import Comment
from dateline.notifications.models import Subscription

pytestmark = pytest.mark.django_db


def comment_form(**overrides: str) -> dict[str, str]:
    """What a reader who took half a minute to write would send."""
    return {
        "body": "Glad the bridge is open again.",
        "name": "Amal Hassan",
        "email": "amal@example.org",
        "website": "",
        "parent": "",
        "website_confirm": "",
        "rendered_at": sign_rendered_at(time.time() - 30),
        **overrides,
    }


def post(client: Client, article, **fields: str):
    return client.post(reverse("discussion:post", args=[article.pk]), comment_form(**fields))


def kinds() -> list[str]:
    return sorted(Subscription.objects.values_list("kind", flat=True))


def test_the_form_offers_all_comments_or_only_replies_as_a_labelled_radio_choice(
    client, article, publish_at_once
):
    page = client.get(article.url).content.decode()

    assert '<fieldset class="respond__notify-scope" id="comment-notify-scope">' in page
    assert "<legend>Which comments should we email you about?</legend>" in page
    assert (
        '<input id="comment-notify-scope-all" type="radio" name="notify_scope" value="all" checked>'
        in page
    )
    assert '<label for="comment-notify-scope-all">All new comments on this story</label>' in page
    assert (
        '<input id="comment-notify-scope-replies" type="radio" name="notify_scope" value="replies">'
        in page
    )
    assert '<label for="comment-notify-scope-replies">Only replies to my comments</label>' in page


def test_choosing_only_replies_subscribes_to_replies_to_my_comments(
    client, article, publish_at_once
):
    answer = post(client, article, notify_comments="1", notify_scope="replies")

    assert answer.status_code == HTTPStatus.SEE_OTHER
    assert Comment.objects.get().status == Comment.Status.APPROVED
    [subscription] = Subscription.objects.select_related("subscriber")
    assert subscription.kind == Subscription.Kind.REPLIES
    assert subscription.subscriber.email == "amal@example.org"
    assert subscription.thread is not None
    assert subscription.thread.article_id == article.pk
    assert not subscription.is_active  # a guest confirms by email first


def test_the_default_choice_subscribes_to_every_new_comment(client, article, publish_at_once):
    post(client, article, notify_comments="1", notify_scope="all")

    assert kinds() == [Subscription.Kind.COMMENTS]


def test_a_form_without_the_choice_still_means_every_new_comment(client, article, publish_at_once):
    # An older cached page, or a script that only sends the box.
    post(client, article, notify_comments="1")

    assert kinds() == [Subscription.Kind.COMMENTS]


def test_only_replies_without_the_box_ticked_subscribes_nobody(client, article, publish_at_once):
    post(client, article, notify_scope="replies")

    assert kinds() == []


def test_the_replies_choice_goes_with_new_posts_in_one_confirmation(
    client, article, publish_at_once
):
    post(client, article, notify_comments="1", notify_scope="replies", notify_posts="1")

    assert kinds() == [Subscription.Kind.POSTS, Subscription.Kind.REPLIES]


def test_a_form_shown_again_with_errors_keeps_the_readers_choice(client, article, publish_at_once):
    page = post(client, article, body="", notify_comments="1", notify_scope="replies")

    html = page.content.decode()
    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert (
        '<input id="comment-notify-scope-replies" type="radio" name="notify_scope" '
        'value="replies" checked>' in html
    )
    assert 'name="notify_scope" value="all">' in html
    assert not Subscription.objects.exists()


def test_the_cached_article_serves_the_same_choice_to_every_reader(
    settings, article, publish_at_once
):
    settings.DATELINE_PAGE_CACHE = True
    caches["pages"].clear()
    try:
        first = Client().get(article.url)
        second = Client().get(article.url)
    finally:
        caches["pages"].clear()

    assert second["X-Cache"] == "hit"
    assert 'name="notify_scope" value="all" checked>' in second.content.decode()
    assert first.content == second.content
