"""The cached article page carries no CSRF token, so a reader without JavaScript posts without
one: nothing is stored, a "Check your comment" page asks once more, with a token, and that
second post goes through. Nothing ever changes without a valid token."""

import re
import time
from http import HTTPStatus

import pytest
from django.test import Client

from dateline.discussion.forms import sign_rendered_at
from dateline.discussion.models import Comment, DiscussionSettings, Thread
from tests.factories import discussion_policy, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(section):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    return make_article(section, title="Library reopens its reading room")


@pytest.fixture
def strict():
    return Client(enforce_csrf_checks=True)


def typed(**overrides):
    data = {
        "body": "Wonderful news <3 — see you there.",
        "name": "Nour",
        "email": "nour@example.org",
        "website": "https://nour.example",
        "parent": "",
        "website_confirm": "",
        "rendered_at": sign_rendered_at(time.time() - 40),
    }
    data.update(overrides)
    return data


def hidden_inputs(html):
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_a_post_without_a_token_stores_nothing_and_asks_to_confirm(strict, article):
    response = strict.post(f"/comments/post/{article.pk}/", typed())

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert not Comment.objects.exists()
    assert not Thread.objects.exists()
    assert "<h1>Check your comment</h1>" in html
    assert "Wonderful news &lt;3 — see you there.</textarea>" in html
    assert 'value="Nour"' in html
    assert 'value="nour@example.org"' in html
    assert 'value="https://nour.example"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert ">Post comment</button>" in html
    assert "csrftoken" in response.cookies
    assert "no-store" in response["Cache-Control"]


def test_confirming_with_the_token_and_cookie_posts_the_comment(strict, article):
    first = strict.post(f"/comments/post/{article.pk}/", typed())
    fields = hidden_inputs(first.content.decode())

    second = strict.post(
        f"/comments/post/{article.pk}/",
        typed(csrfmiddlewaretoken=fields["csrfmiddlewaretoken"], rendered_at=fields["rendered_at"]),
    )

    comment = Comment.objects.get()
    assert second.status_code == HTTPStatus.SEE_OTHER
    assert second["Location"].endswith(f"#comment-{comment.pk}")
    assert comment.body == "Wonderful news <3 — see you there."
    assert comment.author_website == "https://nour.example"


def test_the_confirmation_keeps_the_reply_target(strict, article):
    from tests.factories import post_guest_comment

    parent = post_guest_comment(article, "Original.", name="Layla")

    html = strict.post(
        f"/comments/post/{article.pk}/", typed(parent=str(parent.pk))
    ).content.decode()

    assert "Leave a Reply to <bdi>Layla</bdi>" in html
    assert hidden_inputs(html)["parent"] == str(parent.pk)


def test_a_token_for_the_wrong_cookie_is_not_enough(strict, article):
    strict.get("/comments/session/")

    response = strict.post(f"/comments/post/{article.pk}/", typed(csrfmiddlewaretoken="a" * 64))

    assert response.status_code == HTTPStatus.OK
    assert "Check your comment" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_post_from_another_origin_is_never_stored_even_with_a_token(strict, article):
    token = strict.get("/comments/session/").json()["csrfToken"]

    response = strict.post(
        f"/comments/post/{article.pk}/",
        typed(csrfmiddlewaretoken=token),
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == HTTPStatus.OK
    assert not Comment.objects.exists()


def test_the_script_without_a_token_gets_a_403_it_can_recover_from(strict, article):
    refused = strict.post(f"/comments/post/{article.pk}/", typed(), HTTP_ACCEPT="application/json")
    token = strict.get("/comments/session/").json()["csrfToken"]
    accepted = strict.post(
        f"/comments/post/{article.pk}/",
        typed(),
        HTTP_ACCEPT="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json()["csrf"] is True
    assert accepted.status_code == HTTPStatus.CREATED
    assert Comment.objects.count() == 1
