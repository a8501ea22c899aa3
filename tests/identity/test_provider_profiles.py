"""Each provider's answer, in the shape it really has, through allauth's provider classes (the
ones Dateline registers) to the commenting identity we keep. No network."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers import registry
from django.test import RequestFactory

from dateline.identity.profiles import ProviderProfile, clean_display_name, profile_from_sociallogin


def provider_for(provider: str, **app_fields):
    app = SocialApp(provider=provider, client_id="client", secret="secret", **app_fields)
    request = RequestFactory().get("/")
    return registry.get_class(provider)(request, app=app), request


def profile(provider: str, data: dict, **app_fields) -> ProviderProfile:
    instance, request = provider_for(provider, **app_fields)
    login = instance.sociallogin_from_response(request, data)
    return profile_from_sociallogin(login, fallback_name="Reader")


def test_google_id_token_claims_map_to_a_verified_identity():
    claims = {
        "iss": "https://accounts.google.com",
        "azp": "123-pqr.apps.googleusercontent.com",
        "aud": "123-pqr.apps.googleusercontent.com",
        "sub": "110169484474386276334",
        "email": "nadia.karim@gmail.com",
        "email_verified": True,
        "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
        "nonce": "n-0S6_WzA2Mj",
        "name": "Nadia Karim",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocK",
        "given_name": "Nadia",
        "family_name": "Karim",
        "iat": 1707293677,
        "exp": 1707297277,
    }

    assert profile("google", claims) == ProviderProfile(
        provider="google",
        subject="110169484474386276334",
        display_name="Nadia Karim",
        email="nadia.karim@gmail.com",
        email_verified=True,
        avatar_url="https://lh3.googleusercontent.com/a/ACg8ocK",
    )


def test_google_unverified_address_stays_unverified():
    claims = {"sub": "1", "email": "x@example.org", "email_verified": False, "given_name": "X"}

    result = profile("google", claims)

    assert result.email_verified is False
    assert result.display_name == "X"


def test_facebook_graph_me_maps_and_its_address_is_never_treated_as_verified():
    me = {
        "id": "10224018453291234",
        "name": "Omar Saleh",
        "email": "omar.saleh@example.com",
        "link": "https://www.facebook.com/app_scoped_user_id/YXNpZADpBWEZA/",
        "picture": {
            "data": {
                "height": 50,
                "is_silhouette": False,
                "url": "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=1022",
                "width": 50,
            }
        },
    }

    result = profile("facebook", me)

    assert result.subject == "10224018453291234"
    assert result.display_name == "Omar Saleh"
    assert result.email == "omar.saleh@example.com"
    assert result.email_verified is False
    assert result.avatar_url.startswith("https://platform-lookaside.fbsbx.com/")
    assert result.website.startswith("https://www.facebook.com/")


def test_facebook_default_silhouette_is_no_avatar():
    me = {
        "id": "1",
        "name": "A",
        "picture": {"data": {"is_silhouette": True, "url": "https://x/y"}},
    }

    assert profile("facebook", me).avatar_url == ""


def test_x_users_me_data_maps_without_an_email():
    data = {
        "id": "1502381020190457856",
        "name": "Hiba Y.",
        "username": "hiba_reports",
        "verified": False,
        "profile_image_url": "https://pbs.twimg.com/profile_images/1502/abc_normal.jpg",
        "created_at": "2022-03-11T20:00:00.000Z",
    }

    result = profile("twitter_oauth2", data)

    assert result == ProviderProfile(
        provider="twitter_oauth2",
        subject="1502381020190457856",
        display_name="Hiba Y.",
        avatar_url="https://pbs.twimg.com/profile_images/1502/abc_normal.jpg",
        website="https://x.com/hiba_reports",
    )


def test_wordpress_com_me_maps_id_name_email_avatar_and_profile():
    from tests.identity.servers import WORDPRESS_PROFILE

    result = profile("wordpress_com", dict(WORDPRESS_PROFILE))

    assert result == ProviderProfile(
        provider="wordpress_com",
        subject="81234567",
        display_name="Layla Mansour",
        email="layla@example.net",
        email_verified=True,
        avatar_url="https://0.gravatar.com/avatar/5f1a?s=96&d=identicon",
        website="https://gravatar.com/laylamansour",
    )


def test_wordpress_com_unconfirmed_email_is_not_verified():
    from tests.identity.servers import WORDPRESS_PROFILE

    result = profile("wordpress_com", {**WORDPRESS_PROFILE, "email_verified": False})

    assert result.email_verified is False


def test_generic_openid_connect_uses_the_provider_id_as_the_namespace():
    data = {
        "id_token": {
            "iss": "https://sso.newsroom.example/realms/staff",
            "sub": "f1d2c3b4-aaaa-bbbb-cccc-000000000001",
            "aud": "dateline",
            "nonce": "abc",
            "email": "desk@newsroom.example",
            "email_verified": "true",
        },
        "userinfo": {
            "sub": "f1d2c3b4-aaaa-bbbb-cccc-000000000001",
            "preferred_username": "desk",
            "given_name": "Sami",
            "family_name": "Aziz",
            "email": "desk@newsroom.example",
            "email_verified": "true",
            "picture": "https://sso.newsroom.example/avatars/sami.png",
            "website": "https://newsroom.example/staff/sami",
        },
    }

    result = profile(
        "openid_connect",
        data,
        provider_id="keycloak",
        name="Newsroom",
        settings={"server_url": "https://sso.newsroom.example/realms/staff"},
    )

    assert result == ProviderProfile(
        provider="keycloak",
        subject="f1d2c3b4-aaaa-bbbb-cccc-000000000001",
        display_name="Sami Aziz",
        email="desk@newsroom.example",
        email_verified=True,
        avatar_url="https://sso.newsroom.example/avatars/sami.png",
        website="https://newsroom.example/staff/sami",
    )


def test_a_provider_cannot_give_us_a_script_avatar_or_an_unverified_shaped_email():
    result = profile(
        "google",
        {
            "sub": "1",
            "name": "N",
            "picture": "javascript:alert(1)",
            "email": "not an address",
            "email_verified": True,
        },
    )

    assert result.avatar_url == ""
    assert result.email == ""
    assert result.email_verified is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Amal   Haddad ", "Amal Haddad"),
        ("Amal\u202eladdaH", "AmalladdaH"),
        ("Line\nbreak\x07", "Line break"),
        ("مريم\u200cسارا", "مريم\u200cسارا"),
        ("x" * 300, "x" * 100),
        ("\u200b", "Reader"),
        (None, "Reader"),
    ],
)
def test_provider_names_become_plain_one_line_text(raw, expected):
    assert clean_display_name(raw, fallback="Reader") == expected


def test_dateline_registers_its_own_provider_classes_where_allauth_leaves_gaps():
    from dateline.identity.providers.facebook.provider import FacebookProvider
    from dateline.identity.providers.google.provider import GoogleProvider
    from dateline.identity.providers.openid_connect.provider import OpenIDConnectProvider
    from dateline.identity.providers.wordpress_com.provider import WordPressComProvider

    assert registry.get_class("google") is GoogleProvider
    assert registry.get_class("facebook") is FacebookProvider
    assert registry.get_class("openid_connect") is OpenIDConnectProvider
    assert registry.get_class("wordpress_com") is WordPressComProvider
