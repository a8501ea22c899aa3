"""What the identity app keeps in the reader's session, in one place.

- ``dateline_commenter_id``: the signed-in commenting identity (a ``Commenter`` pk).
- ``dateline_identity_pending``: the sign-in in progress (provider, return path, popup or
  not), so errors that arrive without allauth's state still find their way back.
- ``dateline_identity_notice``: one message for the form (an error, "check your inbox"),
  shown once, by the server-rendered form or by ``/identity/me/``.
- ``dateline_identity_draft``: the comment being typed, for readers without JavaScript (the
  JavaScript keeps it in ``sessionStorage`` instead).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

COMMENTER_KEY = "dateline_commenter_id"
PENDING_KEY = "dateline_identity_pending"
NOTICE_KEY = "dateline_identity_notice"
DRAFT_KEY = "dateline_identity_draft"

DRAFT_FIELDS = ("body", "name", "email", "website", "parent")
MAX_DRAFT_FIELD = 100_000


def has_session(request: HttpRequest) -> bool:
    """Whether the request carries a session cookie. Readers without one have no identity to
    look up, and leaving their session untouched keeps their pages cacheable."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def set_pending(request: HttpRequest, *, provider_id: str, next_path: str, popup: bool) -> None:
    request.session[PENDING_KEY] = {"provider": provider_id, "next": next_path, "popup": popup}


def get_pending(request: HttpRequest) -> dict[str, Any]:
    value = request.session.get(PENDING_KEY) if has_session(request) else None
    return value if isinstance(value, dict) else {}


def clear_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


CHANGING_KEY = "dateline_identity_changing"


def mark_changing_account(request: HttpRequest) -> None:
    """The reader chose "Change": the next provider is asked to let them pick an account."""
    request.session[CHANGING_KEY] = True


def pop_changing_account(request: HttpRequest) -> bool:
    return bool(has_session(request) and request.session.pop(CHANGING_KEY, False))


def set_notice(request: HttpRequest, *, message: str, level: str = "error") -> None:
    request.session[NOTICE_KEY] = {"level": level, "message": str(message)}


def pop_notice(request: HttpRequest) -> dict[str, str] | None:
    if not has_session(request):
        return None
    value = request.session.pop(NOTICE_KEY, None)
    return value if isinstance(value, dict) else None


def keep_draft(request: HttpRequest, *, path: str, data: Any) -> None:
    fields = {
        name: str(data.get(name, ""))[:MAX_DRAFT_FIELD]
        for name in DRAFT_FIELDS
        if str(data.get(name, "")).strip()
    }
    if fields:
        request.session[DRAFT_KEY] = {"path": path, "fields": fields}


def pop_draft(request: HttpRequest, *, path: str) -> dict[str, str]:
    """The kept draft for ``path`` (taken out of the session), or an empty dict."""
    if not has_session(request):
        return {}
    value = request.session.get(DRAFT_KEY)
    if not isinstance(value, dict) or value.get("path") != path:
        return {}
    del request.session[DRAFT_KEY]
    fields = value.get("fields")
    return dict(fields) if isinstance(fields, dict) else {}


# A hint for the comment form's script, not a credential: "this browser has a commenting
# identity (or a sign-in in progress), ask /identity/me/". The session cookie itself is
# HttpOnly, and asking on every page view would defeat the page cache.
HINT_COOKIE = "dateline_identity"


def set_hint[R: HttpResponseBase](response: R) -> R:
    response.set_cookie(
        HINT_COOKIE,
        "1",
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=False,
        samesite="Lax",
    )
    return response


def clear_hint[R: HttpResponseBase](response: R) -> R:
    response.delete_cookie(HINT_COOKIE, samesite="Lax")
    return response


def draft_items(data: Any) -> list[tuple[str, str]]:
    """The draft fields of a POST, to carry through a page that asks again (hidden inputs)."""
    return [
        (name, str(data.get(name, ""))[:MAX_DRAFT_FIELD])
        for name in DRAFT_FIELDS
        if str(data.get(name, "")).strip()
    ]
