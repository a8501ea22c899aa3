"""The cookies a production deployment sets (docs/sign-in.md, "Sessions"): with an https
DATELINE_BASE_URL and DATELINE_HTTPS left to its default, the session cookie is Secure,
HttpOnly and SameSite=Lax (Lax is what lets a provider's top-level redirect back carry the
session) and the CSRF cookie is Secure.

Settings are read once per process, so each case imports ``dateline.settings`` in a fresh
Python with a clean environment; the test run's own settings are never touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.servers import PROJECT_DIR

# Runs in the child: the settings, then the Set-Cookie headers Django's own middleware writes
# with them for a request that starts a session and asks for a CSRF token.
CHILD = """
import json, os
import django

django.setup()
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import RequestFactory

# No database in this process: the cookie's flags come from SESSION_COOKIE_* whichever engine
# stores the session, so keep it in the cookie itself.
settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"


def view(request):
    request.session["commenter"] = 1
    get_token(request)
    return HttpResponse("ok")


response = SessionMiddleware(CsrfViewMiddleware(view))(
    RequestFactory().get("/", secure=True, HTTP_HOST="news.example.org")
)
cookies = {
    name: {flag: response.cookies[name][flag] for flag in ("secure", "httponly", "samesite")}
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
}
print(json.dumps({
    "session_name": settings.SESSION_COOKIE_NAME,
    "csrf_name": settings.CSRF_COOKIE_NAME,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "SESSION_COOKIE_SAMESITE": settings.SESSION_COOKIE_SAMESITE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "CSRF_COOKIE_SAMESITE": settings.CSRF_COOKIE_SAMESITE,
    "cookies": cookies,
}))
"""


def production(tmp_path: Path, **variables: str) -> dict[str, Any]:
    env = {
        # Only what a bare deployment has: no DATELINE_TESTING, no pytest in sys.modules.
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "dateline.settings",
        "DATELINE_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "a-production-secret-key-that-is-long-enough-0123456789",
        **variables,
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_https_site_sets_secure_httponly_lax_session_and_secure_csrf_cookies(tmp_path):
    seen = production(tmp_path, DATELINE_BASE_URL="https://news.example.org")

    assert seen["SESSION_COOKIE_SECURE"] is True
    assert seen["SESSION_COOKIE_HTTPONLY"] is True
    assert seen["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert seen["CSRF_COOKIE_SECURE"] is True
    session, csrf = seen["cookies"][seen["session_name"]], seen["cookies"][seen["csrf_name"]]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"DATELINE_BASE_URL": "http://127.0.0.1:8000"}, id="plain-http-site"),
        pytest.param(
            {"DATELINE_BASE_URL": "https://news.example.org", "DATELINE_HTTPS": "0"},
            id="https-switched-off",
        ),
    ],
)
def test_a_site_without_https_does_not_mark_cookies_secure_but_keeps_httponly_and_lax(
    tmp_path, variables
):
    # A Secure cookie is never sent back over plain http: signing in would silently fail.
    seen = production(tmp_path, **variables)

    session = seen["cookies"][seen["session_name"]]
    assert seen["SESSION_COOKIE_SECURE"] is False
    assert seen["CSRF_COOKIE_SECURE"] is False
    assert session["secure"] == ""
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
