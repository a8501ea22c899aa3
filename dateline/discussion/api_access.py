"""Who may call the JSON API, decided once per request in front of django-ninja (``guard``).

* **Cross-origin calls** (an ``Origin`` header that is not Dateline's own) are always
  anonymous guests. Cookies are ignored and ``request.user`` is replaced by an anonymous user
  before ninja runs, so a page on another site can never act with a reader's Dateline
  session. CSRF is an attack on *ambient* credentials (cookies the browser adds by itself);
  with none honoured there is nothing to forge, so these calls need no CSRF token. They still
  need their origin on the allowlist to change anything, and only allowed origins get CORS
  headers (the exact origin, never ``*``, and never ``Access-Control-Allow-Credentials``).
  Edit tokens travel as ``Authorization: Bearer`` or in the body, which a browser never adds
  on its own.
* **Same-origin calls that carry cookies** go through Django's CSRF check (``X-CSRFToken``),
  exactly as a form post would; a reader signed in to comment (dateline.identity) then posts
  as themselves.
* **Calls with neither** (curl, a server) have no ambient credentials either, so no token.

Bodies must be ``application/json``: besides strict parsing, that forces a browser to send a
CORS preflight before any cross-origin write, so a plain ``<form>`` on a stranger's page cannot
reach these endpoints at all.

A small wrapper rather than ninja's auth hooks: the answers it shapes (preflights, 405s, the
CORS headers on every answer, errors included) are ones ninja's operations never see."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from dateline.discussion import api_json
from dateline.discussion.models import DiscussionSettings
from dateline.server.requeststate import Slot
from dateline.web import normalise_origin, own_origins

ALLOWED_REQUEST_HEADERS = "Accept-Language, Authorization, Content-Type"
PREFLIGHT_MAX_AGE = 7200  # Chromium's ceiling
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Caller:
    """Where a request comes from, decided once before any view code runs."""

    origin: str  # the Origin header, normalised; "" when the request sent none
    cross_origin: bool
    allowed: bool  # a cross-origin caller whose origin is on the allowlist
    allowed_origins: frozenset[str]
    policy: DiscussionSettings


def allowed_origins(policy: DiscussionSettings) -> frozenset[str]:
    """The editors' list in the admin plus ``DATELINE_EMBED_ORIGINS`` from the environment."""
    return frozenset(
        normalise_origin(o) for o in [*policy.embed_origin_list, *settings.DATELINE_EMBED_ORIGINS]
    )


def _policy(request: HttpRequest) -> DiscussionSettings:
    try:
        return DiscussionSettings.for_request(request)
    except DiscussionSettings.DoesNotExist:
        # No Wagtail site at all (a fresh install before setup): the defaults still answer.
        return DiscussionSettings()


def caller_for(request: HttpRequest) -> Caller:
    policy = _policy(request)
    allowed = allowed_origins(policy)
    raw = request.headers.get("Origin")
    if raw is None:
        return Caller("", False, False, allowed, policy)
    origin = normalise_origin(raw)
    cross = origin not in own_origins(request)
    return Caller(origin, cross, cross and origin in allowed, allowed, policy)


CALLER = Slot[Caller](
    "API caller",
    doc=(
        "Who calls the JSON API (origin, cross-origin or not, allowed or not) and under which "
        "discussion settings: decided once per request, by guard or the first caller_of."
    ),
)


def caller_of(request: HttpRequest) -> Caller:
    """The caller ``guard`` decided on for this request (decided here if it did not run)."""
    return CALLER.get_or_set(request, lambda: caller_for(request))


def _refusal(status: int, message: str) -> HttpResponse:
    return api_json.error_response(status, {"__all__": message})


def _stranger() -> HttpResponse:
    return _refusal(
        HTTPStatus.FORBIDDEN, _("This site is not allowed to host a Dateline discussion.")
    )


def _csrf_protected(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    """A stand-in view without ``csrf_exempt``, so CsrfViewMiddleware checks the request."""
    raise NotImplementedError


def _csrf_passes(request: HttpRequest) -> bool:
    # A fresh instance: the middleware caches CSRF_TRUSTED_ORIGINS on itself.
    check = CsrfViewMiddleware(_csrf_protected)
    return check.process_view(request, _csrf_protected, (), {}) is None


def _preflight(caller: Caller, allow: str) -> HttpResponse:
    if caller.cross_origin and not caller.allowed:
        return _stranger()
    response = HttpResponse(status=HTTPStatus.NO_CONTENT)
    response["Allow"] = allow
    if caller.allowed:
        response["Access-Control-Allow-Methods"] = allow
        response["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def _screen(
    request: HttpRequest, caller: Caller, methods: Sequence[str], *, body: bool
) -> HttpResponse | None:
    """The answer for a request that goes no further than the guard, or None."""
    allow = ", ".join([*methods, "OPTIONS"])
    accepted = {*methods, "HEAD"} if "GET" in methods else set(methods)
    if request.method == "OPTIONS":
        return _preflight(caller, allow)
    if request.method not in accepted:
        response = _refusal(
            HTTPStatus.METHOD_NOT_ALLOWED,
            _("This address does not accept %(method)s.") % {"method": request.method},
        )
        response["Allow"] = allow
        return response
    if request.method not in WRITES:
        return None
    if caller.cross_origin and not caller.allowed:
        return _stranger()
    if not caller.cross_origin and request.COOKIES and not _csrf_passes(request):
        return _refusal(
            HTTPStatus.FORBIDDEN,
            _("The security check failed. Please reload the page and try again."),
        )
    if body:
        try:
            api_json.check_body(request, caller.policy)
        except api_json.ApiError as error:
            return api_json.error_response(error.status, error.errors)
    return None


def _as_get_if_head(
    view: Callable[..., HttpResponse], request: HttpRequest, *args: Any, **kwargs: Any
) -> HttpResponse:
    # HEAD is GET without the body (RFC 9110), which the server drops; ninja dispatches on the
    # method and knows only GET.
    if request.method != "HEAD":
        return view(request, *args, **kwargs)
    request.method = "GET"
    try:
        return view(request, *args, **kwargs)
    finally:
        request.method = "HEAD"


def guard(
    view: Callable[..., HttpResponse], methods: Sequence[str], *, body: bool = True
) -> Callable[..., HttpResponse]:
    """``view`` (a ninja path, or a plain view) behind the API's rules: preflight, allowed
    ``methods``, origin policy, CSRF for cookie-bearing same-origin writes, the body's size
    and media type (``body``: the view reads the bodies of writes), and CORS headers on every
    answer."""

    @csrf_exempt  # checked in _screen, only where cookies could carry authority
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        caller = caller_of(request)
        if caller.cross_origin:
            # Never act as a signed-in reader for another site's page (see module doc).
            request.user = AnonymousUser()
        response = _screen(request, caller, methods, body=body)
        if response is None:
            response = _as_get_if_head(view, request, *args, **kwargs)
        patch_vary_headers(response, ("Origin",))
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        if caller.allowed:
            response["Access-Control-Allow-Origin"] = caller.origin
            response["Access-Control-Expose-Headers"] = "Retry-After"
        return response

    return guarded
