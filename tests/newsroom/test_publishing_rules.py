"""What readers may see: only live, public, unexpired articles, wherever they look — the story's
own address, the front page, section pages, author and tag pages, feeds and the sitemap."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from dateline.newsroom import actions
from dateline.newsroom.models import ArticlePage, Author, SectionPage
from tests.factories import AuthorFactory, make_article

pytestmark = pytest.mark.django_db


@dataclass
class Scene:
    """A sub-section ``World > Middle East`` holding a visible story and the story under test,
    both by the same author and under the same tag, so every list page has something on it."""

    world: SectionPage
    middle_east: SectionPage
    author: Author
    visible: ArticlePage


@pytest.fixture
def scene(section: SectionPage) -> Scene:
    middle_east = actions.create_section(parent=section, title="Middle East", slug="middle-east")
    author = AuthorFactory(name="Dana Yousef", slug="dana-yousef")
    visible = make_article(
        middle_east,
        title="Visible control story",
        bylines=[author],
        tags=["ports"],
        published_at=timezone.now() - datetime.timedelta(hours=2),
    )
    return Scene(world=section, middle_east=middle_east, author=author, visible=visible)


def reader_places(scene: Scene) -> dict[str, str]:
    return {
        "front page": "/",
        "section page": scene.middle_east.url,
        "parent section page": scene.world.url,
        "author page": f"/authors/{scene.author.slug}/",
        "tag page": "/tags/ports/",
        "site RSS feed": "/feed/rss/",
        "site Atom feed": "/feed/atom/",
        "section RSS feed": f"{scene.middle_east.url}feed/rss/",
        "section Atom feed": f"{scene.middle_east.url}feed/atom/",
        "parent section RSS feed": f"{scene.world.url}feed/rss/",
        "parent section Atom feed": f"{scene.world.url}feed/atom/",
        "sitemap": "/sitemap.xml",
    }


def places_showing(client: Client, scene: Scene, article: ArticlePage) -> list[str]:
    """The reader places whose content links to the article (every list, feed and sitemap
    links to a story by its address)."""
    found = []
    for name, url in reader_places(scene).items():
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, (
            f"{name} ({url}) answered {response.status_code}"
        )
        content = response.content.decode()
        # Each list page must still show the control story, or the check proves nothing.
        assert scene.visible.url in content, f"{name} does not show the visible story"
        if article.url in content or article.title in content:
            found.append(name)
    return found


def schedule(article: ArticlePage, go_live_at: datetime.datetime) -> None:
    """What an editor's "Publish" with a future go-live time does in the admin."""
    article.go_live_at = go_live_at
    revision = article.save_revision(approved_go_live_at=go_live_at)
    revision.publish()


def make_draft(scene: Scene) -> ArticlePage:
    return make_article(
        scene.middle_east,
        title="Hidden draft story",
        bylines=[scene.author],
        tags=["ports"],
        publish=False,
    )


def make_scheduled(scene: Scene) -> ArticlePage:
    article = make_draft(scene)
    schedule(article, timezone.now() + datetime.timedelta(hours=1))
    return article


def make_expired(scene: Scene) -> ArticlePage:
    # Past its expiry time but still live=True: the worker has not run yet.
    article = make_article(
        scene.middle_east, title="Hidden expired story", bylines=[scene.author], tags=["ports"]
    )
    ArticlePage.objects.filter(pk=article.pk).update(
        expire_at=timezone.now() - datetime.timedelta(seconds=5)
    )
    return article


def make_unpublished(scene: Scene) -> ArticlePage:
    article = make_article(
        scene.middle_east, title="Hidden withdrawn story", bylines=[scene.author], tags=["ports"]
    )
    article.unpublish()
    return article


HIDDEN_STATES: dict[str, Callable[[Scene], ArticlePage]] = {
    "draft": make_draft,
    "scheduled": make_scheduled,
    "expired": make_expired,
    "unpublished": make_unpublished,
}


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_an_article_that_is_not_published_is_not_at_its_own_address(client, scene, state):
    article = HIDDEN_STATES[state](scene)

    response = client.get(article.url)

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("state", HIDDEN_STATES)
def test_an_article_that_is_not_published_is_in_no_list_feed_or_sitemap(client, scene, state):
    article = HIDDEN_STATES[state](scene)
    article.refresh_from_db()

    assert places_showing(client, scene, article) == []


def test_a_scheduled_article_stays_unpublished_until_its_time(scene):
    article = make_scheduled(scene)

    article.refresh_from_db()
    assert not article.live
    assert article.go_live_at is not None
    assert not ArticlePage.objects.published().filter(pk=article.pk).exists()


def test_an_article_expiring_in_the_future_is_still_shown(client, scene):
    article = make_article(
        scene.middle_east,
        title="Story with a future expiry",
        bylines=[scene.author],
        tags=["ports"],
    )
    ArticlePage.objects.filter(pk=article.pk).update(
        expire_at=timezone.now() + datetime.timedelta(hours=1)
    )

    assert client.get(article.url).status_code == HTTPStatus.OK
    assert len(places_showing(client, scene, article)) == len(reader_places(scene))


def test_a_live_article_is_shown_everywhere_readers_look(client, scene):
    article = make_article(
        scene.middle_east, title="Freshly published story", bylines=[scene.author], tags=["ports"]
    )

    assert client.get(article.url).status_code == HTTPStatus.OK
    assert places_showing(client, scene, article) == list(reader_places(scene))


def test_an_article_published_again_after_being_withdrawn_comes_back(client, scene):
    article = make_unpublished(scene)

    actions.publish_article(article=article)

    assert client.get(article.url).status_code == HTTPStatus.OK
    assert places_showing(client, scene, article) == list(reader_places(scene))


def test_the_author_index_does_not_list_writers_whose_only_stories_are_hidden(client, scene):
    hidden_author = AuthorFactory(name="Hidden Writer", slug="hidden-writer")
    make_article(scene.middle_east, title="Only a draft", bylines=[hidden_author], publish=False)
    expired = make_article(scene.middle_east, title="Only expired", bylines=[hidden_author])
    ArticlePage.objects.filter(pk=expired.pk).update(
        expire_at=timezone.now() - datetime.timedelta(seconds=5)
    )

    html = client.get("/authors/").content.decode()

    assert "Dana Yousef" in html
    assert "Hidden Writer" not in html
