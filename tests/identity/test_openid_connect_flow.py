"""Generic OpenID Connect against a real provider (django-oauth-toolkit in its own process,
tests/identity/oidc_provider), at the HTTP level: the reader's side at the provider is driven
with requests, Dateline's side with the test client."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from dateline.discussion.models import Commenter
from dateline.identity import session
from dateline.identity.providers.nonce import NONCE_STATE_KEY
from tests.identity.conftest import OIDC_CALLBACK_PATH, path_and_query, query_of

pytestmark = pytest.mark.django_db


def start(reader, article_path: str, **data):
    return reader.post(f"/identity/start/newsroom/?next={article_path}", data)


def test_a_reader_signs_in_with_the_newsrooms_openid_connect_provider(
    reader, oidc_app, oidc_server, provider_browser, article_path
):
    started = start(reader, article_path)
    assert started.status_code == HTTPStatus.FOUND
    authorize = started["Location"]
    sent = query_of(authorize)
    assert authorize.startswith(f"{oidc_server.url}/authorize/?")
    assert sent["redirect_uri"] == f"http://testserver{OIDC_CALLBACK_PATH}"
    assert sent["code_challenge_method"] == "S256"
    assert set(sent["scope"].split()) == {"openid", "profile", "email"}
    assert sent["nonce"]
    assert sent["state"]

    back = provider_browser.authorize(authorize)
    callback = reader.get(path_and_query(back))

    assert callback.status_code == HTTPStatus.FOUND, callback.content[:500]
    commenter = Commenter.objects.get(provider="newsroom")
    assert commenter.kind == Commenter.Kind.PROVIDER
    assert commenter.display_name == "Amal Haddad"
    assert commenter.email == "amal@newsroom.example"
    assert commenter.email_verified is True
    assert reader.session[session.COMMENTER_KEY] == commenter.pk
    me = reader.get("/identity/me/").json()
    assert me["text"] == "You are commenting using your Newsroom SSO account."


def test_the_subject_keys_the_identity_never_the_email(
    reader, oidc_app, provider_browser, article_path
):
    # A guest and another provider's account already use the same address.
    Commenter.objects.create(
        kind=Commenter.Kind.GUEST,
        provider="guest",
        subject="amal@newsroom.example",
        display_name="Amal (guest)",
        email="amal@newsroom.example",
    )
    Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER,
        provider="google",
        subject="10987654321",
        display_name="Someone else",
        email="amal@newsroom.example",
        email_verified=True,
    )

    back = provider_browser.authorize(start(reader, article_path)["Location"])
    reader.get(path_and_query(back))

    signed_in = Commenter.objects.get(pk=reader.session[session.COMMENTER_KEY])
    assert signed_in.provider == "newsroom"
    assert Commenter.objects.count() == 3


def test_consent_denied_at_the_provider_is_a_clear_message_with_the_draft_kept(
    reader, oidc_app, provider_browser, article_path
):
    authorize = start(reader, article_path, body="My thoughts on the ferry timetable.")["Location"]

    back = provider_browser.authorize(authorize, allow=False)
    assert query_of(back)["error"] == "access_denied"
    callback = reader.get(path_and_query(back))
    landed = reader.get(callback["Location"])

    assert landed["Location"] == f"{article_path}#respond"
    me = reader.get(f"/identity/me/?path={article_path}").json()
    assert me["signed_in"] is False
    assert me["notice"]["level"] == "error"
    assert "You cancelled signing in with Newsroom SSO" in me["notice"]["message"]
    assert me["draft"]["body"] == "My thoughts on the ferry timetable."


def test_a_tampered_state_is_refused_with_a_clear_page(
    reader, oidc_app, provider_browser, article_path
):
    back = provider_browser.authorize(start(reader, article_path)["Location"])
    params = query_of(back)
    tampered = f"{OIDC_CALLBACK_PATH}?code={params['code']}&state={params['state'][:-2]}xx"

    refused = reader.get(tampered)

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert b"Sign-in not completed" in refused.content
    assert b"Nothing was changed" in refused.content
    assert not Commenter.objects.exists()


def test_a_replayed_code_is_refused(reader, oidc_app, provider_browser, article_path):
    back = provider_browser.authorize(start(reader, article_path)["Location"])
    callback_url = path_and_query(back)
    reader.get(callback_url)
    reader.post("/identity/sign-out/", HTTP_ACCEPT="application/json")

    # The same callback again: its state was used up.
    again = reader.get(callback_url)
    assert again.status_code == HTTPStatus.BAD_REQUEST

    # The old code with a fresh, valid state of this session: the provider refuses the code.
    fresh_state = query_of(start(reader, article_path)["Location"])["state"]
    old_code = query_of(back)["code"]
    replayed = reader.get(f"{OIDC_CALLBACK_PATH}?code={old_code}&state={fresh_state}")
    assert replayed.status_code == HTTPStatus.FOUND
    reader.get(replayed["Location"])
    me = reader.get("/identity/me/").json()
    assert me["signed_in"] is False
    assert "Signing in with Newsroom SSO did not work" in me["notice"]["message"]


def test_a_code_from_another_browser_session_is_refused(
    reader, oidc_app, provider_browser, article_path, client
):
    """Login CSRF / code injection: an attacker's valid callback URL pasted into a victim's
    browser does not match the victim's session."""
    back = provider_browser.authorize(start(reader, article_path)["Location"])

    victim = client.get(path_and_query(back))

    assert victim.status_code == HTTPStatus.BAD_REQUEST
    assert not Commenter.objects.exists()


def test_an_id_token_without_our_nonce_is_refused(reader, oidc_app, provider_browser, article_path):
    authorize = start(reader, article_path)["Location"]
    # The session's stashed state is changed to expect another nonce, as if the ID token had
    # been minted for a different sign-in.
    sess = reader.session
    states = sess["socialaccount_states"]
    state_id = query_of(authorize)["state"]
    states[state_id][0][NONCE_STATE_KEY] = "not-the-nonce-that-was-sent"
    sess["socialaccount_states"] = states
    sess.save()

    back = provider_browser.authorize(authorize)
    callback = reader.get(path_and_query(back))

    assert callback.status_code == HTTPStatus.FOUND
    assert not Commenter.objects.exists()
    reader.get(callback["Location"])
    assert "did not work" in reader.get("/identity/me/").json()["notice"]["message"]


def test_an_id_token_from_another_issuer_than_discovery_named_is_refused(
    reader, oidc_app, oidc_server, provider_browser, article_path
):
    # The provider's configuration names one issuer, its ID token another.
    oidc_app.settings["openid_configuration_overrides"] = {"issuer": f"{oidc_server.url}-other"}
    oidc_app.save()

    back = provider_browser.authorize(start(reader, article_path)["Location"])
    callback = reader.get(path_and_query(back))

    assert callback.status_code == HTTPStatus.FOUND
    assert not Commenter.objects.exists()
    reader.get(callback["Location"])
    assert "did not work" in reader.get("/identity/me/").json()["notice"]["message"]


def test_an_answer_for_one_provider_delivered_to_another_is_refused(
    reader, oidc_app, oidc_server, provider_browser, article_path
):
    """Mix-up: with several OpenID Connect providers, each has its own callback and the state
    is bound to the provider it was made for."""
    from tests.identity.conftest import add_app

    add_app(
        "openid_connect",
        provider_id="partner",
        name="Partner SSO",
        client_id=oidc_server.client_id,
        secret=oidc_server.client_secret,
        settings={"server_url": oidc_server.url},
    )
    back = provider_browser.authorize(start(reader, article_path)["Location"])
    params = query_of(back)

    refused = reader.get(
        f"/accounts/oidc/partner/login/callback/?code={params['code']}&state={params['state']}"
    )

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert not Commenter.objects.exists()


def test_an_unreachable_provider_is_a_message_in_the_form(reader, db, article_path):
    from tests.identity.conftest import add_app
    from tests.servers import free_port

    add_app(
        "openid_connect",
        provider_id="offline",
        name="Offline SSO",
        settings={"server_url": f"http://127.0.0.1:{free_port()}/realms/news"},
    )

    started = reader.post(f"/identity/start/offline/?next={article_path}", {"body": "Draft."})

    assert started.status_code == HTTPStatus.FOUND
    landed = reader.get(started["Location"])
    assert landed["Location"] == f"{article_path}#respond"
    me = reader.get(f"/identity/me/?path={article_path}").json()
    assert "Offline SSO could not be reached" in me["notice"]["message"]
    assert me["draft"] == {"body": "Draft."}


def test_a_provider_answering_nonsense_at_discovery_is_a_message_too(
    reader, db, article_path, wordpress
):
    from tests.identity.conftest import add_app

    # Something answers (the fake WordPress.com), but not with an OpenID configuration.
    add_app(
        "openid_connect",
        provider_id="wrong",
        name="Wrong SSO",
        settings={"server_url": f"{wordpress.url}/nothing"},
    )

    started = reader.post(f"/identity/start/wrong/?next={article_path}")

    assert started.status_code == HTTPStatus.FOUND
    reader.get(started["Location"])
    assert (
        "Wrong SSO could not be reached" in reader.get("/identity/me/").json()["notice"]["message"]
    )
