"""Bytes that are not UTF-8, posted through the "Leave a Reply" form (and the edit form).
Django decodes form data leniently, turning a stray byte into U+FFFD; a comment must never be
stored with text the reader did not type, so the form refuses it with the JSON API's message."""

from __future__ import annotations

import json
import time
from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.urls import reverse

from dateline.discussion.forms import sign_rendered_at
from dateline.discussion.models import Comment, DiscussionSettings
from tests.factories import discussion_policy, make_article

pytestmark = pytest.mark.django_db

NOT_UTF8 = "This contains text that is not valid UTF-8."
URLENCODED = "application/x-www-form-urlencoded"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def article(section):
    return make_article(section, title="Date harvest starts early")


@pytest.fixture(autouse=True)
def publish_at_once(db):
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


def raw_form(body: bytes = b"Sweet%20this%20year.", **fields: bytes) -> bytes:
    """An urlencoded body as a client may send it: ``body`` and ``fields`` go in unchanged."""
    given = {
        b"body": body,
        b"name": b"Amal",
        b"email": b"amal%40example.org",
        b"website_confirm": b"",
        b"rendered_at": quote(sign_rendered_at(time.time() - 30)).encode(),
    }
    given.update({name.encode(): value for name, value in fields.items()})
    return b"&".join(name + b"=" + value for name, value in given.items())


def post_url(article) -> str:  # type: ignore[no-untyped-def]
    return reverse("discussion:post", args=[article.pk])


def test_a_percent_encoded_stray_byte_in_the_comment_is_refused_and_nothing_is_stored(
    client, article
):
    response = client.post(
        post_url(article), raw_form(b"Sweet%FF%20this%20year."), content_type=URLENCODED
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert NOT_UTF8 in page
    assert "\ufffd" not in page.split('id="respond"')[0]  # nothing shown in the thread
    assert not Comment.objects.exists()


def test_a_raw_byte_that_is_not_utf8_is_refused_the_same_way(client, article):
    response = client.post(post_url(article), raw_form(b"caf\xe9 au lait"), content_type=URLENCODED)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert NOT_UTF8 in response.content.decode()
    assert not Comment.objects.exists()


def test_the_script_gets_the_refusal_as_json_naming_the_field(client, article):
    response = client.post(
        post_url(article),
        raw_form(name=b"Am%C3al"),  # a two-byte sequence cut short
        content_type=URLENCODED,
        **JSON,
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"name": NOT_UTF8}
    assert not Comment.objects.exists()


def test_a_multipart_post_with_a_stray_byte_is_refused_too(client, article):
    boundary = "dateline-boundary"
    fields = {
        "body": b"Good \xff harvest.",
        "name": b"Amal",
        "email": b"amal@example.org",
        "rendered_at": sign_rendered_at(time.time() - 30).encode(),
    }
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
            for name, value in fields.items()
        )
        + f"--{boundary}--\r\n".encode()
    )

    response = client.post(
        post_url(article),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **JSON,
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"body": NOT_UTF8}
    assert not Comment.objects.exists()


def test_valid_utf8_is_stored_as_typed_including_a_typed_replacement_character(client, article):
    arabic = "موسم التمر بدأ مبكراً"
    text = f"{arabic} \ufffd"

    response = client.post(
        post_url(article), raw_form(quote(text).encode()), content_type=URLENCODED
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert Comment.objects.get().body == text


def test_an_edit_with_a_stray_byte_is_refused_and_the_comment_is_unchanged(client, article):
    posted = client.post(post_url(article), raw_form(), content_type=URLENCODED, **JSON)
    assert posted.status_code == HTTPStatus.CREATED, posted.content
    created = json.loads(posted.content)
    token = quote(created["editToken"]).encode()

    response = client.post(
        reverse("discussion:edit", args=[created["id"]]),
        b"token=" + token + b"&body=Changed%FF%20mind.",
        content_type=URLENCODED,
        **JSON,
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"body": NOT_UTF8}
    assert Comment.objects.get().body == "Sweet this year."


@pytest.mark.parametrize(
    "body",
    [
        b'--x\r\nContent-Disposition: form-data; name="body"\r\nContent-Type: text/plain; charset="nonsense-charset"\r\n\r\nhello\r\n--x--\r\n',
        b'--x\r\nContent-Disposition: form-data; name*="\r\n\r\n\r\n--x',
        b"\x00\xff garbage with no boundary at all",
    ],
)
def test_a_malformed_multipart_body_is_a_clear_refusal_never_a_500(client, article, body):
    response = client.generic(
        "POST",
        f"/comments/post/{article.pk}/",
        body,
        content_type="multipart/form-data; boundary=x",
    )

    assert 400 <= response.status_code < 500
    assert not Comment.objects.exists()
