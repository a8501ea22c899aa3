"""Configuring providers: environment variables (read by the settings through dateline.env,
their OpenID Connect ids checked by the identity app at start-up) and the admin's "Sign-in
providers" (allauth's SocialApp, with an enabled switch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http import HTTPStatus

import pytest
from allauth.socialaccount.models import SocialApp

from dateline import env
from dateline.identity import config
from tests.servers import PROJECT_DIR

ENV_PREFIXES = (
    "DATELINE_GOOGLE",
    "DATELINE_FACEBOOK",
    "DATELINE_TWITTER",
    "DATELINE_WORDPRESS",
    "DATELINE_OIDC",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)
    return monkeypatch


def settings_providers(clean_env, tmp_path) -> dict:
    """SOCIALACCOUNT_PROVIDERS as a fresh process's settings read them from the variables
    set on ``clean_env``."""
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from django.conf import settings; "
            "print(json.dumps(settings.SOCIALACCOUNT_PROVIDERS))",
        ],
        cwd=PROJECT_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dateline.settings",
            "DATELINE_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(finished.stdout)


def openid_connect_apps() -> list[dict]:
    """What start-up makes of the OpenID Connect variables: the settings read them
    (dateline.env), then the identity app checks their ids (IdentityConfig.ready)."""
    apps = env.get_oidc_providers()
    config.check_environment_providers({"openid_connect": {"APPS": apps}})
    return apps


def test_without_variables_no_app_is_configured_but_pkce_is_on_everywhere(clean_env, tmp_path):
    providers = settings_providers(clean_env, tmp_path)

    assert all("APPS" not in p for p in providers.values())
    assert all(p["OAUTH_PKCE_ENABLED"] for p in providers.values())


def test_built_in_providers_come_from_client_id_and_secret(clean_env, tmp_path):
    clean_env.setenv("DATELINE_GOOGLE_CLIENT_ID", "g-id")
    clean_env.setenv("DATELINE_GOOGLE_CLIENT_SECRET", "g-secret")
    clean_env.setenv("DATELINE_WORDPRESS_CLIENT_ID", "123")
    clean_env.setenv("DATELINE_WORDPRESS_CLIENT_SECRET", "wp")

    providers = settings_providers(clean_env, tmp_path)

    assert providers["google"]["APPS"][0]["client_id"] == "g-id"
    assert providers["wordpress_com"]["APPS"][0]["name"] == "WordPress.com"
    assert "APPS" not in providers["facebook"]


def test_half_a_pair_stops_start_up(clean_env):
    clean_env.setenv("DATELINE_FACEBOOK_CLIENT_ID", "fb")

    with pytest.raises(env.EnvError, match="DATELINE_FACEBOOK_CLIENT_SECRET"):
        env.get_client_pair("DATELINE_FACEBOOK")


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

    apps = openid_connect_apps()

    assert [a["provider_id"] for a in apps] == ["keycloak", "partner"]
    assert apps[0]["settings"]["server_url"] == "https://sso.example.org/realms/news"


def test_numbered_variables_work_too(clean_env):
    clean_env.setenv("DATELINE_OIDC_1_ID", "keycloak")
    clean_env.setenv("DATELINE_OIDC_1_SERVER_URL", "https://sso.example.org/realms/news")
    clean_env.setenv("DATELINE_OIDC_1_CLIENT_ID", "a")
    clean_env.setenv("DATELINE_OIDC_1_SECRET", "s")

    apps = openid_connect_apps()

    assert apps[0]["provider_id"] == "keycloak"
    assert apps[0]["name"] == "keycloak"


OK = '"name": "A", "server_url": "https://a.example", "client_id": "c", "secret": "s"'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "not valid JSON"),
        ("{}", "JSON list"),
        ('[{"id": "x"}]', "entry 1: name is missing"),
        ('[{"id": "a", "name": "A", "server_url": "https://a.example", "client_id": "c"}]',
         "entry 1: secret is missing"),
        ('[{"id": "google", ' + OK + "}]", "reserved"),
        ('[{"id": "Bad Id", ' + OK + "}]", "lower-case"),
        ('[{"id": "a", "name": "A", "server_url": "ftp://a.example", "client_id": "c", '
         '"secret": "s"}]', "http"),
        ('[{"id": "a", ' + OK + '}, {"id": "a", ' + OK + "}]", "used twice"),
        ('[{"id": "a", "clientid": "typo", ' + OK + "}]", "unknown key 'clientid'"),
        ('[{"id": "a", "scope": ["email", "profile"], ' + OK + "}]", "must include 'openid'"),
        ('[{"id": "a", "scope": "openid email", ' + OK + "}]", "must be a list"),
        ('[{"id": "a", "icon_url": "http://x.example/i.png", ' + OK + "}]", "must be an https://"),
        ('[{"id": "a", "token_auth_method": "private_key_jwt", ' + OK + "}]",
         "token_auth_method must be one of: client_secret_basic, client_secret_post"),
    ],
)  # fmt: skip
def test_bad_openid_connect_configuration_stops_start_up_naming_the_variable(
    clean_env, value, message
):
    clean_env.setenv("DATELINE_OIDC_PROVIDERS", value)

    with pytest.raises(env.EnvError, match="DATELINE_OIDC_PROVIDERS") as error:
        openid_connect_apps()

    assert message in str(error.value)


def numbered(clean_env, n: int, **fields: str) -> None:
    defaults = {"ID": f"sso{n}", "SERVER_URL": "https://sso.example.org", "CLIENT_ID": "c"}
    for key, value in {**defaults, "SECRET": "s", **fields}.items():
        clean_env.setenv(f"DATELINE_OIDC_{n}_{key}", value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"SECRET": ""}, "DATELINE_OIDC_2_SECRET is missing"),
        ({"SERVER_URL": "sso.example.org"}, "DATELINE_OIDC_2_SERVER_URL: 'sso.example.org'"),
        ({"CLIENTID": "typo"}, "DATELINE_OIDC_2_CLIENTID is not a setting"),
    ],
)
def test_bad_numbered_variables_stop_start_up_naming_the_variable(clean_env, fields, message):
    numbered(clean_env, 1)
    numbered(clean_env, 2, **fields)

    with pytest.raises(env.EnvError) as error:
        openid_connect_apps()

    assert message in str(error.value)


def test_the_token_endpoint_authentication_comes_from_either_form(clean_env):
    numbered(clean_env, 1, TOKEN_AUTH_METHOD="client_secret_basic")
    numbered(clean_env, 2)

    apps = openid_connect_apps()

    assert apps[0]["settings"]["token_auth_method"] == "client_secret_basic"
    assert "token_auth_method" not in apps[1]["settings"]


def test_numbered_entries_past_the_limit_are_an_error_not_ignored(clean_env):
    numbered(clean_env, 21)

    with pytest.raises(
        env.EnvError, match=r"DATELINE_OIDC_21_[A-Z_]+: providers are numbered 1 to 20"
    ):
        openid_connect_apps()


def test_both_forms_at_once_are_an_error(clean_env):
    numbered(clean_env, 1)
    clean_env.setenv("DATELINE_OIDC_PROVIDERS", '[{"id": "a", ' + OK + "}]")

    with pytest.raises(env.EnvError, match="not both"):
        openid_connect_apps()


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


def test_the_listing_shows_callback_urls_and_the_environments_providers(editor, db, settings):
    import copy

    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["openid_connect"]["APPS"] = [
        {
            "provider_id": "partner",
            "name": "Partner Press",
            "client_id": "c",
            "secret": "s",
            "settings": {"server_url": "https://id.partner.example"},
        }
    ]
    settings.SOCIALACCOUNT_PROVIDERS = providers
    SocialApp.objects.create(provider="google", name="Google", client_id="g", secret="s")

    listing = editor.get("/admin/sign-in-providers/").content.decode()

    base = settings.BASE_URL
    assert f"{base}/accounts/google/login/callback/" in listing
    assert "Configured by the server's environment" in listing
    assert "Partner Press" in listing
    assert f"{base}/accounts/oidc/partner/login/callback/" in listing


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


def test_an_editor_chooses_how_dateline_authenticates_at_the_token_endpoint(editor, db):
    fields = {
        "provider": "openid_connect",
        "name": "Partner",
        "provider_id": "partner",
        "client_id": "dateline",
        "secret": "s3cret",
        "server_url": "https://id.partner.example",
        "enabled": "on",
    }
    added = editor.post(
        "/admin/sign-in-providers/new/", {**fields, "token_auth_method": "client_secret_basic"}
    )
    assert added.status_code == HTTPStatus.FOUND, added.content.decode()[:3000]
    app = SocialApp.objects.get()
    assert app.settings["token_auth_method"] == "client_secret_basic"

    editor.post(f"/admin/sign-in-providers/edit/{app.pk}/", {**fields, "secret": ""})
    app.refresh_from_db()
    assert "token_auth_method" not in app.settings  # back to what the provider advertises


def test_an_openid_connect_provider_can_have_its_own_icon(editor, db, client):
    fields = {
        "provider": "openid_connect",
        "name": "Partner Press",
        "provider_id": "partner",
        "client_id": "dateline",
        "secret": "s3cret",
        "server_url": "https://id.partner.example",
        "enabled": "on",
    }
    refused = editor.post(
        "/admin/sign-in-providers/new/", {**fields, "icon_url": "http://cdn.example/i.svg"}
    )
    assert refused.status_code == HTTPStatus.OK
    assert "The icon must be an https:// address." in refused.content.decode()

    editor.post(
        "/admin/sign-in-providers/new/",
        {**fields, "icon_url": "https://partner.example/icon.svg"},
    )
    app = SocialApp.objects.get()
    assert app.settings["icon_url"] == "https://partner.example/icon.svg"
    from dateline.identity import selectors

    [choice] = [c for c in selectors._enabled_providers(None) if c.id == "partner"]
    assert choice.icon_url == "https://partner.example/icon.svg"


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
