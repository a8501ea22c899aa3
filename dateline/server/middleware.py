"""Response headers that every Dateline page carries."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

FRAME_ANCESTORS = "frame-ancestors 'self'"


class SecurityHeadersMiddleware:
    """Only Dateline itself may frame Dateline's pages.

    ``frame-ancestors`` is the modern form of X-Frame-Options and wins over it in browsers that
    know both, so the two must say the same thing: ``'self'`` here, SAMEORIGIN there. ``'self'``
    (not ``'none'``) because Wagtail's live preview shows the page in a same-origin iframe. The
    discussion embed needs no framing at all: other sites load a script, never an iframe.

    A response that already has a Content-Security-Policy keeps it and gains the directive if
    it lacks one; a view exempted from X-Frame-Options (``@xframe_options_exempt``) is left
    framable, as that decorator promises."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if getattr(response, "xframe_options_exempt", False):
            return response
        policy = response.get("Content-Security-Policy")
        if not policy:
            response["Content-Security-Policy"] = FRAME_ANCESTORS
        elif "frame-ancestors" not in policy.lower():
            response["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {FRAME_ANCESTORS}"
        return response
