"""Configuring providers: environment variables (checked at start-up like every setting) and
the admin's "Sign-in providers" (allauth's SocialApp, with an enabled switch)."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from allauth.socialaccount.models import SocialApp

from dateline import env
from dateline.identity import config

ENV_PREFIXES = (
    "DATELINE_GOOGLE",
    "DATELINE_FACEBOOK",
    "DATELINE_TWITTER",
    "DATELINE_WORDPRESS",
    "DATELINE_OIDC",
)


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)
    return monkeypatch


def test_without_variables_no_app_is_configured_but_pkce_is_on_everywhere(clean_env):
    providers = config.socialaccount_providers()

    assert all("APPS" not in p for p in providers.values())
    assert all(p["OAUTH_PKCE_ENABLED"] for p in providers.values())


def test_built_in_providers_come_from_client_id_and_secret(clean_env):
    clean_env.setenv("DATELINE_GOOGLE_CLIENT_ID", "g-id")
    clean_env.setenv("DATELINE_GOOGLE_CLIENT_SECRET", "g-secret")
    clean_env.setenv("DATELINE_WORDPRESS_CLIENT_ID", "123")
    clean_env.setenv("DATELINE_WORDPRESS_CLIENT_SECRET", "wp")

    providers = config.socialaccount_providers()

    assert providers["google"]["APPS"][0]["client_id"] == "g-id"
    assert providers["wordpress_com"]["APPS"][0]["name"] == "WordPress.com"
    assert "APPS" not in providers["facebook"]


def test_half_a_pair_stops_start_up(clean_env):
    clean_env.setenv("DATELINE_FACEBOOK_CLIENT_ID", "fb")

    with pytest.raises(env.EnvError, match="DATELINE_FACEBOOK_CLIENT_SECRET"):
        config.socialaccount_providers()


def test_several_openid_connect_providers_from_json(clean_env):
    clean_env.setenv(
        "DATELINE_OIDC_PROVIDERS",
        json.dumps(
            [
                {
                    "id": "keycloak",
                    "name": "Newsroom",
                    "server_url": "https://sso.example.org/realms/news/",
                    "client_id": "a",
                    "secret": "s",
                },
                {
                    "id": "partner",
                    "name": "Partner",
                    "server_url": "https://id.partner.example",
                    "client_id": "b",
                    "secret": "t",
                },
            ]
        ),
    )

    apps = config.socialaccount_providers()["openid_connect"]["APPS"]

    assert [a["provider_id"] for a in apps] == ["keycloak", "partner"]
    assert apps[0]["settings"]["server_url"] == "https://sso.example.org/realms/news"


def test_numbered_variables_work_too(clean_env):
    clean_env.setenv("DATELINE_OIDC_1_ID", "keycloak")
    clean_env.setenv("DATELINE_OIDC_1_SERVER_URL", "https://sso.example.org/realms/news")
    clean_env.setenv("DATELINE_OIDC_1_CLIENT_ID", "a")
    clean_env.setenv("DATELINE_OIDC_1_SECRET", "s")

    apps = config.socialaccount_providers()["openid_connect"]["APPS"]

    assert apps[0]["provider_id"] == "keycloak"
    assert apps[0]["name"] == "keycloak"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "not valid JSON"),
        ("{}", "JSON list"),
        ('[{"id": "x"}]', "missing name, server_url, client_id"),
        (
            '[{"id": "google", "name": "G", "server_url": "https://a.example", "client_id": "c"}]',
            "reserved",
        ),
        (
            '[{"id": "Bad Id", "name": "G", "server_url": "https://a.example", "client_id": "c"}]',
            "lower-case",
        ),
        ('[{"id": "a", "name": "A", "server_url": "ftp://a.example", "client_id": "c"}]', "http"),
        (
            '[{"id": "a", "name": "A", "server_url": "https://a.example", "client_id": "c"},'
            ' {"id": "a", "name": "B", "server_url": "https://b.example", "client_id": "d"}]',
            "used twice",
        ),
    ],
)
def test_bad_openid_connect_configuration_stops_start_up_naming_the_variable(
    clean_env, value, message
):
    clean_env.setenv("DATELINE_OIDC_PROVIDERS", value)

    with pytest.raises(env.EnvError, match="DATELINE_OIDC_PROVIDERS") as error:
        config.socialaccount_providers()

    assert message in str(error.value)


# The admin ------------------------------------------------------------------------------


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "e@example.org", "pw-for-tests")
    client.force_login(user)
    return client


def test_editors_find_sign_in_providers_in_the_admin(editor, db):
    SocialApp.objects.create(provider="google", name="Google", client_id="g", secret="s")

    listing = editor.get("/admin/sign-in-providers/")

    assert listing.status_code == HTTPStatus.OK
    assert b"Google" in listing.content


def test_an_editor_adds_an_openid_connect_provider(editor, db):
    added = editor.post(
        "/admin/sign-in-providers/new/",
        {
            "provider": "openid_connect",
            "name": "Newsroom SSO",
            "provider_id": "newsroom",
            "client_id": "dateline",
            "secret": "s3cret",
            "server_url": "https://sso.example.org/realms/news/",
            "enabled": "on",
        },
    )

    assert added.status_code == HTTPStatus.FOUND, added.content.decode()[:3000]
    app = SocialApp.objects.get()
    assert app.provider_id == "newsroom"
    assert app.settings == {"enabled": True, "server_url": "https://sso.example.org/realms/news"}


def test_an_edit_without_a_secret_keeps_the_saved_one_and_can_switch_it_off(editor, db):
    app = SocialApp.objects.create(
        provider="google", name="Google", client_id="g", secret="keep-me"
    )

    edited = editor.post(
        f"/admin/sign-in-providers/edit/{app.pk}/",
        {
            "provider": "google",
            "name": "Google",
            "provider_id": "",
            "client_id": "g2",
            "secret": "",
        },
    )

    assert edited.status_code == HTTPStatus.FOUND, edited.content.decode()[:3000]
    app.refresh_from_db()
    assert (app.client_id, app.secret) == ("g2", "keep-me")
    assert app.settings["enabled"] is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {
                "provider": "openid_connect",
                "name": "X",
                "provider_id": "google",
                "server_url": "https://a.example",
            },
            "provider_id",
        ),
        ({"provider": "openid_connect", "name": "X", "provider_id": "ok-id"}, "server_url"),
        ({"provider": "google", "name": "", "provider_id": ""}, "provider"),
    ],
)
def test_the_admin_refuses_ambiguous_providers(editor, db, data, field):
    SocialApp.objects.create(provider="google", name="Google", client_id="g", secret="s")

    refused = editor.post(
        "/admin/sign-in-providers/new/", {"client_id": "c", "secret": "s", "enabled": "on", **data}
    )

    assert refused.status_code == HTTPStatus.OK
    assert field in refused.context["form"].errors
