"""The discussion's JSON API, mounted at ``/comments/api/`` (see docs/api.md): ninja's routes,
each behind ``api_access.guard``, and a JSON 404 for anything else under the prefix."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path

from dateline.discussion import api_access, api_json
from dateline.discussion.api import api, route_methods


def _guarded(patterns: Iterable[URLPattern | URLResolver]) -> Iterator[URLPattern]:
    methods = route_methods()
    named: set[str] = set()
    for pattern in patterns:
        # ninja lists a path once per operation (PATCH and DELETE share comments/{id}/), and
        # adds a root route of its own that the API does not use.
        if not isinstance(pattern, URLPattern) or pattern.name not in methods:
            continue
        if pattern.name in named:
            continue
        named.add(pattern.name)
        yield URLPattern(
            pattern.pattern,
            api_access.guard(pattern.callback, methods[pattern.name]),
            name=pattern.name,
        )


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    error = api_json.nothing_here()
    return api_json.error_response(error.status, error.errors)


app_name = "discussion_api"

urlpatterns = [
    *_guarded(api.urls[0]),
    # Anything else under the API answers in JSON too (and without APPEND_SLASH's redirect,
    # which would turn a POST into a GET).
    re_path(
        r"^.*$",
        api_access.guard(not_found, ["GET", "POST", "PUT", "PATCH", "DELETE"], body=False),
        name="not_found",
    ),
]
