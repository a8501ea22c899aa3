"""Browser tests skip on a machine without Chromium or Playwright, and fail in CI instead, so a
CI run cannot go green without them (tests/browser.py)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests import browser


@pytest.fixture
def no_chromium(monkeypatch):
    monkeypatch.setattr(browser, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)


@pytest.fixture
def no_playwright(monkeypatch):
    real_import_module = importlib.import_module

    def import_module(name: str, package: str | None = None):  # type: ignore[no-untyped-def]
        if name.split(".")[0] == "playwright":
            raise ImportError(f"No module named {name!r}")
        return real_import_module(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_a_missing_chromium_skips_outside_ci(monkeypatch, no_chromium, value):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)

    with pytest.raises(pytest.skip.Exception, match="chromium is missing"):
        browser.chromium_path()


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_a_missing_chromium_fails_in_ci(monkeypatch, no_chromium, value):
    monkeypatch.setenv("CI", value)

    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        browser.chromium_path()


def test_a_missing_playwright_skips_outside_ci_and_fails_in_ci(monkeypatch, no_playwright):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Playwright is not installed"):
        browser.playwright_sync_api()

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Playwright is not installed"):
        browser.playwright_sync_api()


def test_the_embed_helper_fails_in_ci_without_chromium(monkeypatch, no_chromium):
    from tests.discussion.embed_helpers import in_browser

    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        in_browser(lambda page: None)
