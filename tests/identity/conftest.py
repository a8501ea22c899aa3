"""Fixtures for the sign-in tests: a story to comment on, sign-in providers configured the way
an editor would (``SocialApp`` rows), and the real HTTP peers from ``servers.py``."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialApp
from django.test import Client

from tests.factories import discussion_policy, make_article
from tests.identity.servers import FakeWordPressCom, OIDCProvider, running_oidc_provider

OIDC_PROVIDER_ID = "newsroom"
OIDC_CALLBACK_PATH = f"/accounts/oidc/{OIDC_PROVIDER_ID}/login/callback/"


@pytest.fixture
def article(section):
    return make_article(section, title="Ferry service resumes on the river")


@pytest.fixture
def article_path(article) -> str:
    return str(article.url)


@pytest.fixture
def publish_policy(db):
    from dateline.discussion.models import DiscussionSettings

    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


def add_app(provider: str, **fields: Any) -> SocialApp:
    fields.setdefault("name", provider)
    fields.setdefault("client_id", f"{provider}-client")
    fields.setdefault("secret", f"{provider}-secret")
    return SocialApp.objects.create(provider=provider, **fields)


@pytest.fixture
def wordpress(db, settings) -> Iterator[FakeWordPressCom]:
    fake = FakeWordPressCom(
        redirect_uris=["http://testserver/accounts/wordpress_com/login/callback/"]
    ).start()
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["wordpress_com"]["API_URL"] = fake.url
    settings.SOCIALACCOUNT_PROVIDERS = providers
    add_app(
        "wordpress_com",
        name="WordPress.com",
        client_id=fake.client_id,
        secret=fake.client_secret,
        settings={"enabled": True},
    )
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def oidc_server(tmp_path_factory) -> Iterator[OIDCProvider]:
    """One provider process for the whole run. It knows the test client's callback
    (http://testserver) exactly; browser tests add the live server's once it runs."""
    with running_oidc_provider(
        workdir=tmp_path_factory.mktemp("oidc"),
        redirect_uris=[f"http://testserver{OIDC_CALLBACK_PATH}"],
    ) as provider:
        yield provider


@pytest.fixture
def oidc_app(db, oidc_server: OIDCProvider) -> SocialApp:
    return add_app(
        "openid_connect",
        provider_id=OIDC_PROVIDER_ID,
        name="Newsroom SSO",
        client_id=oidc_server.client_id,
        secret=oidc_server.client_secret,
        settings={"server_url": oidc_server.url, "enabled": True},
    )


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


class ProviderBrowser:
    """The reader's side at the OIDC provider, over plain HTTP: sign in, then approve (or
    deny) the consent form, and return the redirect back to Dateline's callback."""

    def __init__(self, provider: OIDCProvider) -> None:
        self.provider = provider
        self.http = requests.Session()

    def _csrf(self, html: str) -> str:
        marker = 'name="csrfmiddlewaretoken" value="'
        start = html.index(marker) + len(marker)
        return html[start : html.index('"', start)]

    def authorize(self, authorize_url: str, *, allow: bool = True) -> str:
        answer = self.http.get(authorize_url, timeout=30)
        if "/accounts/login/" in answer.url:
            login_url = answer.url
            answer = self.http.post(
                login_url,
                data={
                    "csrfmiddlewaretoken": self._csrf(answer.text),
                    "username": self.provider.username,
                    "password": self.provider.password,
                    "next": query_of(login_url)["next"],
                },
                headers={"Referer": login_url},
                timeout=30,
            )
        assert "authorizationForm" in answer.text, answer.text[:2000]
        form = self._hidden_fields(answer.text)
        form["csrfmiddlewaretoken"] = self._csrf(answer.text)
        if allow:
            form["allow"] = "Authorize"
        consent = self.http.post(
            answer.url,
            data=form,
            headers={"Referer": answer.url},
            allow_redirects=False,
            timeout=30,
        )
        assert consent.status_code == 302, consent.text[:2000]
        return consent.headers["Location"]

    def _hidden_fields(self, page: str) -> dict[str, str]:
        fields = {}
        for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', page):
            name = re.search(r'name="([^"]*)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name and name.group(1) != "csrfmiddlewaretoken":
                fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
        return fields


@pytest.fixture
def provider_browser(oidc_server: OIDCProvider) -> ProviderBrowser:
    return ProviderBrowser(oidc_server)


@pytest.fixture
def reader() -> Client:
    """A reader's browser without JavaScript: the test client, keeping cookies."""
    return Client()
