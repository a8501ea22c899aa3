"""How a story reaches readers and machines: the article page, its meta tags and JSON-LD, the
body blocks, the RSS and Atom feeds, the sitemap and robots.txt."""

from __future__ import annotations

import datetime
import re
from http import HTTPStatus
from typing import Any
from xml.etree import ElementTree

import extruct
import feedparser
import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.models import Embed
from wagtail.models import Site

from dateline.newsroom import actions
from dateline.newsroom.feeds import FEED_LENGTH
from dateline.newsroom.models import ArticleCorrection, ArticlePage, NewsroomSettings
from tests.factories import AuthorFactory, make_article, make_image

pytestmark = pytest.mark.django_db

MODEL_PAGE_TIME = datetime.datetime(2020, 11, 20, 18, 28, 39, tzinfo=datetime.UTC)


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, url
    return response.content.decode()


def structured_data(html: str) -> dict[str, Any]:
    return extruct.extract(
        html, base_url=django_settings.BASE_URL, syntaxes=["json-ld", "opengraph"]
    )


def news_article(html: str) -> dict[str, Any]:
    (data,) = [
        item for item in structured_data(html)["json-ld"] if item.get("@type") == "NewsArticle"
    ]
    return data


def open_graph(html: str) -> dict[str, str]:
    (og,) = structured_data(html)["opengraph"]
    return dict(og["properties"])


def meta_content(html: str, name: str) -> str | None:
    match = re.search(rf'<meta (?:name|property)="{re.escape(name)}" content="([^"]*)"', html)
    return match.group(1) if match else None


@pytest.fixture
def story(section):
    """A story in the shape of the model page: time, dateline, a quotation, two bylines."""
    return make_article(
        section,
        title="Ferry service resumes on the Tigris",
        standfirst="Boats carry passengers between the two banks again after a year.",
        published_at=MODEL_PAGE_TIME,
        dateline_place="Baghdad",
        dateline_source="River Wire",
        bylines=[AuthorFactory(name="Rana Aziz", slug="rana-aziz"), "Sami Guest"],
        tags=["transport", "Baghdad"],
    )


# The article page -----------------------------------------------------------------------------


def test_the_article_page_has_one_article_with_one_headline(client, story):
    html = html_of(client, story.url)

    assert html.count("<article") == 1
    assert html.count("<h1") == 1
    assert '<h1 class="story__headline" dir="auto">Ferry service resumes on the Tigris</h1>' in html
    assert "Boats carry passengers between the two banks again after a year." in html


def test_the_publication_time_is_shown_in_the_site_format_and_time_zone(client, story, settings):
    settings.TIME_ZONE = "Asia/Baghdad"

    html = html_of(client, story.url)

    assert '<time datetime="2020-11-20T21:28:39+03:00">2020/11/20 21:28:39</time>' in html


def test_an_editor_can_change_the_date_format(client, story, home):
    newsroom = NewsroomSettings.for_site(home.get_site())
    newsroom.datetime_format = "j F Y, H:i"
    newsroom.save()

    html = html_of(client, story.url)

    assert '<time datetime="2020-11-20T18:28:39+00:00">20 November 2020, 18:28</time>' in html


def test_the_dateline_opens_the_first_paragraph(client, story):
    html = html_of(client, story.url)

    assert re.search(
        r'<div class="story__body">\s*<p[^>]*><span class="dateline">\(Baghdad: River Wire\)</span> First paragraph',
        html,
    )
    assert html.count('class="dateline"') == 1


def test_a_dateline_with_only_a_place_has_no_colon(client, section):
    article = make_article(section, dateline_place="Mosul", dateline_source="")

    assert '<span class="dateline">(Mosul)</span> First paragraph' in html_of(client, article.url)


def test_a_story_opening_with_a_quotation_puts_the_dateline_in_the_first_paragraph(client, section):
    article = actions.create_article(
        section=section,
        title="Quote first",
        body=[
            actions.Block("quote", {"quote": "We will rebuild.", "speaker": "A mayor", "role": ""}),
            actions.Block("paragraph", "<p>The mayor spoke on Sunday.</p>"),
        ],
        dateline_place="Hilla",
        dateline_source="Wire",
        publish=True,
    )

    html = html_of(client, article.url)

    assert '<span class="dateline">(Hilla: Wire)</span> The mayor spoke on Sunday.' in html
    assert html.index("We will rebuild.") < html.index('class="dateline"')


def test_staff_bylines_link_to_author_pages_and_guests_are_plain_names(client, section):
    article = make_article(
        section,
        bylines=[
            AuthorFactory(name="Rana Aziz", slug="rana-aziz"),
            "Sami Guest",
            AuthorFactory(name="Omar Hadi", slug="omar-hadi"),
        ],
    )

    html = html_of(client, article.url)

    assert (
        '<bdi><a rel="author" href="/authors/rana-aziz/">Rana Aziz</a></bdi>, <bdi>Sami Guest</bdi> and '
        '<bdi><a rel="author" href="/authors/omar-hadi/">Omar Hadi</a></bdi>'
    ) in html


def test_two_bylines_are_joined_with_and(client, story):
    html = html_of(client, story.url)

    assert (
        '<bdi><a rel="author" href="/authors/rana-aziz/">Rana Aziz</a></bdi> and <bdi>Sami Guest</bdi>'
        in html
    )


def test_corrections_and_updates_are_listed_with_their_time(client, story):
    actions.add_correction(
        article=story,
        text="An earlier version gave the wrong number of boats.",
        noted_at=datetime.datetime(2020, 11, 21, 9, 0, tzinfo=datetime.UTC),
    )
    actions.add_correction(
        article=story,
        kind=ArticleCorrection.Kind.UPDATE,
        text="Adds the ministry's timetable.",
        noted_at=datetime.datetime(2020, 11, 21, 12, 30, tzinfo=datetime.UTC),
    )

    html = html_of(client, story.url)

    assert "Corrections and updates" in html
    correction = html.index("An earlier version gave the wrong number of boats.")
    update = html.index("Adds the ministry&#x27;s timetable.")
    assert correction < update
    assert '<time datetime="2020-11-21T09:00:00+00:00">2020/11/21 09:00:00</time>' in html
    assert "<strong>Correction</strong>" in html
    assert "<strong>Update</strong>" in html


def test_a_story_without_corrections_has_no_corrections_box(client, story):
    assert "Corrections and updates" not in html_of(client, story.url)


def test_the_last_updated_time_is_shown_only_when_the_story_was_republished_later(client, story):
    assert "Updated:" not in html_of(client, story.url)

    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    ArticlePage.objects.filter(pk=story.pk).update(first_published_at=an_hour_ago)
    actions.publish_article(article=story)

    html = html_of(client, story.url)
    assert "Updated:" in html
    story.refresh_from_db()
    assert story.last_published_at is not None
    assert f'<time datetime="{timezone.localtime(story.last_published_at).isoformat()}"' in html


def test_tags_link_to_their_tag_pages(client, story):
    html = html_of(client, story.url)

    assert '<a href="/tags/transport/">transport</a>' in html
    assert '<a href="/tags/baghdad/">Baghdad</a>' in html


def test_the_canonical_address_is_the_public_address_of_the_story(client, story):
    html = html_of(client, story.url)

    canonical = f"{django_settings.BASE_URL}/world/{story.slug}/"
    assert story.full_url == canonical
    assert f'<link rel="canonical" href="{canonical}">' in html


def test_open_graph_and_twitter_cards_describe_the_story(client, story):
    html = html_of(client, story.url)

    og = open_graph(html)
    assert og["og:type"] == "article"
    assert og["og:title"] == "Ferry service resumes on the Tigris"
    assert og["og:url"] == story.full_url
    assert (
        og["og:description"] == "Boats carry passengers between the two banks again after a year."
    )
    assert "og:image" not in og
    assert meta_content(html, "twitter:card") == "summary"
    assert meta_content(html, "twitter:title") == "Ferry service resumes on the Tigris"


def test_a_lead_image_becomes_the_absolute_share_image(client, section):
    article = make_article(
        section,
        lead_image=make_image(size=(1600, 900)),
        lead_image_caption="Boats",
        lead_image_credit="A. Photographer",
    )

    html = html_of(client, article.url)

    og = open_graph(html)
    assert og["og:image"].startswith(f"{django_settings.BASE_URL}/media/images/")
    assert meta_content(html, "twitter:card") == "summary_large_image"
    assert meta_content(html, "twitter:image") == og["og:image"]
    assert news_article(html)["image"] == [og["og:image"]]
    assert re.search(r'<figure class="story__lead">\s*<img src="/media/images/', html)
    assert 'Boats <span class="credit">Photo: A. Photographer</span>' in html


def test_the_json_ld_describes_a_news_article(client, story, home):
    newsroom = NewsroomSettings.for_site(home.get_site())
    newsroom.publisher_name = "Tigris Times"
    newsroom.save()
    actions.add_correction(article=story, text="Corrects the name of the ferry company.")

    data = news_article(html_of(client, story.url))

    story.refresh_from_db()
    assert data["@context"] == "https://schema.org"
    assert data["headline"] == "Ferry service resumes on the Tigris"
    assert data["url"] == story.full_url
    assert data["mainEntityOfPage"]["@id"] == story.full_url
    assert data["datePublished"] == "2020-11-20T18:28:39+00:00"
    assert datetime.datetime.fromisoformat(data["dateModified"]) == story.last_published_at
    assert [a["name"] for a in data["author"]] == ["Rana Aziz", "Sami Guest"]
    assert data["author"][0]["url"] == f"{django_settings.BASE_URL}/authors/rana-aziz/"
    assert "url" not in data["author"][1]
    assert data["dateline"] == "Baghdad: River Wire"
    assert data["locationCreated"] == {"@type": "Place", "name": "Baghdad"}
    assert data["sourceOrganization"]["name"] == "River Wire"
    assert data["publisher"] == {"@type": "Organization", "name": "Tigris Times"}
    assert data["inLanguage"] == "en"
    assert data["description"] == "Boats carry passengers between the two banks again after a year."
    (correction,) = data["correction"]
    assert correction["@type"] == "CorrectionComment"
    assert correction["text"] == "Corrects the name of the ferry company."


def test_the_date_modified_is_never_before_the_date_published(client, section):
    # A wire story may carry a publication time later than the moment it was put online.
    article = make_article(section, published_at=timezone.now() + datetime.timedelta(minutes=10))

    data = news_article(html_of(client, article.url))

    assert data["dateModified"] >= data["datePublished"]


def test_a_headline_cannot_break_out_of_the_json_ld_script(client, section):
    headline = "Breaking </script><script>alert(1)</script> & <!-- news"
    article = make_article(section, title=headline)

    html = html_of(client, article.url)

    assert "<script>alert(1)" not in html
    assert "<!--" not in html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert news_article(html)["headline"] == headline


def test_an_arabic_story_reads_right_to_left_with_a_unicode_address(client, home):
    section = actions.create_section(parent=home, title="العربية", slug="arabic")
    article = make_article(
        section,
        title="افتتاح جسر جديد في بغداد",
        language="ar",
        dateline_place="بغداد",
        dateline_source="وكالة الأنباء",
        paragraphs=("قال مسؤولون إن الجسر سيفتح أمام السيارات يوم الأحد.",),
    )

    assert article.slug == "افتتاح-جسر-جديد-في-بغداد"
    response = client.get(article.url)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert '<article class="story" lang="ar" dir="rtl">' in html
    assert '<h1 class="story__headline" dir="auto">افتتاح جسر جديد في بغداد</h1>' in html
    assert '<span class="dateline">(بغداد: وكالة الأنباء)</span> قال مسؤولون' in html
    assert news_article(html)["inLanguage"] == "ar"
    # The story's own labels follow the story's language, on an English site too.
    assert '<html lang="en" dir="ltr">' in html
    assert 'الوقت: <time datetime="' in html
    front_page = html_of(client, "/")
    assert re.search(r'<article class="card card--lead" lang="ar" dir="rtl">', front_page)


def test_a_reader_asking_for_arabic_gets_the_site_right_to_left(client, story):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ar")

    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "الرئيسية" in html
    assert "الأحدث" in html
    # An English story stays left-to-right inside the Arabic page.
    assert '<article class="card card--lead" lang="en" dir="ltr">' in html


# Body blocks ----------------------------------------------------------------------------------


def test_a_quotation_names_its_speaker_in_a_cite(client, section):
    article = actions.create_article(
        section=section,
        title="Quoted story",
        body=[
            actions.Block("paragraph", "<p>Officials spoke.</p>"),
            actions.Block(
                "quote",
                {
                    "quote": "The bridge will open on time.",
                    "speaker": "Hadi Nasser",
                    "role": "chief engineer",
                },
            ),
        ],
        publish=True,
    )

    html = html_of(client, article.url)

    assert re.search(r"<blockquote[^>]*><p>The bridge will open on time.</p></blockquote>", html)
    assert "<cite>Hadi Nasser</cite>, chief engineer" in html


def test_an_image_block_has_a_caption_and_credit(client, section):
    image = make_image("Bridge at dawn")
    article = actions.create_article(
        section=section,
        title="Pictured story",
        body=[
            actions.Block("paragraph", "<p>Text.</p>"),
            actions.Block(
                "image", {"image": image, "caption": "The bridge at dawn", "credit": "Lina Photo"}
            ),
        ],
        publish=True,
    )

    html = html_of(client, article.url)

    figure = re.search(r'<figure class="story__image">(.*?)</figure>', html, re.S)
    assert figure
    assert '<img src="/media/images/' in figure.group(1)
    assert 'alt="The bridge at dawn"' in figure.group(1)
    assert (
        '<figcaption dir="auto">The bridge at dawn <span class="credit">Photo: Lina Photo</span></figcaption>'
        in figure.group(1)
    )


def _article_with_embed(section, url: str) -> ArticlePage:
    return actions.create_article(
        section=section,
        title="Story with a video",
        body=[
            actions.Block("paragraph", "<p>Watch.</p>"),
            actions.Block("embed", {"embed": url, "caption": "The opening ceremony"}),
        ],
        publish=True,
    )


@pytest.fixture
def no_network(monkeypatch):
    """Wagtail fetches unknown embeds from their provider while rendering: never in tests."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a test tried to fetch an embed over the network")

    monkeypatch.setattr("wagtail.embeds.finders.oembed.requests.get", refuse)


def test_a_known_embed_is_rendered_from_the_database(client, section, no_network):
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    Embed.objects.create(
        url=url,
        max_width=None,
        hash=get_embed_hash(url),
        type="video",
        html='<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" title="Ceremony"></iframe>',
        width=640,
        height=360,
    )
    article = _article_with_embed(section, url)

    html = html_of(client, article.url)

    assert (
        '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" title="Ceremony"></iframe>'
        in html
    )
    assert "<figcaption>The opening ceremony</figcaption>" in html


def test_an_embed_no_provider_knows_falls_back_to_a_link(client, section, no_network):
    url = "https://example.org/posts/42"
    article = _article_with_embed(section, url)

    html = html_of(client, article.url)

    assert f'<a href="{url}" rel="nofollow noopener">{url}</a>' in html
    assert "<figcaption>The opening ceremony</figcaption>" in html


# Feeds ----------------------------------------------------------------------------------------


@pytest.fixture
def newsdesk(section, home):
    """Three live stories in World and one in Economy, and a draft that must stay out."""
    economy = actions.create_section(parent=home, title="Economy", slug="economy")
    now = timezone.now().replace(microsecond=0)
    stories = {
        "oldest": make_article(
            section, title="Oldest world story", published_at=now - datetime.timedelta(hours=5)
        ),
        "middle": make_article(
            section, title="Middle world story", published_at=now - datetime.timedelta(hours=3)
        ),
        "newest": make_article(
            section,
            title="Newest world story",
            standfirst="The latest.",
            published_at=now - datetime.timedelta(hours=1),
            bylines=[AuthorFactory(name="Rana Aziz", slug="rana-aziz"), "Sami Guest"],
        ),
        "economy": make_article(
            economy, title="Economy story", published_at=now - datetime.timedelta(hours=2)
        ),
    }
    make_article(section, title="Unpublished draft", publish=False, published_at=now)
    return stories


def parse_feed(client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_the_site_feed_lists_published_stories_newest_first(client, newsdesk, kind):
    feed = parse_feed(client, f"/feed/{kind}/")

    assert feed.feed.title == "Test Gazette"
    assert feed.feed.link == f"{django_settings.BASE_URL}/"
    assert [e.title for e in feed.entries] == [
        "Newest world story",
        "Economy story",
        "Middle world story",
        "Oldest world story",
    ]
    newest = feed.entries[0]
    assert newest.link == newsdesk["newest"].full_url
    assert newest.link.startswith(f"{django_settings.BASE_URL}/world/")
    assert newest.author == "Rana Aziz and Sami Guest"
    assert (
        datetime.datetime(*newest.published_parsed[:6], tzinfo=datetime.UTC)
        == newsdesk["newest"].published_at
    )
    assert newest.summary == "The latest."


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_a_section_feed_lists_only_that_section(client, newsdesk, kind):
    feed = parse_feed(client, f"/world/feed/{kind}/")

    assert feed.feed.title == "World — Test Gazette"
    assert feed.feed.link == f"{django_settings.BASE_URL}/world/"
    assert [e.title for e in feed.entries] == [
        "Newest world story",
        "Middle world story",
        "Oldest world story",
    ]


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_a_feed_points_to_itself_at_the_public_address(client, newsdesk, kind):
    response = client.get(f"/feed/{kind}/")

    assert f'href="{django_settings.BASE_URL}/feed/{kind}/" rel="self"' in response.content.decode()


def test_feeds_carry_the_stories_tags_as_categories(client, story):
    feed = parse_feed(client, "/feed/rss/")

    assert sorted(t.term for t in feed.entries[0].tags) == ["Baghdad", "transport"]


def test_a_feed_holds_at_most_thirty_stories(client, section):
    now = timezone.now()
    for n in range(FEED_LENGTH + 2):
        make_article(
            section, title=f"Story {n:02d}", published_at=now - datetime.timedelta(minutes=n)
        )

    feed = parse_feed(client, "/feed/atom/")

    assert FEED_LENGTH == 30
    assert len(feed.entries) == FEED_LENGTH
    assert feed.entries[0].title == "Story 00"
    assert feed.entries[-1].title == "Story 29"


def test_a_feed_of_an_empty_site_is_valid(client, home):
    feed = parse_feed(client, "/feed/rss/")

    assert feed.entries == []


def test_the_feed_content_type_is_xml(client, home):
    assert client.get("/feed/rss/")["Content-Type"].startswith("application/rss+xml")
    assert client.get("/feed/atom/")["Content-Type"].startswith("application/atom+xml")


# Sitemap and robots.txt -----------------------------------------------------------------------


def test_the_sitemap_lists_sections_and_live_stories_at_absolute_addresses(client, newsdesk, home):
    response = client.get("/sitemap.xml")

    assert response.status_code == HTTPStatus.OK
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own sitemap, not untrusted input
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = {loc.text for loc in root.findall("s:url/s:loc", ns)}
    base = django_settings.BASE_URL
    assert {f"{base}/", f"{base}/world/", f"{base}/economy/"} <= locations
    assert {story.full_url for story in newsdesk.values()} <= locations
    assert not any("unpublished-draft" in loc for loc in locations)
    assert len(locations) == 3 + len(newsdesk)


def test_robots_txt_names_the_sitemap(client, home):
    response = client.get("/robots.txt")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert f"Sitemap: {django_settings.BASE_URL}/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines


def test_the_site_record_carries_the_public_address(home):
    site = Site.objects.get(is_default_site=True)

    assert site.root_url == django_settings.BASE_URL
