"""What every Dateline response carries (security headers), the refusal to serve without a
secret key, and sessions whose cookie only the request that ended them deletes."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csp import get_nonce

from dateline.env import EnvError

FRAME_ANCESTORS = "frame-ancestors 'self'"


class SecurityHeadersMiddleware:
    """Only Dateline itself may frame Dateline's pages.

    ``frame-ancestors`` is the modern form of X-Frame-Options and wins over it in browsers that
    know both, so the two must say the same thing: ``'self'`` here, SAMEORIGIN there. ``'self'``
    (not ``'none'``) because Wagtail's live preview shows the page in a same-origin iframe. The
    discussion embed needs no framing at all: other sites load a script, never an iframe.

    A response that already has a Content-Security-Policy (Django's, from ``SECURE_CSP``, or a
    view's own) keeps it and gains the directive if it lacks one; a view exempted from
    X-Frame-Options (``@xframe_options_exempt``) is left framable, as that decorator promises:
    the directive is taken out of its policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        policy = response.get("Content-Security-Policy")
        if getattr(response, "xframe_options_exempt", False):
            if policy and "frame-ancestors" in policy.lower():
                kept = [
                    part
                    for part in policy.split(";")
                    if part.strip() and not part.strip().lower().startswith("frame-ancestors")
                ]
                if kept:
                    response["Content-Security-Policy"] = "; ".join(p.strip() for p in kept)
                else:
                    del response["Content-Security-Policy"]
            return response
        if not policy:
            response["Content-Security-Policy"] = FRAME_ANCESTORS
        elif "frame-ancestors" not in policy.lower():
            response["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {FRAME_ANCESTORS}"
        return response


class AdminScriptNonceMiddleware:
    """Give Wagtail's own inline scripts in the admin this request's CSP nonce.

    Wagtail's edit pages start their widgets (date choosers, inline panels, image choosers) with
    small inline scripts whose templates carry no nonce, so under ``script-src 'self'
    'nonce-…'`` they would not run. Only admin pages are stamped — pages for signed-in
    editors, never cached — and reader pages carry no inline script at all, so a script
    injected into a reader page is never given a nonce. Event handler attributes and
    ``javascript:`` links stay blocked everywhere."""

    PREFIX = "/admin/"
    _INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)", re.IGNORECASE)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            request.path.startswith(self.PREFIX)
            and isinstance(response, HttpResponse)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            nonce = get_nonce(request)
            if nonce is not None and self._INLINE_SCRIPT.search(response.content):
                stamp = b'<script nonce="' + str(nonce).encode() + b'"'
                response.content = self._INLINE_SCRIPT.sub(stamp, response.content)
        return response


class RequireSecretKey:
    """The web server does not start without ``SECRET_KEY``: sessions, CSRF tokens, comment
    edit tokens and unsubscribe links are signed with it. ``dateline serve`` and
    ``dateline.wsgi`` generate one in the data directory when none is given
    (``dateline.datadir``); a server started some other way must be given one. Checked once,
    when the server loads its middleware; never on a request (``MiddlewareNotUsed``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        try:
            given = bool(settings.SECRET_KEY)
        except ImproperlyConfigured:  # Django's own complaint about an empty key
            given = False
        if not given:
            raise EnvError(
                "SECRET_KEY is not set. Give it (at least 32 characters, the same on every "
                "machine), or start Dateline with the dateline command (dateline serve) or "
                "dateline.wsgi, which generate one once and keep it in "
                "DATELINE_DATA_DIR/secret_key."
            )
        raise MiddlewareNotUsed


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's sessions, except that a request never deletes a session cookie it did not end.

    Django deletes the browser's session cookie whenever the session it names turns out empty.
    When a reader signs in, the login replaces the session under a new key and deletes the old
    one, while another request of the same browser may still be running with the old cookie
    (the comment form asking ``/identity/me/`` while the sign-in popup finishes). That request
    finds its session gone, and its answer, arriving after the login's, would delete the new
    cookie and sign the reader out again. A session ended *here* (logout flushes it, which marks
    it modified) still loses its cookie; a vanished one leaves the browser's cookie alone, which
    is harmless when it merely expired: the key names nothing."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        vanished = (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and session.accessed
            and not session.modified
            and session.is_empty()
        )
        response = super().process_response(request, response)
        if vanished:
            response.cookies.pop(settings.SESSION_COOKIE_NAME, None)
        return response
