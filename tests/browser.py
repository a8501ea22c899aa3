"""Playwright fixtures for tests that drive a real Chromium (Debian's, at /usr/bin/chromium:
``playwright install`` cannot download here). Import the fixtures a test module needs:

    from tests.browser import browser, chromium, restore_database, site_url  # noqa: F401

and mark the tests ``@pytest.mark.browser``. The app is served by pytest-django's
``live_server`` (a thread of this process, so ``settings`` changes reach it too), which needs a
transactional database.

Without Chromium or Playwright the browser tests skip on a developer's machine, but fail when
``CI`` is set (as CI services set it): a CI run must not go green without them.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Bounded waits everywhere: a broken page fails in seconds, not after pytest's patience.
TIMEOUT_MS = 10_000


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no", "off"}


def browser_missing(reason: str) -> NoReturn:
    """Skip the browser test here; fail it in CI, where skipping would hide that it never ran."""
    if in_ci():
        pytest.fail(f"{reason}, and CI is set: browser tests must run in CI", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def chromium_path() -> Path:
    """Debian's Chromium, or a ``chromium`` on PATH."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    if found is None:
        browser_missing(f"{CHROMIUM} is missing (apt install chromium)")
    return Path(found)


def playwright_sync_api() -> ModuleType:
    try:
        return importlib.import_module("playwright.sync_api")
    except ImportError:
        browser_missing("Playwright is not installed (pip install playwright)")


# Each test module that imports ``chromium`` gets its own session-scoped copy of the fixture,
# and a second ``sync_playwright()`` on the same thread fails ("Sync API inside the asyncio
# loop"): every copy shares this one Playwright and Chromium, closed by the last to finish.
_shared: dict[str, Any] = {"users": 0}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    executable = chromium_path()
    sync_api = playwright_sync_api()
    if not _shared["users"]:
        # Playwright's sync API keeps an event loop on the test's thread, so Django would refuse
        # the test's own queries as "async"; they never run concurrently with it, so allow them.
        _shared["previous"] = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        manager = sync_api.sync_playwright()
        playwright = manager.__enter__()
        try:
            _shared["browser"] = playwright.chromium.launch(
                executable_path=str(executable), args=CHROMIUM_ARGS, timeout=30_000
            )
        except BaseException:
            manager.__exit__(None, None, None)
            raise
        _shared["manager"] = manager
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if not _shared["users"]:
            try:
                _shared.pop("browser").close()
            finally:
                _shared.pop("manager").__exit__(None, None, None)
                previous = _shared.pop("previous", None)
                if previous is None:
                    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
                else:
                    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def watch_csp(context: Any) -> list[str]:
    """The Content-Security-Policy violations Chromium reports on ``context``'s pages."""
    violations: list[str] = []

    def seen(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    context.on("console", seen)
    return violations


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """A fresh browser context per test (cookies and localStorage start empty), JavaScript on.
    Tests that need it off open their own ``chromium.new_context(java_script_enabled=False)``."""
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    # Every page of every browser test runs under the site's Content-Security-Policy; a
    # violation Chromium reports (a blocked script, style, frame…) fails the test.
    violations = watch_csp(context)
    try:
        yield context
    finally:
        context.close()
    assert violations == [], violations


@pytest.fixture
def site_url(live_server: Any, settings: Any) -> str:
    """The live server's address, allowed as a host and as a CSRF origin."""
    host = urlsplit(live_server.url).hostname or "localhost"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]
    settings.CSRF_TRUSTED_ORIGINS = [*settings.CSRF_TRUSTED_ORIGINS, live_server.url]
    return str(live_server.url)


@pytest.fixture(scope="module")
def restore_database(django_db_blocker: Any) -> Iterator[None]:
    """Put back the rows migrations create (Wagtail's root page, the default site, locales)
    after this module's transactional tests flush the database, so transactional tests in
    later modules start from what they expect."""
    yield
    from django.db import connection

    contents = getattr(connection, "_test_serialized_contents", None)
    if not contents:
        return
    with django_db_blocker.unblock():
        from wagtail.models import Page

        if not Page.objects.filter(depth=1).exists():
            connection.creation.deserialize_db_from_string(contents)
