"""The cached article page carries no CSRF token. A browser that holds no session posts from
our own page without one and goes straight through (POST, redirect, GET): its Origin, or
Sec-Fetch-Site, says the form was ours. Any other token-less post (a session to protect, a
foreign or missing origin) stores nothing: a "Check your comment" page asks once more, with
a token, and that second post goes through."""

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


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ORIGIN": "http://testserver"}, {"HTTP_SEC_FETCH_SITE": "same-origin"}],
    ids=["origin", "sec-fetch-site"],
)
def test_a_reader_without_a_session_posts_from_our_own_page_in_one_go(strict, article, headers):
    response = strict.post(f"/comments/post/{article.pk}/", typed(), **headers)

    comment = Comment.objects.get()
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert comment.body == "Wonderful news <3 — see you there."


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "https://testserver"},  # the right host on the wrong scheme
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_REFERER": "http://testserver/news/"},  # a Referer alone is not enough
    ],
    ids=["foreign", "null", "scheme", "cross-site", "same-site", "referer"],
)
def test_a_token_less_post_not_shown_to_be_ours_only_asks_to_confirm(strict, article, headers):
    response = strict.post(f"/comments/post/{article.pk}/", typed(), **headers)

    assert response.status_code == HTTPStatus.OK
    assert "<h1>Check your comment</h1>" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_browser_with_a_session_needs_the_token_even_from_our_own_page(strict, article):
    session = strict.session  # any session at all: a signed-in reader's, an editor's
    session["seen"] = True
    session.save()

    response = strict.post(
        f"/comments/post/{article.pk}/", typed(), HTTP_ORIGIN="http://testserver"
    )

    assert response.status_code == HTTPStatus.OK
    assert "<h1>Check your comment</h1>" in response.content.decode()
    assert not Comment.objects.exists()
