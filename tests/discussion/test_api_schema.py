"""The published OpenAPI document: served, well formed, covering every route, and strict
enough for validating against it to mean something. (Every response in the other API tests
is validated against it through ``embed_helpers.Api``.)"""

import json
import re
from http import HTTPStatus

import pytest
from django.urls import URLPattern

from dateline.discussion import api_urls
from tests.discussion.embed_helpers import API, check_schema, resolve, served_schema

pytestmark = pytest.mark.django_db


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _allows_null(spec):
    return spec.get("type") == "null" or any(_allows_null(o) for o in spec.get("anyOf", []))


def test_the_schema_is_served_as_openapi_3_1_with_the_server_address(client):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == HTTPStatus.OK
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1.")
    assert document["servers"] == [{"url": "http://testserver"}]
    assert "public" in response["Cache-Control"]


def test_every_reference_in_the_schema_resolves():
    document = served_schema()

    for ref in set(_refs(document)):
        assert resolve(document, ref) is not None


def test_every_api_route_is_described():
    described = set(served_schema()["paths"])
    routes = set()
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name == "not_found":
            continue
        route = re.sub(r"<\w+:(\w+)>", r"{id}", str(pattern.pattern))
        routes.add(f"{API}/{route}")

    assert routes == described


def test_every_operation_documents_its_errors_as_the_error_schema():
    document = served_schema()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path.endswith("openapi.json"):
                continue
            assert "400" in operation["responses"], (method, path)
            assert "403" in operation["responses"], (method, path)
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


@pytest.mark.parametrize(
    ("name", "required"),
    [
        ("NewComment", {"thread", "body"}),
        ("ThreadRef", set()),
        ("CommentEdit", {"body"}),
        ("CommentDelete", set()),
    ],
)
def test_request_bodies_name_their_required_fields_and_refuse_any_other(name, required):
    schema = served_schema()["components"]["schemas"][name]

    assert schema["additionalProperties"] is False
    assert set(schema.get("required", [])) == required


@pytest.mark.parametrize(
    "name", ["Author", "Comment", "Thread", "ThreadPage", "ReplyPage", "PostedComment", "Error"]
)
def test_answers_declare_every_field_they_may_carry_and_which_they_always_do(name):
    schema = served_schema()["components"]["schemas"][name]

    assert schema["additionalProperties"] is False
    assert schema["required"]
    for field, spec in schema["properties"].items():
        if field not in schema["required"]:
            # A field that may be left out is left out, never sent as null.
            assert not _allows_null(spec), (name, field)


def test_null_is_allowed_only_where_it_is_sent():
    schemas = served_schema()["components"]["schemas"]
    nullable = {
        (name, field)
        for name in ("Author", "Comment", "ThreadPage", "ReplyPage", "PostedComment", "Thread")
        for field, spec in schemas[name]["properties"].items()
        if _allows_null(spec)
    }

    assert nullable == {
        ("Author", "website"),
        ("Comment", "parent"),
        ("Comment", "edited"),
        ("ThreadPage", "next"),
        ("ThreadPage", "previous"),
        ("ReplyPage", "next"),
    }


def test_the_validator_used_by_the_api_tests_notices_what_it_should():
    document = served_schema()
    comment = {"$ref": "#/components/schemas/Comment"}
    good = {
        "id": 1,
        "parent": None,
        "depth": 0,
        "author": {"name": "A", "website": None},
        "html": "<p>x</p>",
        "created": "2024-05-01T10:00:00+00:00",
        "edited": None,
        "removed": False,
        "useful": 0,
        "replies": [],
    }
    check_schema(good, comment, document)

    for broken in (
        {**good, "email": "leak@example.org"},
        {**good, "id": "1"},
        {**good, "removed": 0},
        {**good, "useful": -1},
        {**good, "created": "yesterday"},
        {**good, "replies": [{"id": 2}]},
        {k: v for k, v in good.items() if k != "html"},
    ):
        with pytest.raises(AssertionError):
            check_schema(broken, comment, document)
