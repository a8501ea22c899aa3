"""Posting through the comment form as the signed-in identity: the form's guest fields are
ignored, and trust and bans follow the identity."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from django.urls import reverse

from dateline.discussion import actions as discussion_actions
from dateline.discussion.forms import sign_rendered_at
from dateline.discussion.models import Ban, Comment, Commenter, DiscussionSettings
from tests.factories import discussion_policy
from tests.identity.test_comment_form_sign_in import sign_in

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def omar(db) -> Commenter:
    return Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER,
        provider="wordpress_com",
        subject="81234567",
        display_name="Omar Saleh",
        email="omar@example.net",
        email_verified=True,
        website="https://gravatar.com/omar",
    )


def post(client, article, **fields):
    data = {
        "body": "The timetable is online now.",
        "name": "",
        "email": "",
        "website": "",
        "parent": "",
        "website_confirm": "",
        "rendered_at": sign_rendered_at(time.time() - 30),
        **fields,
    }
    return client.post(reverse("discussion:post", args=[article.pk]), data, **JSON)


def test_a_signed_in_reader_posts_as_their_identity_and_the_guest_fields_are_ignored(
    client, article, omar, publish_policy
):
    sign_in(client, omar)

    answer = post(client, article, name="Someone Else", email="other@example.org")

    assert answer.status_code == HTTPStatus.CREATED, answer.content
    comment = Comment.objects.get()
    assert comment.commenter == omar
    assert comment.author_name == "Omar Saleh"
    assert comment.author_website == "https://gravatar.com/omar"
    assert not Commenter.objects.filter(provider="guest").exists()


def test_trust_follows_the_identity(client, article, omar):
    discussion_policy(mode=DiscussionSettings.Mode.HOLD_NEW, trusted_after=1)
    sign_in(client, omar)

    post(client, article, body="First.")
    discussion_actions.set_status(
        comments=Comment.objects.all(), status=Comment.Status.APPROVED, moderator=None
    )
    post(client, article, body="Second.")

    assert Comment.objects.get(body="Second.").status == Comment.Status.APPROVED


def test_a_ban_on_the_identity_holds_whatever_the_form_says(client, article, omar, publish_policy):
    discussion_actions.ban(kind=Ban.Kind.COMMENTER, commenter=omar)
    sign_in(client, omar)

    answer = post(client, article, name="New Name", email="fresh@example.org")

    assert answer.status_code == HTTPStatus.FORBIDDEN
    assert not Comment.objects.exists()


def test_after_log_out_the_same_browser_posts_as_a_guest_again(
    client, article, omar, publish_policy
):
    sign_in(client, omar)
    client.post("/identity/sign-out/", {"next": article.url})

    answer = post(client, article, name="Omar as a guest", email="omar@example.net")

    assert answer.status_code == HTTPStatus.CREATED
    assert Comment.objects.get().commenter.provider == "guest"
