"""A Content-Security-Policy on every reader and admin page (issue #13, point 6): scripts only
from the site, nothing inline without the request's nonce, no plugins, no <base> games, framing
only by the site. Reader pages carry no inline script at all, so they need no nonce and stay in
the page cache; the browser tests (tests/browser.py) fail on any violation Chromium reports."""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.browser import chromium, watch_csp  # noqa: F401 - chromium: the fixture
from tests.factories import make_article

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "dateline"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_a_story_page_has_the_policy_without_a_nonce_and_is_cached(client, section, settings):
    settings.DATELINE_PAGE_CACHE = True
    article = make_article(section, title="Harbour cranes return to work")

    first = client.get(article.url)
    again = client.get(article.url)

    assert first.status_code == HTTPStatus.OK
    rules = policy(first)
    assert rules["script-src"] == ["'self'"]
    assert rules["object-src"] == ["'none'"]
    assert rules["base-uri"] == ["'self'"]
    assert rules["frame-ancestors"] == ["'self'"]
    assert rules["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in rules["script-src"]
    assert again["X-Cache"] == "hit"
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]
    # Inline blocks on a reader page are data, never scripts.
    for attributes in INLINE_SCRIPT.findall(first.content.decode()):
        assert 'type="application/ld+json"' in attributes or "json" in attributes


@pytest.mark.parametrize("path", ["/", "/comments/api/openapi.json", "/healthz", "/embed.js"])
def test_every_response_has_the_policy(client, home, path):
    response = client.get(path)
    assert policy(response)["object-src"] == ["'none'"]


def test_no_template_of_ours_has_an_inline_script_or_event_handler():
    found = []
    for template in TEMPLATES.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for attributes in INLINE_SCRIPT.findall(text):
            if "json" not in attributes:
                found.append(f"{template}: inline <script{attributes}>")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            found.append(f"{template}: an on…= event handler")
        if "javascript:" in text:
            found.append(f"{template}: a javascript: link")
    assert found == []


def test_the_admins_inline_scripts_carry_this_requests_nonce(client, section):
    article = make_article(section, title="Editors at work")
    editor = get_user_model().objects.create_superuser("desk", "d@example.org", "pw-for-tests")
    client.force_login(editor)

    response = client.get(f"/admin/pages/{article.pk}/edit/")

    assert response.status_code == HTTPStatus.OK
    [nonce_source] = [v for v in policy(response)["script-src"] if v.startswith("'nonce-")]
    nonce = nonce_source.removeprefix("'nonce-").removesuffix("'")
    inline = INLINE_SCRIPT.findall(response.content.decode())
    assert inline  # Wagtail's widgets start with inline scripts
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]
    # Another request, another nonce.
    other = client.get(f"/admin/pages/{article.pk}/edit/")
    assert nonce_source not in other["Content-Security-Policy"]


def test_the_browser_tests_see_a_violation_when_there_is_one(chromium):  # noqa: F811
    """The check every browser test runs (tests/browser.py ``watch_csp``) does catch one."""

    context = chromium.new_context()
    try:
        violations = watch_csp(context)
        context.route(
            "http://csp.test/",
            lambda route: route.fulfill(
                status=200,
                headers={
                    "Content-Type": "text/html",
                    "Content-Security-Policy": "script-src 'self'",
                },
                body="<!doctype html><title>x</title><script>document.title = 'ran'</script>",
            ),
        )
        page = context.new_page()
        page.goto("http://csp.test/")
        page.wait_for_timeout(200)
        assert page.title() == "x"
    finally:
        context.close()
    assert violations
