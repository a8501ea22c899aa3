import datetime
from http import HTTPStatus

import pytest
from django.utils import timezone

from tests.factories import AuthorFactory, make_article

pytestmark = pytest.mark.django_db


def test_an_article_shows_headline_time_dateline_and_byline_like_the_model_page(
    client, section, settings
):
    settings.TIME_ZONE = "Asia/Baghdad"
    author = AuthorFactory(name="Rana Aziz", slug="rana-aziz")
    article = make_article(
        section,
        title="Ferry service resumes on the Tigris",
        published_at=datetime.datetime(2020, 11, 20, 18, 28, 39, tzinfo=datetime.UTC),
        dateline_place="Baghdad",
        dateline_source="River Wire",
        bylines=[author],
    )

    response = client.get(article.url)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert '<h1 class="story__headline" dir="auto">Ferry service resumes on the Tigris</h1>' in html
    assert '<time datetime="2020-11-20T21:28:39+03:00">2020/11/20 21:28:39</time>' in html
    assert "<p data-block-key" in html or "<p>" in html
    assert (
        '<span class="dateline">(Baghdad: River Wire)</span> First paragraph of the story.' in html
    )
    assert 'href="/authors/rana-aziz/">Rana Aziz</a>' in html


def test_a_draft_article_is_not_reachable_by_readers(client, section):
    article = make_article(section, publish=False)

    assert (
        client.get(article.get_url() or f"/world/{article.slug}/").status_code
        == HTTPStatus.NOT_FOUND
    )


def test_an_article_past_its_expiry_time_is_hidden_before_the_worker_unpublishes_it(
    client, section
):
    article = make_article(section)
    type(article).objects.filter(pk=article.pk).update(
        expire_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert client.get(article.url).status_code == HTTPStatus.NOT_FOUND
