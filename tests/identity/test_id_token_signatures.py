"""Every ID token is verified against the provider's published keys (issue #13, point 4):
a provider that signs with ES256 under an issuer with a path and requires PKCE signs readers
in; tokens signed badly, or well signed with the wrong claims, never do, and nothing is
written. Keys are fetched from ``jwks_uri``, kept, and fetched again once on an unknown kid."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from urllib.parse import unquote

import pytest
from django.test import Client

from dateline.discussion.models import Commenter
from dateline.identity import session
from tests.identity.conftest import add_app, path_and_query
from tests.identity.signing_provider import SigningProvider

pytestmark = pytest.mark.django_db

PROVIDER_ID = "realm"


@pytest.fixture
def provider(db) -> Iterator[SigningProvider]:
    fake = SigningProvider().start()
    add_app(
        "openid_connect",
        provider_id=PROVIDER_ID,
        name="Realm SSO",
        client_id=fake.client_id,
        secret=fake.client_secret,
        settings={"server_url": fake.issuer, "enabled": True},
    )
    try:
        yield fake
    finally:
        fake.stop()


def sign_in(provider: SigningProvider, article_path: str) -> tuple[Client, object]:
    reader = Client()
    started = reader.post(f"/identity/start/{PROVIDER_ID}/?next={article_path}")
    assert started.status_code == HTTPStatus.FOUND, started.content[:300]
    authorize = started["Location"]
    assert authorize.startswith(provider.issuer + "/protocol/openid-connect/auth?")
    import requests

    back = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    return reader, reader.get(path_and_query(back))


def test_an_es256_token_from_an_issuer_with_a_path_signs_the_reader_in(provider, article_path):
    reader, callback = sign_in(provider, article_path)

    assert callback.status_code == HTTPStatus.FOUND, callback.content[:500]
    commenter = Commenter.objects.get(provider=PROVIDER_ID)
    assert commenter.subject == provider.subject
    assert commenter.display_name == "Rana Khoury"
    assert reader.session[session.COMMENTER_KEY] == commenter.pk
    assert provider.jwks_fetches == 1


@pytest.mark.parametrize(
    "mode",
    [
        "wrong-key",
        "unknown-kid",
        "none",
        "hs256-client-secret",
        "other-issuer",
        "other-audience",
        "several-audiences",
        "issued-in-the-future",
        "no-iss-in-response",
        "iss-in-response-differs",
    ],
)
def test_a_badly_signed_or_wrong_token_signs_nobody_in(provider, article_path, mode):
    provider.mode = mode

    reader, callback = sign_in(provider, article_path)

    assert not Commenter.objects.filter(provider=PROVIDER_ID).exists()
    assert session.COMMENTER_KEY not in reader.session
    assert callback.status_code in {HTTPStatus.OK, HTTPStatus.FOUND}
    assert b"Traceback" not in callback.content


def test_keys_are_kept_and_fetched_again_once_when_the_provider_rotates(provider, article_path):
    sign_in(provider, article_path)
    sign_in(provider, article_path)
    assert provider.jwks_fetches == 1  # kept

    provider.rotate()
    _reader, callback = sign_in(provider, article_path)
    assert callback.status_code == HTTPStatus.FOUND
    assert provider.jwks_fetches == 2  # the unknown kid fetched the keys once more

    # A token naming a kid nobody publishes does not make us fetch the keys on every try.
    provider.mode = "unknown-kid"
    for _ in range(3):
        sign_in(provider, article_path)
    assert provider.jwks_fetches == 2


def test_a_plain_http_issuer_is_refused_when_the_site_runs_https(provider, settings, caplog):
    settings.HTTPS = True
    from allauth.socialaccount.models import SocialApp

    SocialApp.objects.filter(provider_id=PROVIDER_ID).update(
        settings={"server_url": "http://sso.newsroom.example/realms/news", "enabled": True}
    )
    reader = Client()
    started = reader.post(f"/identity/start/{PROVIDER_ID}/?next=/")
    # The reader is sent back to the form with a message; nothing is fetched over HTTP.
    assert started.status_code == HTTPStatus.FOUND
    assert "sso.newsroom.example" not in started["Location"]
    assert "is not served over HTTPS" in caplog.text


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_the_token_endpoint_authentication_is_chosen_per_provider(provider, article_path, method):
    from allauth.socialaccount.models import SocialApp

    provider.accepts = method
    app = SocialApp.objects.get(provider_id=PROVIDER_ID)
    app.settings = {**app.settings, "token_auth_method": method}
    app.save()

    _reader, callback = sign_in(provider, article_path)

    assert callback.status_code == HTTPStatus.FOUND
    assert provider.token_auths == [method]
    assert Commenter.objects.filter(provider=PROVIDER_ID).exists()


def test_by_default_the_method_the_provider_advertises_is_used(provider, article_path):
    provider.accepts = "client_secret_basic"  # it advertises both; allauth prefers post

    sign_in(provider, article_path)

    assert provider.token_auths == ["client_secret_post"]
    assert not Commenter.objects.filter(provider=PROVIDER_ID).exists()


def test_change_asks_the_provider_to_let_the_reader_choose_an_account(provider, article_path):
    reader, _callback = sign_in(provider, article_path)
    first = reader.post(f"/identity/start/{PROVIDER_ID}/?next={article_path}")
    assert "prompt=" not in first["Location"]  # an ordinary sign-in asks nothing extra

    changed = reader.post(f"/identity/sign-out/?next={article_path}&change=1")
    assert changed.status_code == HTTPStatus.FOUND
    again = reader.post(f"/identity/start/{PROVIDER_ID}/?next={article_path}")
    assert "prompt=select_account" in again["Location"]
    assert "nonce=" in again["Location"]  # everything else as before

    # Only the next sign-in after "Change".
    later = reader.post(f"/identity/start/{PROVIDER_ID}/?next={article_path}")
    assert "prompt=" not in later["Location"]


def test_the_admins_check_reports_what_the_provider_publishes(provider, client):
    from allauth.socialaccount.models import SocialApp
    from django.contrib.auth import get_user_model

    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="gone",
        name="Gone SSO",
        client_id="c",
        secret="s",
        settings={"server_url": "http://127.0.0.1:9/realms/none", "enabled": True},
    )
    editor = get_user_model().objects.create_superuser("desk", "d@example.org", "pw-for-tests")
    client.force_login(editor)

    page = client.get("/admin/sign-in-providers-check/")

    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert f"Issuer: {provider.issuer}" in text
    assert "PKCE with S256 is supported." in text
    assert "Signing keys published: 1 (ES256)." in text
    assert f"/accounts/oidc/{PROVIDER_ID}/login/callback/" in text
    assert "could not be read" in text  # the provider that does not answer
    assert (
        client.post("/admin/sign-in-providers-check/").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    )


def test_a_refused_sign_in_is_logged_under_the_providers_own_id(provider, article_path, caplog):
    import logging

    provider.mode = "wrong-key"
    with caplog.at_level(logging.INFO, logger="dateline.identity.adapters"):
        sign_in(provider, article_path)

    assert f"Sign-in with {PROVIDER_ID} failed" in caplog.text


def test_a_client_the_provider_refuses_ends_in_the_products_own_message(
    provider, article_path, caplog
):
    """A wrong client ID or secret: the provider answers the token request with
    ``invalid_client``. The reader is back under the story with Dateline's own words (not the
    provider's error, not "try again": it will not pass), and the log tells the editors."""
    import logging

    provider.client_id = "another-client"  # what the provider knows; the site has the old one
    with caplog.at_level(logging.INFO, logger="dateline.identity.adapters"):
        reader, callback = sign_in(provider, article_path)

    assert callback.status_code == HTTPStatus.FOUND
    assert unquote(callback["Location"]).endswith(article_path)
    notice = reader.session[session.NOTICE_KEY]["message"]
    assert notice.startswith("Signing in with Realm SSO is not working on this site")
    assert "fill in your details" in notice
    refused = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(refused) == 1
    assert f"Sign-in with {PROVIDER_ID} failed" in refused[0].getMessage()
    assert "invalid_client" in refused[0].getMessage()
    assert not Commenter.objects.filter(provider=PROVIDER_ID).exists()


def test_a_provider_that_sends_the_reader_back_with_unauthorized_client(
    provider, article_path, caplog
):
    import logging

    reader = Client()
    started = reader.post(f"/identity/start/{PROVIDER_ID}/?next={article_path}")
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(started["Location"]).query)
    callback = query["redirect_uri"][0]
    with caplog.at_level(logging.ERROR, logger="dateline.identity.adapters"):
        back = reader.get(
            path_and_query(callback)
            + f"?error=unauthorized_client&state={query['state'][0]}&iss={provider.issuer}"
        )

    assert back.status_code == HTTPStatus.FOUND
    assert reader.session[session.NOTICE_KEY]["message"].startswith(
        "Signing in with Realm SSO is not working on this site"
    )
    assert "unauthorized_client" in caplog.text


def test_the_admins_check_says_when_the_client_id_or_secret_is_refused(provider, client):
    from django.contrib.auth import get_user_model

    editor = get_user_model().objects.create_superuser("desk", "d@example.org", "pw-for-tests")
    client.force_login(editor)
    assert "The provider accepts the client ID and secret." in (
        client.get("/admin/sign-in-providers-check/").content.decode()
    )

    provider.client_secret = "rotated-at-the-provider"
    text = client.get("/admin/sign-in-providers-check/").content.decode()

    assert "The provider refused the client ID and secret (invalid_client)" in text
    assert "readers cannot sign in" in text
