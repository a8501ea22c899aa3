"""A form post larger than the site reads (``DATA_UPLOAD_MAX_MEMORY_SIZE``) gets a readable 413
page in the reader's language, never Django's bare 400, and nothing is stored."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from dateline.discussion.models import Comment
from tests.factories import discussion_policy, make_article

pytestmark = pytest.mark.django_db


def test_an_enormous_form_post_is_a_readable_413(client, section, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    discussion_policy()
    article = make_article(section, title="Rain expected all week")

    response = client.post(
        f"/comments/post/{article.pk}/",
        {"body": "word " * 5_000, "name": "Huda", "email": "huda@example.org"},
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    page = response.content.decode()
    assert "<h1>Too much to send</h1>" in page
    assert "your text is still in the form" in page
    assert not Comment.objects.exists()


def test_the_page_speaks_arabic_to_an_arabic_reader(client, section, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    article = make_article(section, title="Rain expected all week")

    response = client.post(
        f"/comments/post/{article.pk}/",
        {"body": "كلمة " * 5_000},
        HTTP_ACCEPT_LANGUAGE="ar",
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert 'lang="ar"' in response.content.decode()
    assert "Too much to send" not in response.content.decode()


def test_other_bad_requests_keep_djangos_400(client, home):
    response = client.get("/", HTTP_HOST="bad host name")
    assert response.status_code == HTTPStatus.BAD_REQUEST
