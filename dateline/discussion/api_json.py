"""Reading and writing the JSON API's JSON, plugged into django-ninja where it asks for it.

* ``check_body``: the request's size and media type, refused before anything reads the body
  (413, 415), run by ``api_access.guard`` in front of ninja.
* ``StrictJSONParser``: ninja's body parser, replaced by one that accepts only a JSON object in
  strict JSON: no field twice, no NaN or Infinity, no lone surrogate (``"\\ud800"``) in a string
  or key, valid UTF-8 without a byte-order mark, nesting no deeper than the parser allows.
  Each refusal is a 400 with the message the reader's form would show.
* ``JSONRenderer``: text as written (Arabic stays Arabic, not ``\\u`` escapes), for ninja's
  answers and the guard's alike.
* ``install_error_handlers``: everything a caller can get wrong, wherever it is found (the
  parser, pydantic's validation of the declared types, the actions, the rate limits), is
  answered in one shape: ``{"errors": {field: message}}`` with its status code."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

from dateline import ratelimits
from dateline.discussion import api_schemas
from dateline.discussion.errors import CommentError
from dateline.discussion.models import DiscussionSettings

if TYPE_CHECKING:
    from ninja import NinjaAPI

SMALL_BODY_LIMIT = 4096  # a DELETE carries an edit token at most


class ApiError(Exception):
    """A request the API refuses: its status and ``{field: message}``."""

    def __init__(self, status: int, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.status = status
        self.errors = dict(errors)


def dumps(data: Any) -> str:
    # Text as written: Arabic stays Arabic, not \u escapes.
    return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False)


class JSONRenderer(BaseRenderer):
    """ninja's answers, written by ``dumps``."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> str:
        return dumps(data)


def json_response(data: Any, *, status: int = HTTPStatus.OK) -> HttpResponse:
    """A JSON answer outside ninja's operations (the guard's refusals, unknown addresses),
    written as ninja writes its own."""
    return HttpResponse(dumps(data), status=status, content_type=JSONRenderer.media_type)


def error_response(status: int, errors: Mapping[str, Any], **extra: Any) -> HttpResponse:
    return json_response(
        {"errors": {key: str(value) for key, value in errors.items()}, **extra}, status=status
    )


# The body: size and media type -----------------------------------------------------------


def body_limit(policy: DiscussionSettings) -> int:
    # A comment at the length limit written entirely in escaped astral characters
    # ("\ud83d\ude00" is 12 bytes for one character), plus room for the other fields.
    return 12 * policy.max_length + 16_384


def check_body(request: HttpRequest, policy: DiscussionSettings) -> None:
    """Refuse a write's body for its size (413, from its Content-Length before it is read)
    or its media type (415), or for being empty where a body is needed. A DELETE may carry a
    small body (an edit token) or none; a POST or PATCH carries a comment."""
    optional = request.method == "DELETE"
    limit = SMALL_BODY_LIMIT if optional else body_limit(policy)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        raise ApiError(HTTPStatus.BAD_REQUEST, {"__all__": _("The Content-Length is not valid.")})
    too_large = ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"__all__": _("The request is too large.")}
    )
    if int(declared) > limit:
        raise too_large
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(raw) > limit:
        raise too_large
    if not raw:
        if optional:
            return
        raise ApiError(HTTPStatus.BAD_REQUEST, {"__all__": _("The request is empty.")})
    content_type = (request.content_type or "").lower()
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if content_type != "application/json" or charset not in {"utf-8", "utf8"}:
        raise ApiError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            {"__all__": _("Send the request as JSON (Content-Type: application/json).")},
        )


# The body: strict JSON ---------------------------------------------------------------------


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _first_invalid_text(data: Any) -> str | None:
    """The top-level field holding a string that is not valid Unicode (a lone surrogate from
    a ``\\ud800`` escape), or None. Such strings cannot be stored or even sent back."""
    stack: list[tuple[str, Any]] = [("__all__", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if _first_invalid_text(key) is not None:
                    return "__all__"
                stack.append((key if value is data else where, item))
        elif isinstance(value, list):
            stack.extend((where, item) for item in value)
    return None


def loads_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or an ``ApiError`` saying what is wrong with it."""
    invalid = ApiError(HTTPStatus.BAD_REQUEST, {"__all__": _("The request is not valid JSON.")})
    try:
        decoded = raw.decode("utf-8")
        data = json.loads(
            decoded, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants
        )
    except _DuplicateKeyError:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, {"__all__": _("The request names the same field twice.")}
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid from None
    if not isinstance(data, dict):
        raise ApiError(HTTPStatus.BAD_REQUEST, {"__all__": _("The request must be a JSON object.")})
    where = _first_invalid_text(data)
    if where is not None:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, {where: _("This contains text that is not valid UTF-8.")}
        )
    return data


class StrictJSONParser(Parser):
    """ninja's request-body parser: strict JSON objects only (see the module's docstring).
    ninja reads ``request.body`` first and skips the parser for an empty body; the size and
    media type were checked before that (``check_body``)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return loads_object(request.body)


# Errors ----------------------------------------------------------------------------------


def _refused(request: HttpRequest, error: ApiError) -> HttpResponse:
    return error_response(error.status, error.errors)


def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    # pydantic's findings against the declared types (api_schemas), one message per field.
    return error_response(HTTPStatus.BAD_REQUEST, api_schemas.field_errors(error.errors))


def _unparsable(request: HttpRequest, error: HttpError) -> HttpResponse:
    # ninja wraps whatever the parser raises in a 400 HttpError: the parser's own refusal,
    # with its status and message, is the cause.
    cause = error.__cause__
    if isinstance(cause, ApiError):
        return error_response(cause.status, cause.errors)
    return error_response(error.status_code, {"__all__": str(error)})


def _not_accepted(request: HttpRequest, error: CommentError) -> HttpResponse:
    # The same refusals, in the same words, as the comment form shows.
    return error_response(error.status_code, error.errors)


def _rate_limited(request: HttpRequest, error: ratelimits.RateLimited) -> HttpResponse:
    message = error.message or _("Too many requests. Please wait a moment and try again.")
    response = error_response(
        HTTPStatus.TOO_MANY_REQUESTS, {"__all__": message}, retry_after=error.retry_after
    )
    response["Retry-After"] = str(error.retry_after)
    return response


def nothing_here() -> ApiError:
    return ApiError(
        HTTPStatus.NOT_FOUND,
        {
            "__all__": _("There is nothing at this address. The API is described at %(url)s.")
            % {"url": "/comments/api/openapi.json"}
        },
    )


def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _refused(request, nothing_here())


def _on[E: Exception](
    api: NinjaAPI, exception: type[E], answer: Callable[[HttpRequest, E], HttpResponse]
) -> None:
    # ninja's type for a handler also admits being called with the exception class; it is
    # always called with the exception raised.
    api.add_exception_handler(exception, answer)  # type: ignore[arg-type]


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer every refusal as ``{"errors": {field: message}}``. Anything else (a bug) stays
    a server error, handled by Django as for any view."""
    _on(api, ApiError, _refused)
    _on(api, ValidationError, _invalid)
    _on(api, HttpError, _unparsable)
    _on(api, CommentError, _not_accepted)
    _on(api, ratelimits.RateLimited, _rate_limited)
    _on(api, Http404, _not_found)
