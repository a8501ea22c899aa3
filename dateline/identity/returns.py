"""Where a reader goes back to after signing in or out. Only same-site paths are accepted:
``next`` and every return address pass through ``safe_return_path``, so neither the sign-in
flow nor a crafted link can send a reader (or an authorization code) to another site."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

MAX_PATH_LENGTH = 2000
# Returning into the sign-in machinery itself would loop or replay it.
_NEVER_RETURN_TO = ("/identity/", "/accounts/", "/admin/", "/django-admin/")


def safe_return_path(value: object, *, request: HttpRequest, default: str = "/") -> str:
    """``value`` as a path on this site (query kept, fragment dropped), else ``default``."""
    if not isinstance(value, str) or not value or len(value) > MAX_PATH_LENGTH:
        return default
    # Browsers treat "\" like "/" ("/\evil.example" is protocol-relative), and control
    # characters can split headers or hide a scheme: refuse them outright.
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    if not value.startswith("/") or value.startswith("//"):
        return default
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    if parts.path.startswith(_NEVER_RETURN_TO):
        return default
    return urlunsplit(("", "", parts.path, parts.query, ""))


def is_same_site_path(value: object) -> bool:
    """For allauth's ``is_safe_url``: relative same-site paths only, never another host."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return False
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def finish_url(*, next_path: str, popup: bool) -> str:
    """Our landing page after the provider: it closes a popup or returns to the article."""
    query = {"next": next_path}
    if popup:
        query["popup"] = "1"
    return f"{reverse('identity:finish')}?{urlencode(query)}"


def article_anchor(next_path: str) -> str:
    return f"{next_path}#respond"
