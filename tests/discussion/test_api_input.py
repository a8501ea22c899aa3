"""Hostile and malformed input to the JSON API: every bad request is a 4xx in JSON, never a 500,
and leaves nothing behind."""

import json
from http import HTTPStatus

import pytest

from dateline.discussion.models import Comment, DiscussionSettings, Thread
from tests.discussion.embed_helpers import API, Api, guest_payload
from tests.factories import discussion_policy, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(section):
    return make_article(section, title="Night trains return")


@pytest.fixture
def api(client, db):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, max_length=2000)
    return Api(client)


def _good(article_id: int) -> dict:
    return guest_payload({"article": article_id})


def _raw(article_id: int, fragment: str) -> bytes:
    """A payload whose body field is the given JSON text, exactly as written."""
    good = json.dumps({k: v for k, v in _good(article_id).items() if k != "body"})
    return (good[:-1] + ', "body": ' + fragment + "}").encode()


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b'"a string"',
        b"null",
        b"42",
        b"{",
        b"",
        b"{'single': 'quotes'}",
        b'{"body": NaN}',
        b'{"body": Infinity}',
        b"\xef\xbb\xbf{}",  # a byte-order mark
        b'{"body": "\xff\xfe"}',  # not UTF-8
        b"[" * 15_000 + b"]" * 15_000,  # deeper than the parser's recursion limit
        b'{"a": ' * 3000 + b"1" + b"}" * 3000,
    ],
)
def test_bodies_that_are_not_a_json_object_answer_400(api, article, payload):
    response = api.post(payload)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "__all__" in response.data["errors"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body": 5}, "body"),
        ({"body": ["text"]}, "body"),
        ({"body": {"$gt": ""}}, "body"),
        ({"name": 1.5}, "name"),
        ({"email": True}, "email"),
        ({"website": ["https://x.example"]}, "website"),
        ({"parent": "1"}, "parent"),
        ({"parent": True}, "parent"),
        ({"parent": 1.0}, "parent"),
        ({"parent": 0}, "parent"),
        ({"parent": -3}, "parent"),
        ({"parent": 10**30}, "parent"),
        ({"honeypot": 0}, "honeypot"),
        ({"form_token": {}}, "form_token"),
        ({"thread": "1"}, "thread"),
        ({"thread": None}, "thread"),
        ({"thread": {}}, "thread"),
        ({"thread": {"article": "1"}}, "article"),
        ({"thread": {"article": True}}, "article"),
        ({"thread": {"article": 2**63}}, "article"),
        ({"thread": {"url": 7}}, "url"),
        ({"thread": {"article": 1, "colour": "red"}}, "colour"),
        ({"is_staff": True}, "is_staff"),
        ({"status": "approved"}, "status"),
        ({"name": "n" * 1001}, "name"),
    ],
)
def test_fields_of_the_wrong_type_or_unknown_fields_are_named(api, article, changes, field):
    payload = _good(article.pk)
    payload.update(changes)

    response = api.post(payload)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.data["errors"]
    assert not Comment.objects.exists()
    assert not Thread.objects.exists()


def test_a_field_sent_twice_is_refused_rather_than_guessed(api, article):
    payload = _raw(article.pk, '"first", "body": "second"')

    response = api.post(payload)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("fragment", "field"),
    [
        ('"lone \\ud800 surrogate"', "body"),
        ('"reversed \\udc00\\ud800 pair"', "body"),
    ],
)
def test_lone_surrogates_are_refused_before_anything_else(api, article, fragment, field):
    response = api.post(_raw(article.pk, fragment))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "not valid UTF-8" in response.data["errors"][field]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("where", ["name", "email", "website", "honeypot"])
def test_lone_surrogates_in_any_field_are_refused(api, article, where):
    text = json.dumps(_good(article.pk)).replace(f'"{where}": "', f'"{where}": "\\udfff', 1)
    if f'"{where}"' not in text:
        text = text[:-1] + f', "{where}": "\\udfff"}}'

    response = api.post(text.encode())

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert where in response.data["errors"]


def test_a_lone_surrogate_in_a_key_is_refused(api, article):
    response = api.post(_raw(article.pk, '"ok", "\\ud800": 1'))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "__all__" in response.data["errors"]


def test_four_byte_characters_are_kept_whole(api, article):
    response = api.post(_good(article.pk) | {"body": "Well said 👏🏽 — شكراً", "name": "𝓗𝓾𝓭𝓪"})

    assert response.status_code == HTTPStatus.CREATED
    comment = Comment.objects.get()
    assert comment.body == "Well said 👏🏽 — شكراً"
    assert comment.author_name == "𝓗𝓾𝓭𝓪"


@pytest.mark.parametrize("body", ["nul \x00 here", "bell \x07", "escape \x1b[31m"])
def test_control_characters_in_the_comment_are_refused(api, article, body):
    response = api.post(_good(article.pk) | {"body": body})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "body" in response.data["errors"]


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "a\x00b"},
        {"email": "a\x00b@example.org"},
        {"website": "https://exa\x00mple.org"},
        {"thread": {"url": "https://blog.example.org/\x00"}},
        {"thread": {"id": "x\x00", "origin": "https://blog.example.org"}},
    ],
)
def test_nul_characters_never_reach_the_database(api, article, changes):
    discussion_policy(
        mode=DiscussionSettings.Mode.PUBLISH, embed_origins="https://blog.example.org"
    )
    payload = _good(article.pk) | changes

    response = api.post(payload)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Comment.objects.exists()


def test_script_in_any_field_comes_back_inert(api, article):
    response = api.post(
        _good(article.pk)
        | {
            "body": "<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1))",
            "name": "<b onmouseover=alert(1)>Huda</b>",
        }
    )

    assert response.status_code == HTTPStatus.CREATED
    html = response.data["comment"]["html"]
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert response.data["comment"]["author"]["name"] == "<b onmouseover=alert(1)>Huda</b>"
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_body_over_the_size_limit_answers_413_without_being_read(api, article):
    payload = _good(article.pk) | {"body": "x" * 100_000}

    response = api.post(payload)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert not Comment.objects.exists()


def test_a_body_larger_than_django_will_read_is_413_too(api, article, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post(_good(article.pk) | {"body": "x" * 1500})

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_bodies_that_are_not_declared_as_json_answer_415(api, article, content_type):
    response = api.post(json.dumps(_good(article.pk)).encode(), content_type=content_type)

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert not Comment.objects.exists()


def test_json_with_an_explicit_utf8_charset_is_accepted(api, article):
    response = api.post(
        json.dumps(_good(article.pk)).encode(), content_type="application/json; charset=UTF-8"
    )

    assert response.status_code == HTTPStatus.CREATED


def test_a_form_post_cannot_reach_the_api(client, article, db):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)

    response = client.post(f"{API}/comments/", {"thread": article.pk, "body": "hi"})

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "params",
    [
        {"article": "１２"},  # full-width digits: isdigit() is not enough
        {"article": "-1"},
        {"article": "0"},
        {"url": "https://blog.example.org/\u202e"},
        {"id": "\u200b" * 300, "origin": "https://blog.example.org"},
    ],
)
def test_hostile_query_strings_never_cause_a_server_error(client, db, params):
    discussion_policy(embed_origins="https://blog.example.org")

    response = client.get(f"{API}/threads/", params)

    assert HTTPStatus.BAD_REQUEST <= response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert response["Content-Type"] == "application/json"


def test_invalid_utf8_in_the_query_string_is_not_a_server_error(client, db):
    response = client.get(f"{API}/threads/?article=1&cursor=%ED%A0%80%FF")

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_a_delete_with_a_malformed_body_is_refused(api, article):
    response = api.client.delete(
        f"{API}/comments/1/", b"{not json", content_type="application/json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_an_edit_needs_a_body_field(api, article):
    posted = api.post(_good(article.pk)).data

    response = api.patch(posted["comment"]["id"], {}, token=posted["edit_token"])

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "body" in response.data["errors"]
