"""The WordPress.com provider's whole OAuth 2.0 dance against a fake WordPress.com speaking
real HTTP on 127.0.0.1 (tests/identity/servers.py): start → authorize → callback → token →
/me → a commenting identity in the session."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
import requests

from dateline.discussion.models import Commenter
from dateline.identity import session
from tests.identity.conftest import path_and_query, query_of

pytestmark = pytest.mark.django_db


def start(reader, article_path: str, **data):
    return reader.post(f"/identity/start/wordpress_com/?next={article_path}", data)


def test_a_reader_signs_in_with_wordpress_com_and_gets_a_commenting_identity(
    reader, wordpress, article_path
):
    started = start(reader, article_path)
    assert started.status_code == HTTPStatus.FOUND
    authorize = started["Location"]
    assert authorize.startswith(f"{wordpress.url}/oauth2/authorize?")
    sent = query_of(authorize)
    assert sent["redirect_uri"] == "http://testserver/accounts/wordpress_com/login/callback/"
    assert sent["code_challenge_method"] == "S256"
    assert sent["scope"] == "auth"
    assert len(sent["state"]) >= 16

    back = requests.get(authorize, allow_redirects=False, timeout=10)
    callback = reader.get(path_and_query(back.headers["Location"]))

    assert callback.status_code == HTTPStatus.FOUND
    assert callback["Location"].startswith("/identity/finish/?")
    exchange = wordpress.token_requests[-1]
    assert exchange["code_verifier"]  # PKCE: the fake server checked it against the challenge
    commenter = Commenter.objects.get(provider="wordpress_com", subject="81234567")
    assert commenter.kind == Commenter.Kind.PROVIDER
    assert commenter.display_name == "Layla Mansour"
    assert commenter.email == "layla@example.net"
    assert commenter.email_verified is True
    assert commenter.avatar_url == "https://0.gravatar.com/avatar/5f1a?s=96&d=identicon"
    assert commenter.website == "https://gravatar.com/laylamansour"
    assert reader.session[session.COMMENTER_KEY] == commenter.pk

    landed = reader.get(callback["Location"])
    assert landed.status_code == HTTPStatus.FOUND
    assert landed["Location"] == f"{article_path}#respond"
    me = reader.get("/identity/me/").json()
    assert me["signed_in"] is True
    assert me["provider_name"] == "WordPress.com"
    assert me["text"] == "You are commenting using your WordPress.com account."


def test_signing_in_rotates_the_session_key(reader, wordpress, article_path):
    authorize = start(reader, article_path)["Location"]
    before = reader.session.session_key

    back = requests.get(authorize, allow_redirects=False, timeout=10)
    reader.get(path_and_query(back.headers["Location"]))

    assert reader.session.session_key != before


def test_no_django_user_is_created_and_nothing_reaches_the_admin(reader, wordpress, article_path):
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.auth.models import User

    authorize = start(reader, article_path)["Location"]
    back = requests.get(authorize, allow_redirects=False, timeout=10)
    reader.get(path_and_query(back.headers["Location"]))

    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()
    admin = reader.get("/admin/")
    assert admin.status_code == HTTPStatus.FOUND
    assert urlsplit(admin["Location"]).path == "/admin/login/"


def test_a_second_sign_in_finds_the_same_commenter_and_refreshes_the_profile(
    reader, wordpress, article_path
):
    for name in ("Layla Mansour", "Layla M."):
        wordpress.profile["display_name"] = name
        authorize = start(reader, article_path)["Location"]
        back = requests.get(authorize, allow_redirects=False, timeout=10)
        reader.get(path_and_query(back.headers["Location"]))

    commenter = Commenter.objects.get(provider="wordpress_com")
    assert commenter.display_name == "Layla M."
    assert Commenter.objects.count() == 1


def test_denied_consent_comes_back_as_a_message_in_the_form_with_the_draft_kept(
    reader, wordpress, article_path
):
    wordpress.deny_consent = True
    authorize = start(reader, article_path, body="A draft about the ferry.", name="Layla")[
        "Location"
    ]
    back = requests.get(authorize, allow_redirects=False, timeout=10)

    callback = reader.get(path_and_query(back.headers["Location"]))
    landed = reader.get(callback["Location"])

    assert landed["Location"] == f"{article_path}#respond"
    me = reader.get(f"/identity/me/?path={article_path}").json()
    assert me["signed_in"] is False
    assert "You cancelled signing in with WordPress.com" in me["notice"]["message"]
    assert me["draft"] == {"body": "A draft about the ferry.", "name": "Layla"}
    assert not Commenter.objects.exists()


def test_a_replayed_callback_is_refused_with_a_clear_page(reader, wordpress, article_path):
    authorize = start(reader, article_path)["Location"]
    back = requests.get(authorize, allow_redirects=False, timeout=10)
    callback_url = path_and_query(back.headers["Location"])
    reader.get(callback_url)
    reader.post("/identity/sign-out/", HTTP_ACCEPT="application/json")

    replay = reader.get(callback_url)

    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert b"Sign-in not completed" in replay.content
    assert reader.get("/identity/me/").json()["signed_in"] is False


def test_the_token_endpoint_going_down_mid_sign_in_is_a_message_not_an_error(
    reader, wordpress, article_path
):
    authorize = start(reader, article_path)["Location"]
    back = requests.get(authorize, allow_redirects=False, timeout=10)
    wordpress.stop()

    callback = reader.get(path_and_query(back.headers["Location"]))

    assert callback.status_code == HTTPStatus.FOUND
    reader.get(callback["Location"])
    notice = reader.get("/identity/me/").json()["notice"]
    assert "WordPress.com could not be reached" in notice["message"]
    assert not Commenter.objects.exists()
