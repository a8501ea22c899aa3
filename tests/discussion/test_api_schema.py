"""The published OpenAPI document: served, well formed, and covering every route. (Every
response in the other API tests is validated against it through ``embed_helpers.Api``.)"""

import json
import re
from http import HTTPStatus

import pytest
from django.urls import URLPattern

from dateline.discussion import api_urls, openapi
from tests.discussion.embed_helpers import API, check_schema, resolve

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


def test_the_schema_is_served_as_openapi_3_1_with_the_server_address(client):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == HTTPStatus.OK
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1.")
    assert document["servers"] == [{"url": "http://testserver"}]
    assert "public" in response["Cache-Control"]


def test_every_reference_in_the_schema_resolves():
    document = openapi.schema()

    for ref in set(_refs(document)):
        assert resolve(document, ref) is not None


def test_every_api_route_is_described():
    described = set(openapi.schema()["paths"])
    routes = set()
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name == "not_found":
            continue
        route = re.sub(r"<\w+:(\w+)>", r"{id}", str(pattern.pattern))
        routes.add(f"{API}/{route}")

    assert routes == described


def test_every_operation_documents_its_errors_as_the_error_schema():
    document = openapi.schema()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path.endswith("openapi.json"):
                continue
            assert "400" in operation["responses"], (method, path)
            assert "403" in operation["responses"], (method, path)


def test_the_validator_used_by_the_api_tests_notices_what_it_should():
    document = openapi.schema()
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
        "replies": [],
    }
    check_schema(good, comment, document)

    for broken in (
        {**good, "email": "leak@example.org"},
        {**good, "id": "1"},
        {**good, "removed": 0},
        {**good, "created": "yesterday"},
        {**good, "replies": [{"id": 2}]},
        {k: v for k, v in good.items() if k != "html"},
    ):
        with pytest.raises(AssertionError):
            check_schema(broken, comment, document)
