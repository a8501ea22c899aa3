"""The comment form's sign-in part and the page cache: the cached article is the same for
every anonymous reader, a signed-in reader is never served from it, and changing the
providers in the admin changes the cached pages at once."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.socialaccount.models import SocialApp
from django.core.cache import caches
from django.test import Client

from dateline.discussion.models import Commenter
from tests.identity.test_comment_form_sign_in import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache(settings):
    settings.DATELINE_PAGE_CACHE = True
    caches["pages"].clear()
    yield
    caches["pages"].clear()


@pytest.fixture
def editor(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.org", "pw"))
    return client


def test_the_article_with_its_sign_in_icons_is_cached_for_anonymous_readers(page_cache, article):
    SocialApp.objects.create(provider="google", name="Google", client_id="g", secret="s")

    first = Client().get(article.url)
    second = Client().get(article.url)

    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert "Log in with Google" in second.content.decode()


def test_a_signed_in_reader_is_never_served_the_cached_page(page_cache, article):
    commenter = Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER, provider="google", subject="1", display_name="Nadia"
    )
    Client().get(article.url)
    reader = Client()
    sign_in(reader, commenter)

    page = reader.get(article.url)

    assert page["X-Cache"] == "bypass"
    assert "You are commenting using your Google account." in page.content.decode()


def test_adding_or_switching_off_a_provider_in_the_admin_changes_cached_articles(
    page_cache, article, editor
):
    assert "Log in with Google" not in Client().get(article.url).content.decode()

    added = editor.post(
        "/admin/sign-in-providers/new/",
        {
            "provider": "google",
            "name": "",
            "provider_id": "",
            "client_id": "g",
            "secret": "s",
            "enabled": "on",
        },
    )
    assert added.status_code == HTTPStatus.FOUND
    assert "Log in with Google" in Client().get(article.url).content.decode()

    app = SocialApp.objects.get()
    editor.post(
        f"/admin/sign-in-providers/edit/{app.pk}/",
        {"provider": "google", "name": "Google", "provider_id": "", "client_id": "g", "secret": ""},
    )
    assert "Log in with Google" not in Client().get(article.url).content.decode()

    editor.post(
        f"/admin/sign-in-providers/edit/{app.pk}/",
        {
            "provider": "google",
            "name": "Google",
            "provider_id": "",
            "client_id": "g",
            "secret": "",
            "enabled": "on",
        },
    )
    assert "Log in with Google" in Client().get(article.url).content.decode()
    assert Client().get(article.url)["X-Cache"] == "hit"
    editor.post(f"/admin/sign-in-providers/delete/{app.pk}/")
    assert not SocialApp.objects.exists()
    assert "Log in with Google" not in Client().get(article.url).content.decode()
