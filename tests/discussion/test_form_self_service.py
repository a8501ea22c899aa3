"""Authors change or delete their own comment within the edit window, with the signed token
their browser kept when it posted (the page's script sends it to these endpoints)."""

import time
from http import HTTPStatus

import pytest
from django.core import signing
from django.test import Client

from dateline.discussion import actions
from dateline.discussion.models import Comment, DiscussionSettings
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def policy(db):
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, edit_window_minutes=10)


@pytest.fixture
def comment(section, policy):
    article = make_article(section, title="Market prices steady")
    return post_guest_comment(article, "Prices went up, not down.", policy=policy)


def expired_token(comment):
    class HourAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 3600)

    return HourAgo(salt=actions.EDIT_TOKEN_SALT).sign_object(comment.pk, compress=True)


def test_the_author_edits_their_comment_and_it_says_edited(client, comment):
    response = client.post(
        f"/comments/{comment.pk}/edit/",
        {"token": actions.edit_token(comment), "body": "Prices went **down**, not up."},
        **JSON,
    )

    comment.refresh_from_db()
    assert response.status_code == HTTPStatus.OK
    assert response.json()["bodyHtml"] == "<p>Prices went <strong>down</strong>, not up.</p>"
    assert comment.edited_at is not None
    page = client.get(comment.thread.article.url).content.decode()
    assert "(edited)</span>" in page
    assert "<strong>down</strong>" in page


def test_an_edit_that_breaks_the_rules_is_refused_with_the_reason(client, comment):
    response = client.post(
        f"/comments/{comment.pk}/edit/", {"token": actions.edit_token(comment), "body": " "}, **JSON
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["body"] == "Please write a comment."


def test_an_edit_that_now_needs_moderation_is_held(client, comment):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, moderation_words="ferry")

    response = client.post(
        f"/comments/{comment.pk}/edit/",
        {"token": actions.edit_token(comment), "body": "About the ferry."},
        **JSON,
    )

    assert response.json()["status"] == "pending"
    assert "About the ferry." not in client.get(comment.thread.article.url).content.decode()


def test_the_author_deletes_their_comment(client, comment):
    response = client.post(
        f"/comments/{comment.pk}/delete/", {"token": actions.edit_token(comment)}, **JSON
    )

    comment.refresh_from_db()
    assert response.status_code == HTTPStatus.OK
    assert comment.status == Comment.Status.TRASH
    assert comment.removed_by_author
    assert "Prices went up" not in client.get(comment.thread.article.url).content.decode()


def test_without_the_token_nobody_else_can_edit_or_delete(client, comment, section, policy):
    other = post_guest_comment(comment.thread.article, "Mine.", policy=policy)
    wrong = actions.edit_token(other)

    edit = client.post(
        f"/comments/{comment.pk}/edit/", {"token": wrong, "body": "Hijacked"}, **JSON
    )
    delete = client.post(f"/comments/{comment.pk}/delete/", {"token": "forged"}, **JSON)
    missing = client.post(f"/comments/{comment.pk}/delete/", {}, **JSON)

    assert edit.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert missing.status_code == HTTPStatus.BAD_REQUEST
    comment.refresh_from_db()
    assert comment.body == "Prices went up, not down."
    assert comment.status == Comment.Status.APPROVED


def test_after_the_edit_window_the_token_no_longer_works(client, comment):
    response = client.post(
        f"/comments/{comment.pk}/edit/",
        {"token": expired_token(comment), "body": "Too late."},
        **JSON,
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["errors"]["__all__"] == "This comment can no longer be edited."


def test_editing_a_missing_comment_is_404(client, db):
    response = client.post("/comments/424242/edit/", {"token": "x", "body": "y"}, **JSON)

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_self_service_needs_a_csrf_token(comment):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        f"/comments/{comment.pk}/delete/", {"token": actions.edit_token(comment)}, **JSON
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["csrf"] is True
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED


def test_edit_and_delete_only_accept_post(client, comment):
    assert client.get(f"/comments/{comment.pk}/edit/").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert (
        client.get(f"/comments/{comment.pk}/delete/").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    )


def test_a_plain_form_delete_redirects_back_to_the_thread(client, comment):
    response = client.post(
        f"/comments/{comment.pk}/delete/", {"token": actions.edit_token(comment)}
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == f"{comment.thread.article.url}#comments"
