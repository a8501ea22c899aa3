"""Helpers for the JSON API and embed tests: a client that checks every answer against the
published OpenAPI document, a small JSON Schema validator, a second site on its own origin,
and a Chromium driven from a thread of its own for the embed's browser tests.

``jsonschema`` is used when it is installed; otherwise the subset of JSON Schema 2020-12 that
``dateline/discussion/openapi.py`` uses is checked here (type, enum, required, properties,
additionalProperties, items, anyOf/oneOf, minimum, min/maxLength, minProperties, $ref and the
date-time/uri formats)."""

from __future__ import annotations

import datetime
import http.server
import json
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from django.test import Client

from dateline.discussion import openapi
from tests.browser import CHROMIUM_ARGS, chromium_path, playwright_sync_api

try:  # pragma: no cover - depends on the environment
    import jsonschema
except ImportError:  # pragma: no cover
    jsonschema = None

API = "/comments/api"
BROWSER_SCENARIO_TIMEOUT = 120  # seconds; every step inside has its own 10 s limit


# Schema checking -------------------------------------------------------------------------


def resolve(document: Mapping[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _check_format(value: str, fmt: str, where: str) -> None:
    if fmt == "date-time":
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise AssertionError(f"{where}: {value!r} is not a date-time") from None
        assert parsed.tzinfo is not None, f"{where}: {value!r} has no time zone"
    elif fmt == "uri":
        parts = urlsplit(value)
        assert parts.scheme, f"{where}: {value!r} is not an absolute URI"
        assert parts.netloc, f"{where}: {value!r} is not an absolute URI"


def check_schema(
    value: Any, schema: Mapping[str, Any], document: Mapping[str, Any], where: str = "$"
) -> None:
    """Raise AssertionError naming the first place where ``value`` breaks ``schema``."""
    if "$ref" in schema:
        check_schema(value, resolve(document, schema["$ref"]), document, where)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_TYPES[t](value) for t in types), f"{where}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "anyOf" in schema:
        passed = 0
        for option in schema["anyOf"]:
            try:
                check_schema(value, option, document, where)
                passed += 1
            except AssertionError:
                pass
        assert passed, f"{where}: matches none of anyOf"
    if "oneOf" in schema:
        passed = 0
        for option in schema["oneOf"]:
            try:
                check_schema(value, option, document, where)
                passed += 1
            except AssertionError:
                pass
        assert passed == 1, f"{where}: matches {passed} of oneOf"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{where}: {name!r} is required"
        assert len(value) >= schema.get("minProperties", 0), f"{where}: too few properties"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                check_schema(item, properties[name], document, f"{where}.{name}")
            elif extra is False:
                raise AssertionError(f"{where}: {name!r} is not in the schema")
            elif isinstance(extra, dict):
                check_schema(item, extra, document, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            check_schema(item, schema["items"], document, f"{where}[{index}]")
    if isinstance(value, str):
        assert len(value) >= schema.get("minLength", 0), f"{where}: too short"
        if "maxLength" in schema:
            assert len(value) <= schema["maxLength"], f"{where}: too long"
        if "format" in schema:
            _check_format(value, schema["format"], where)
    if isinstance(value, int | float) and not isinstance(value, bool) and "minimum" in schema:
        assert value >= schema["minimum"], f"{where}: {value} < {schema['minimum']}"


def validate(value: Any, schema: Mapping[str, Any], document: Mapping[str, Any]) -> None:
    if jsonschema is not None:  # pragma: no cover - when installed
        rooted = {**schema, "components": document["components"]}
        try:
            jsonschema.validate(value, rooted, cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as error:
            raise AssertionError(str(error)) from None
    check_schema(value, schema, document)


def check_against_openapi(response: Any, *, method: str, path: str) -> Any:
    """Assert the response is documented for ``method path`` and matches its schema; return
    the decoded JSON (or None for an empty answer)."""
    document = openapi.schema()
    operation = document["paths"][path][method.lower()]
    spec = operation["responses"].get(str(response.status_code))
    assert spec is not None, f"{method} {path} answered {response.status_code}, not documented"
    if "$ref" in spec:
        spec = resolve(document, spec["$ref"])
    content = spec.get("content")
    if content is None:
        assert response.content == b""
        return None
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = json.loads(response.content)
    validate(data, content["application/json"]["schema"], document)
    for name in spec.get("headers", {}):
        assert response.has_header(name), f"{name} header missing"
    return data


class Api:
    """The JSON API over Django's test client; every answer is checked against the schema."""

    def __init__(self, client: Client, origin: str | None = None) -> None:
        self.client = client
        self.origin = origin

    def _headers(self, extra: Mapping[str, str]) -> dict[str, str]:
        headers = {"Origin": self.origin} if self.origin else {}
        headers.update(extra)
        return headers

    def thread(self, **params: Any) -> Any:
        response = self.client.get(f"{API}/threads/", params, headers=self._headers({}))
        response.data = check_against_openapi(response, method="GET", path=f"{API}/threads/")
        return response

    def replies(self, comment_id: int, **params: Any) -> Any:
        path = f"{API}/comments/{comment_id}/replies/"
        response = self.client.get(path, params, headers=self._headers({}))
        response.data = check_against_openapi(
            response, method="GET", path=f"{API}/comments/{{id}}/replies/"
        )
        return response

    def post(self, payload: Any, **headers: str) -> Any:
        response = self.client.post(
            f"{API}/comments/",
            json.dumps(payload) if not isinstance(payload, bytes) else payload,
            content_type=headers.pop("content_type", "application/json"),
            headers=self._headers(headers),
        )
        response.data = check_against_openapi(response, method="POST", path=f"{API}/comments/")
        return response

    def patch(self, comment_id: int, payload: Any, *, token: str = "", **headers: str) -> Any:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.patch(
            f"{API}/comments/{comment_id}/",
            json.dumps(payload) if not isinstance(payload, bytes) else payload,
            content_type="application/json",
            headers=self._headers(headers),
        )
        response.data = check_against_openapi(
            response, method="PATCH", path=f"{API}/comments/{{id}}/"
        )
        return response

    def delete(
        self, comment_id: int, *, token: str = "", payload: Any = None, **headers: str
    ) -> Any:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.delete(
            f"{API}/comments/{comment_id}/",
            json.dumps(payload) if payload is not None else "",
            content_type="application/json",
            headers=self._headers(headers),
        )
        response.data = check_against_openapi(
            response, method="DELETE", path=f"{API}/comments/{{id}}/"
        )
        return response


def guest_payload(thread: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "thread": dict(thread),
        "body": "A careful, considered comment.",
        "name": "Huda",
        "email": "huda@example.org",
        "website": "",
    }
    payload.update(fields)
    return payload


# Browser fixtures ---------------------------------------------------------------------------


class HostSite:
    """Another site on its own origin: a static HTTP server on 127.0.0.1 serving ``pages``."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def origin(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def __enter__(self) -> HostSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def in_browser[T](scenario: Callable[[Any], T]) -> T:
    """Run ``scenario(page)`` in a fresh Chromium (Debian's; Playwright cannot download one
    here), driven from a thread of its own.

    Its own thread because Playwright's sync API keeps an event loop on the thread that starts
    it: a session-wide browser started by other test modules (tests/browser.py) would make a
    second start on the same thread fail, and the test's own ORM calls would meet that loop.
    Here the browser never shares a thread with the database: set up and check data in the
    test, drive the page in ``scenario``. Exceptions (failed expectations) come back raised."""
    # Skipped without Chromium or Playwright, except in CI, where that fails (tests/browser.py).
    executable = chromium_path()
    sync_api = playwright_sync_api()

    def run() -> T:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(executable), args=CHROMIUM_ARGS, timeout=30_000
            )
            try:
                context = browser.new_context(locale="en-GB")
                context.set_default_timeout(10_000)
                page = context.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.console_errors = errors
                return scenario(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium") as pool:
        return pool.submit(run).result(timeout=BROWSER_SCENARIO_TIMEOUT)
