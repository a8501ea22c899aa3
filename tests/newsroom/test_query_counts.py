"""Reader pages cost a fixed number of queries, however many stories, bylines, tags and
corrections they show. Each page is measured with 3 stories and again with 30."""

from __future__ import annotations

import datetime
import itertools
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dateline.newsroom import actions
from dateline.newsroom.models import ArticlePage, Author, SectionPage
from tests.factories import AuthorFactory, make_article, make_image

pytestmark = pytest.mark.django_db

# What each page costs, measured, once the process has its site snapshot (the site, its root
# page, settings, navigation and whether any view restriction exists: server/siteconfig.py;
# ``count_queries`` warms it). Stories are routed in one query (HomePage.route); sections take
# Wagtail's walk, two queries per level of the address. The tests prove the counts do not
# grow; these pins keep them from creeping up unnoticed.
BUDGETS = {
    "front page": 7,  # with the check for an older page
    "section page": 11,
    "sub-section page": 14,
    "author page": 8,
    "tag page": 8,
    "author index": 2,
    "site RSS feed": 5,
    "site Atom feed": 5,
    "section RSS feed": 7,
    "sitemap": 7,
}
# The story's own: its route (with its thread), bylines, corrections, tags, the lead image and
# its sizes; the discussion's comments are two more when there are any. The section, the
# settings and the sign-in choices come from the site snapshot.
ARTICLE_PAGE_BUDGET = 7


class Newsroom:
    def __init__(self, home) -> None:
        self.world = actions.create_section(parent=home, title="World", slug="world")
        self.middle_east = actions.create_section(
            parent=self.world, title="Middle East", slug="middle-east"
        )
        self.economy = actions.create_section(parent=home, title="Economy", slug="economy")
        self.culture = actions.create_section(parent=home, title="Culture", slug="culture")
        self.sections = itertools.cycle([self.world, self.middle_east, self.economy, self.culture])
        self.author = AuthorFactory(name="Rana Aziz", slug="rana-aziz")
        self.count = 0

    def add_stories(self, n: int) -> None:
        start = timezone.now() - datetime.timedelta(days=1)
        for _ in range(n):
            self.count += 1
            make_article(
                next(self.sections),
                title=f"Story {self.count}",
                standfirst="What happened, in one sentence.",
                published_at=start + datetime.timedelta(minutes=self.count),
                bylines=[self.author, AuthorFactory(), f"Guest {self.count}"],
                tags=["common", f"topic-{self.count}"],
                lead_image=make_image(f"Picture {self.count}", size=(320, 180)),
            )

    def urls(self) -> dict[str, str]:
        return {
            "front page": "/",
            "section page": "/world/",
            "sub-section page": "/world/middle-east/",
            "author page": "/authors/rana-aziz/",
            "tag page": "/tags/common/",
            "author index": "/authors/",
            "site RSS feed": "/feed/rss/",
            "site Atom feed": "/feed/atom/",
            "section RSS feed": "/world/feed/rss/",
            "sitemap": "/sitemap.xml",
        }


def count_queries(client, url: str, *, prime_url: str = "/robots.txt") -> int:
    # The first request makes image renditions (writes); what a reader pays is the next one,
    # with an empty cache so per-item rendition and page lookups cannot hide behind it.
    assert client.get(url).status_code == HTTPStatus.OK
    cache.clear()
    # With Redis, clear() empties the whole database, the invalidation counters too, and the
    # process's site snapshot is read again once; a reader pays that once per flush, not here.
    assert client.get(prime_url).status_code == HTTPStatus.OK
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def test_list_pages_and_feeds_cost_the_same_with_3_or_30_stories(client, home):
    newsroom = Newsroom(home)
    newsroom.add_stories(3)
    with_3 = {name: count_queries(client, url) for name, url in newsroom.urls().items()}

    newsroom.add_stories(27)
    with_30 = {name: count_queries(client, url) for name, url in newsroom.urls().items()}

    assert with_30 == with_3
    over_budget = {name: n for name, n in with_3.items() if n > BUDGETS[name]}
    assert over_budget == {}, f"measured: {with_3}"


def _article(section: SectionPage, *, bylines: int, tags: int, corrections: int) -> ArticlePage:
    authors: list[Author | str] = [AuthorFactory() for _ in range(bylines - 1)]
    article = make_article(
        section,
        title=f"Story with {bylines} bylines",
        bylines=[*authors, "A Guest"],
        tags=[f"tag-{bylines}-{n}" for n in range(tags)],
        lead_image=make_image(size=(320, 180)),
    )
    for n in range(corrections):
        actions.add_correction(article=article, text=f"Correction {n}.")
    return article


def test_the_article_page_costs_the_same_with_1_or_6_bylines_tags_and_corrections(client, section):
    small = _article(section, bylines=1, tags=1, corrections=1)
    large = _article(section, bylines=6, tags=6, corrections=6)

    # Another story, without a picture, reads what every story page shares (the site
    # snapshot and what it derives) and none of the measured stories' images.
    other = make_article(section, title="A story without a picture").url
    small_count = count_queries(client, small.url, prime_url=other)
    large_count = count_queries(client, large.url, prime_url=other)

    assert large_count == small_count
    assert small_count <= ARTICLE_PAGE_BUDGET
