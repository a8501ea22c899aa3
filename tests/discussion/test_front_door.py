"""One front door: the form and the JSON API post through the same write function, and a
refused first comment leaves nothing behind through either — not even the story's thread."""

import time
from http import HTTPStatus

import pytest
from django.urls import reverse

from dateline.discussion import actions
from dateline.discussion.forms import sign_rendered_at
from dateline.discussion.models import Ban, Comment, Commenter, DiscussionSettings, Thread
from dateline.newsroom.models import ArticlePage
from tests.discussion.embed_helpers import Api, guest_payload
from tests.factories import discussion_policy, make_article

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def article(section):
    return make_article(section, title="Ferry timetable changes in spring")


@pytest.fixture
def policy(db):
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


@pytest.fixture
def writes(monkeypatch):
    """Every call to the one write function, recorded; the real function still runs."""
    calls = []
    real = actions.post_comment

    def recording(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(actions, "post_comment", recording)
    return calls


def through_the_form(client, article, **fields):
    data = {
        "body": "The spring timetable suits commuters.",
        "name": "Nour",
        "email": "nour@example.org",
        "rendered_at": sign_rendered_at(time.time() - 30),
        **fields,
    }
    return client.post(reverse("discussion:post", args=[article.pk]), data, **JSON)


def through_the_api(client, article, **fields):
    payload = guest_payload({"article": article.pk}, name="Nour", email="nour@example.org")
    payload.update(fields)
    return Api(client).post(payload)


REFUSALS = [
    pytest.param({"body": "   "}, HTTPStatus.BAD_REQUEST, id="empty body"),
    pytest.param({"email": "not-an-address"}, HTTPStatus.BAD_REQUEST, id="bad email"),
    pytest.param({"parent": 999_999}, HTTPStatus.BAD_REQUEST, id="reply to nothing"),
    pytest.param({"email": "banned@example.org"}, HTTPStatus.FORBIDDEN, id="banned address"),
]


@pytest.mark.parametrize("post", [through_the_form, through_the_api], ids=["form", "api"])
@pytest.mark.parametrize(("fields", "status"), REFUSALS)
def test_a_refused_first_comment_leaves_no_thread_behind(
    client, article, policy, writes, post, fields, status
):
    actions.ban(kind=Ban.Kind.EMAIL, value="banned@example.org")

    response = post(client, article, **fields)

    assert response.status_code == status
    assert len(writes) == 1  # refused by the one write function, not before it
    assert not Thread.objects.exists()
    assert not Comment.objects.exists()
    assert not Commenter.objects.exists()


@pytest.mark.parametrize("post", [through_the_form, through_the_api], ids=["form", "api"])
def test_a_comment_on_a_closed_story_is_refused_without_a_thread(
    client, section, policy, writes, post
):
    closed = make_article(section, title="Archive notice")
    ArticlePage.objects.filter(pk=closed.pk).update(comments_enabled=False)

    response = post(client, closed)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Thread.objects.exists()


def test_the_form_and_the_api_give_the_same_errors_for_the_same_comment(client, article, policy):
    bad = {"body": "", "email": "nope", "website": "javascript:alert(1)"}

    form = through_the_form(client, article, **bad).json()["errors"]
    api = through_the_api(client, article, **bad).json()["errors"]

    assert form == api
    assert set(form) == {"body", "email", "website"}


def test_an_accepted_first_comment_creates_the_thread_with_it(client, article, policy, writes):
    form = through_the_form(client, article)
    api = through_the_api(client, article, body="And the Friday late boat returns.")

    assert (form.status_code, api.status_code) == (HTTPStatus.CREATED, HTTPStatus.CREATED)
    assert len(writes) == 2
    thread = Thread.objects.get()
    assert thread.article_id == article.pk
    assert thread.approved_count == 2
