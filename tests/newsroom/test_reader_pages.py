"""The site's pages around the stories: the front page, section, author and tag pages with
their pagination, the author index, and the theme's 404 page."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.conf import settings
from django.utils import timezone

from dateline.newsroom import actions
from dateline.newsroom.listings import HOME_STORIES_PER_SECTION, HOME_TOP_STORIES
from dateline.newsroom.models import NewsroomSettings
from tests.factories import AuthorFactory, make_article

pytestmark = pytest.mark.django_db


def hours_ago(n: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=n)


# The front page -------------------------------------------------------------------------------


@pytest.fixture
def front_page(home, section):
    """World (with a Middle East sub-section) and Economy have stories; Culture has none."""
    middle_east = actions.create_section(parent=section, title="Middle East", slug="middle-east")
    economy = actions.create_section(parent=home, title="Economy", slug="economy")
    culture = actions.create_section(parent=home, title="Culture", slug="culture")
    stories = {}
    # The five newest are the top stories; then three more in World (one from Middle East) and
    # two in Economy.
    for n, (name, where) in enumerate(
        [
            ("top-1", section),
            ("top-2", economy),
            ("top-3", middle_east),
            ("top-4", section),
            ("top-5", economy),
            ("world-1", middle_east),
            ("economy-1", economy),
            ("world-2", section),
            ("world-3", section),
            ("economy-2", economy),
        ]
    ):
        stories[name] = make_article(where, title=f"Story {name}", published_at=hours_ago(n + 1))
    return {
        "world": section,
        "middle_east": middle_east,
        "economy": economy,
        "culture": culture,
        "stories": stories,
    }


def test_the_front_page_leads_with_the_newest_stories(client, front_page):
    response = client.get("/")

    assert response.status_code == HTTPStatus.OK
    assert [a.title for a in response.context["top_stories"]] == [
        f"Story top-{n}" for n in range(1, HOME_TOP_STORIES + 1)
    ]
    html = response.content.decode()
    assert html.count('class="card card--lead"') == 1
    assert html.index("Story top-1") < html.index("Story top-2")


def test_the_front_page_groups_the_next_stories_by_top_level_section(client, front_page):
    response = client.get("/")

    groups = [
        (section.title, [a.title for a in articles])
        for section, articles in response.context["section_groups"]
    ]
    assert groups == [
        ("World", ["Story world-1", "Story world-2", "Story world-3"]),
        ("Economy", ["Story economy-1", "Story economy-2"]),
    ]


def test_the_front_page_leaves_out_a_section_without_stories(client, front_page):
    html = client.get("/").content.decode()

    assert f'id="section-{front_page["culture"].pk}"' not in html
    assert f'id="section-{front_page["world"].pk}"' in html
    # The navigation still offers it.
    assert '<a href="/culture/">Culture</a>' in html


def test_a_story_is_not_shown_twice_on_the_front_page(client, front_page):
    html = client.get("/").content.decode()

    for article in front_page["stories"].values():
        assert html.count(f'<a href="{article.url}">') == 1, article.title


def test_a_section_group_shows_at_most_its_share_of_stories(client, front_page):
    for n in range(HOME_STORIES_PER_SECTION + 2):
        make_article(
            front_page["economy"], title=f"Older economy {n}", published_at=hours_ago(50 + n)
        )

    response = client.get("/")

    (economy,) = [
        articles
        for section, articles in response.context["section_groups"]
        if section.title == "Economy"
    ]
    assert len(economy) == HOME_STORIES_PER_SECTION


def test_an_empty_front_page_says_so(client, home):
    response = client.get("/")

    assert response.status_code == HTTPStatus.OK
    assert "No stories have been published yet." in response.content.decode()


# Section pages and pagination -----------------------------------------------------------------


@pytest.fixture
def two_per_page(home):
    newsroom = NewsroomSettings.for_site(home.get_site())
    newsroom.articles_per_page = 2
    newsroom.save()


def test_the_front_page_leads_to_every_older_story_page_by_page(client, front_page, two_per_page):
    first = client.get("/").content.decode()
    assert '<a rel="next" href="?page=2">Older stories</a>' in first

    seen = []
    url = "?page=2"
    while url:
        response = client.get("/" + url)
        assert response.status_code == HTTPStatus.OK
        seen += [article.title for article in response.context["archive"]]
        url = response.context["older_url"]

    # Everything after the top stories, newest first, each once: nothing falls in between.
    expected = [
        f"Story {name}" for name in ["world-1", "economy-1", "world-2", "world-3", "economy-2"]
    ]
    assert seen == expected
    assert len(seen) == 10 - HOME_TOP_STORIES


@pytest.mark.parametrize("page", ["0", "-1", "two", "99"])
def test_a_front_page_number_that_does_not_exist_is_a_404(client, front_page, page):
    assert client.get("/", {"page": page}).status_code == HTTPStatus.NOT_FOUND


def test_a_front_page_with_only_top_stories_offers_no_older_page(client, section):
    make_article(section, title="The only story")

    assert "Older stories" not in client.get("/").content.decode()


def test_a_section_page_lists_the_stories_of_its_sub_sections_too(client, section):
    middle_east = actions.create_section(parent=section, title="Middle East", slug="middle-east")
    make_article(section, title="Story in World", published_at=hours_ago(2))
    make_article(middle_east, title="Story in Middle East", published_at=hours_ago(1))

    response = client.get("/world/")

    assert [a.title for a in response.context["articles"]] == [
        "Story in Middle East",
        "Story in World",
    ]
    html = response.content.decode()
    assert '<a href="/world/middle-east/">Middle East</a>' in html
    assert "Story in World" not in client.get("/world/middle-east/").content.decode()


def test_a_section_page_is_paginated_newest_first(client, section, two_per_page):
    for n in range(5):
        make_article(section, title=f"Story {n}", published_at=hours_ago(n))

    first = client.get("/world/")
    second = client.get("/world/?page=2")
    last = client.get("/world/?page=3")

    assert [a.title for a in first.context["articles"]] == ["Story 0", "Story 1"]
    assert [a.title for a in second.context["articles"]] == ["Story 2", "Story 3"]
    assert [a.title for a in last.context["articles"]] == ["Story 4"]
    html = second.content.decode()
    assert '<a rel="prev" href="?page=1">' in html
    assert '<a rel="next" href="?page=3">' in html
    assert "Page 2 of 3" in html
    assert f'<link rel="canonical" href="{section.full_url}?page=2">' in html


@pytest.mark.parametrize("page", ["4", "999", "abc", "0", "-1", "1.5", "9" * 40])
def test_a_page_number_out_of_range_or_not_a_number_is_not_found(
    client, section, two_per_page, page
):
    for n in range(5):
        make_article(section, published_at=hours_ago(n))

    assert client.get(f"/world/?page={page}").status_code == HTTPStatus.NOT_FOUND


def test_an_empty_section_has_one_page(client, section):
    response = client.get("/world/")

    assert response.status_code == HTTPStatus.OK
    assert "No stories here yet." in response.content.decode()
    assert client.get("/world/?page=2").status_code == HTTPStatus.NOT_FOUND


# Authors and tags -----------------------------------------------------------------------------


def test_the_author_index_lists_only_writers_with_published_stories(client, section):
    published = AuthorFactory(name="Zainab Published", slug="zainab")
    also_published = AuthorFactory(name="Adil Published", slug="adil")
    AuthorFactory(name="Never Bylined", slug="never")
    drafts_only = AuthorFactory(name="Drafts Only", slug="drafts-only")
    make_article(section, bylines=[published, also_published])
    make_article(section, bylines=[published])
    make_article(section, bylines=[drafts_only], publish=False)

    html = client.get("/authors/").content.decode()

    assert "Never Bylined" not in html
    assert "Drafts Only" not in html
    assert html.count("Zainab Published") == 1
    assert html.index("Adil Published") < html.index("Zainab Published")


def test_an_author_page_lists_their_stories_and_paginates(client, section, two_per_page):
    author = AuthorFactory(name="Rana Aziz", slug="rana-aziz", bio="Reports from Basra.")
    for n in range(3):
        make_article(
            section, title=f"By Rana {n}", bylines=[author, "A Guest"], published_at=hours_ago(n)
        )
    make_article(section, title="By someone else")

    first = client.get("/authors/rana-aziz/")
    second = client.get("/authors/rana-aziz/?page=2")

    assert first.status_code == HTTPStatus.OK
    assert [a.title for a in first.context["articles"]] == ["By Rana 0", "By Rana 1"]
    assert [a.title for a in second.context["articles"]] == ["By Rana 2"]
    html = first.content.decode()
    assert "<h1>Rana Aziz</h1>" in html
    assert f'<link rel="canonical" href="{settings.BASE_URL}/authors/rana-aziz/">' in html
    assert "Reports from Basra." in html
    assert "By someone else" not in html
    assert client.get("/authors/rana-aziz/?page=3").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/authors/rana-aziz/?page=abc").status_code == HTTPStatus.NOT_FOUND


def test_a_tag_page_lists_the_tagged_stories_and_paginates(client, section, two_per_page):
    for n in range(3):
        make_article(
            section, title=f"Water {n}", tags=["water", "Basra"], published_at=hours_ago(n)
        )
    make_article(section, title="Untagged story")
    make_article(section, title="Draft about water", tags=["water"], publish=False)

    first = client.get("/tags/water/")
    second = client.get("/tags/water/?page=2")

    assert first.status_code == HTTPStatus.OK
    assert [a.title for a in first.context["articles"]] == ["Water 0", "Water 1"]
    assert [a.title for a in second.context["articles"]] == ["Water 2"]
    assert '<h1 dir="auto">water</h1>' in first.content.decode()
    assert (
        f'<link rel="canonical" href="{settings.BASE_URL}/tags/water/">' in first.content.decode()
    )
    assert client.get("/tags/water/?page=99").status_code == HTTPStatus.NOT_FOUND


def test_an_unknown_author_or_tag_is_not_found(client, home):
    assert client.get("/authors/nobody/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/tags/nothing/").status_code == HTTPStatus.NOT_FOUND


def test_an_arabic_tag_has_its_own_page(client, section):
    make_article(section, title="Arabic tagged", tags=["بغداد"])

    response = client.get("/tags/بغداد/")

    assert response.status_code == HTTPStatus.OK
    assert "Arabic tagged" in response.content.decode()


# Not found ------------------------------------------------------------------------------------


def test_the_not_found_page_wears_the_site_theme(client, section):
    response = client.get("/world/no-such-story/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    html = response.content.decode()
    assert '<header class="masthead">' in html
    assert "Test Gazette" in html
    assert "Page not found" in html
    assert '<a href="/world/">World</a>' in html
    assert '<link rel="stylesheet" href="/static/dateline/css/site.css">' in html
