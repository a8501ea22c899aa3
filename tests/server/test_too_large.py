"""A form post larger than the site reads (``DATA_UPLOAD_MAX_MEMORY_SIZE``) gets a readable 413
page in the reader's language, never Django's bare 400, and nothing is stored."""

from __future__ import annotations

import contextlib
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


@pytest.mark.django_db(transaction=True)
def test_an_early_413_closes_the_connection_so_the_unread_body_is_never_a_request(section):
    """The API refuses a body from its Content-Length without reading it. The connection then
    still holds that body; ``Connection: close`` ends it there, rather than the server reading
    the body as the next request (here a body that looks like one)."""
    import socket

    from tests.servers import running_server

    article = make_article(section, title="Rain expected all week")
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    body = smuggled + b"x" * (400_000 - len(smuggled))
    with running_server("--no-worker", "--workers", "1") as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
            conn.sendall(
                b"POST /comments/api/comments/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += conn.recv(65536)
            with contextlib.suppress(OSError):  # already closed: what we want
                conn.sendall(body + b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            with contextlib.suppress(ConnectionResetError):
                while chunk := conn.recv(65536):
                    answer += chunk

    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 413")
    assert b"connection: close" in head
    # One answer only: neither the body nor the request after it was served.
    assert answer.count(b"HTTP/1.1 ") == 1
    assert article.pk  # the story existed; nothing was posted to it
    assert not Comment.objects.exists()
