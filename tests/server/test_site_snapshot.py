"""The per-process site snapshot (dateline/server/siteconfig.py): the site, its root page,
settings, navigation and whether any page is restricted are read once, and every change to
them shows on the next request."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus

import pytest
from allauth.socialaccount.models import SocialApp
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction, Site

from dateline.newsroom import actions
from dateline.newsroom.models import NewsroomSettings
from dateline.server import siteconfig
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["page cache off", "page cache on"])
def page_cache(request, settings) -> Iterator[bool]:
    settings.DATELINE_PAGE_CACHE = request.param == "page cache on"
    caches["pages"].clear()
    yield settings.DATELINE_PAGE_CACHE
    caches["pages"].clear()


@pytest.fixture
def article(section):
    return make_article(section, title="Dates ripen early this year")


def _sql(client: Client, url: str, **headers: str) -> str:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, headers=headers).status_code == HTTPStatus.OK
    return "\n".join(q["sql"] for q in captured.captured_queries)


def test_the_site_and_its_settings_are_read_once_per_process(client, article):
    first = _sql(client, article.url)
    second = _sql(client, article.url)

    assert "wagtailcore_site" in first
    for table in (
        "wagtailcore_site",
        "newsroom_newsroomsettings",
        "discussion_discussionsettings",
        "wagtailcore_pageviewrestriction",
    ):
        assert table not in second, table


def test_a_settings_change_shows_on_the_next_request(client, article, page_cache):
    client.get(article.url)
    client.get(article.url)
    newsroom = NewsroomSettings.for_site(Site.objects.get(is_default_site=True))
    newsroom.tagline = "Independent news from the south"
    newsroom.save()

    assert b"Independent news from the south" in client.get(article.url).content


def test_a_new_view_restriction_makes_the_story_private_at_once(client, article, page_cache):
    client.get(article.url)
    assert b"Dates ripen early" in client.get(article.url).content

    PageViewRestriction.objects.create(
        page=article.get_parent(),
        restriction_type=PageViewRestriction.PASSWORD,
        password="members-only",
    )

    response = client.get(article.url)
    assert b"Dates ripen early" not in response.content
    assert b"members-only" not in response.content


def test_a_restriction_keeps_the_story_out_of_the_lists_and_the_api(client, article, section):
    client.get("/")
    PageViewRestriction.objects.create(
        page=article, restriction_type=PageViewRestriction.PASSWORD, password="members-only"
    )

    assert b"Dates ripen early" not in client.get("/").content
    assert b"Dates ripen early" not in client.get(section.url).content
    response = client.get("/comments/api/threads/", {"article": article.pk})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_provider_added_outside_the_admin_shows_its_icon_at_once(client, article, page_cache):
    client.get(article.url)
    assert "Log in with Google" not in client.get(article.url).content.decode()

    SocialApp.objects.create(provider="google", name="Google", client_id="g", secret="s")

    assert "Log in with Google" in client.get(article.url).content.decode()


def test_a_new_section_appears_in_the_navigation_at_once(client, article, home, page_cache):
    client.get(article.url)
    actions.create_section(parent=home, title="Agriculture", slug="agriculture")

    assert b">Agriculture</a>" in client.get(article.url).content


def test_each_host_gets_its_own_site_and_settings(client, article, home, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "second.example"]
    second = Site.objects.create(hostname="second.example", port=80, root_page=home)
    NewsroomSettings.objects.create(site=second, tagline="The second edition")

    assert (
        b"The second edition" in client.get(article.url, headers={"host": "second.example"}).content
    )
    assert b"The second edition" not in client.get(article.url).content
    assert (
        b"The second edition" in client.get(article.url, headers={"host": "second.example"}).content
    )


def test_a_site_created_for_a_host_already_served_takes_over_at_once(
    client, article, home, settings
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "later.example"]
    assert (
        b"The later edition"
        not in client.get(article.url, headers={"host": "later.example"}).content
    )

    later = Site.objects.create(hostname="later.example", port=80, root_page=home)
    NewsroomSettings.objects.create(site=later, tagline="The later edition")

    assert (
        b"The later edition" in client.get(article.url, headers={"host": "later.example"}).content
    )


def test_outside_a_request_nothing_assumes_there_are_no_restrictions():
    assert siteconfig.no_view_restrictions() is False
