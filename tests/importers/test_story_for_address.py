"""``selectors.story_for_address``: which story a page of the old site was — by the identifier
WordPress's Disqus plugin wrote, by its address here on whatever host, or by an old address a
redirect (a WordPress import's, or an editor's) sends on."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from wagtail.contrib.redirects.models import Redirect

from dateline.importers import selectors
from dateline.newsroom.models import ArticlePage
from tests.factories import make_article

pytestmark = pytest.mark.django_db

WORDPRESS = Path(__file__).parent / "fixtures" / "wordpress" / "newsroom.xml"


@pytest.fixture
def wordpress(home) -> None:
    call_command("import_wordpress", str(WORDPRESS), stdout=io.StringIO(), stderr=io.StringIO())


def story(slug: str) -> ArticlePage:
    return ArticlePage.objects.get(slug=slug)


def test_a_thread_is_found_by_identifier_address_or_old_address(wordpress):
    ferry, members = story("ferry-service-resumes"), story("members-briefing")
    arabic = ArticlePage.objects.get(url_path__contains="عودة")

    found = selectors.story_for_address(
        link="https://elsewhere.example/gone/", identifier="101 https://courier.example.org/?p=101"
    )
    assert (found.article, found.how) == (ferry, "identifier") if found else found

    # The address here, on another host, with a query.
    found = selectors.story_for_address(link="https://new.example/news/members-briefing/?x=1")
    assert (found.article, found.how) == (members, "path") if found else found

    # Old WordPress addresses the import redirects: a permalink percent-encoded, and ?p=.
    found = selectors.story_for_address(
        link="http://courier.example.org/2019/05/05/%D8%B9%D9%88%D8%AF%D8%A9-"
        "%D8%A7%D9%84%D8%B9%D8%A8%D9%91%D8%A7%D8%B1%D8%A9/"
    )
    assert (found.article, found.how) == (arabic, "redirect") if found else found
    found = selectors.story_for_address(link="https://courier.example.org/?p=104")
    assert (found.article, found.how) == (members, "redirect") if found else found

    # An identifier of another form, a post WordPress never had, an unknown address, a draft's
    # address (a draft answers at no address), the home page.
    assert selectors.story_for_address(link="", identifier="ferry-service") is None
    assert (
        selectors.story_for_address(link="", identifier="999 https://courier.example.org/?p=999")
        is None
    )
    assert selectors.story_for_address(link="https://courier.example.org/2018/x/") is None
    assert selectors.story_for_address(link="https://a.example/news/council-vote/") is None
    assert selectors.story_for_address(link="https://courier.example.org/") is None
    assert selectors.story_for_address(link="not a url") is None


def test_a_redirect_made_by_hand_finds_its_story(section):
    article = make_article(section, title="Harbour reopens")
    Redirect.objects.create(old_path="/old/harbour-reopens", redirect_page=article)
    found = selectors.story_for_address(link="https://old.example/old/harbour-reopens/")
    assert (found.article, found.how) == (article, "redirect") if found else found
