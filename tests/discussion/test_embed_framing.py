"""Dateline's own pages cannot be framed by other sites (the embed needs no iframe), while
Wagtail's same-origin preview still can."""

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import RequestFactory
from django.views.decorators.clickjacking import xframe_options_exempt

from dateline.server.middleware import SecurityHeadersMiddleware
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def _frame_headers(response):
    """The policy's frame-ancestors directive (the rest is SECURE_CSP: tests/server/test_csp.py)
    and X-Frame-Options."""
    directives = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    [frame_ancestors] = [d for d in directives if d.startswith("frame-ancestors")]
    return frame_ancestors, response["X-Frame-Options"]


@pytest.mark.parametrize("path", ["/", "/embed.js", "/comments/api/openapi.json", "/healthz"])
def test_pages_may_only_be_framed_by_dateline_itself(client, section, path):
    response = client.get(path)

    assert _frame_headers(response) == ("frame-ancestors 'self'", "SAMEORIGIN")


def test_an_article_page_carries_the_same_rule(client, section):
    article = make_article(section)

    assert _frame_headers(client.get(article.url)) == ("frame-ancestors 'self'", "SAMEORIGIN")


def test_wagtails_live_preview_stays_frameable_by_the_admin(client, section):
    article = make_article(section, title="Preview me")
    editor = get_user_model().objects.create_superuser("editor", "e@example.org", "a-long-password")
    client.force_login(editor)

    # What the preview panel's same-origin iframe loads (here without a stored form state, so
    # Wagtail answers with its "preview unavailable" page; the headers are the same).
    shown = client.get(f"/admin/pages/{article.pk}/edit/preview/?in_preview_panel=true")

    assert shown.status_code == HTTPStatus.OK
    assert _frame_headers(shown) == ("frame-ancestors 'self'", "SAMEORIGIN")


def test_an_existing_policy_gains_the_directive_and_one_with_it_is_left_alone():
    def respond_with(policy):
        def view(request):
            response = HttpResponse()
            if policy:
                response["Content-Security-Policy"] = policy
            return response

        return SecurityHeadersMiddleware(view)(RequestFactory().get("/"))

    assert respond_with("default-src 'self';")["Content-Security-Policy"] == (
        "default-src 'self'; frame-ancestors 'self'"
    )
    assert (
        respond_with("frame-ancestors 'none'")["Content-Security-Policy"]
        == "frame-ancestors 'none'"
    )


def test_a_view_exempted_from_frame_options_is_left_frameable():
    middleware = SecurityHeadersMiddleware(xframe_options_exempt(lambda request: HttpResponse()))

    assert not middleware(RequestFactory().get("/")).has_header("Content-Security-Policy")

    def with_policy(request):
        response = HttpResponse()
        response["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'self'"
        return response

    framable = SecurityHeadersMiddleware(xframe_options_exempt(with_policy))
    assert framable(RequestFactory().get("/"))["Content-Security-Policy"] == "default-src 'self'"
