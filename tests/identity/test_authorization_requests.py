"""What Dateline sends each provider when a sign-in starts, and what it checks that allauth
does not (RFC 9700, OpenID Connect Core): state, PKCE S256 and, for OpenID Connect, a nonce,
all bound to the reader's session; exact redirect URIs; nothing the request can widen."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from allauth.socialaccount.providers import registry
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from dateline.discussion.models import Commenter
from dateline.identity.adapters import SocialAccountAdapter, configured_issuer
from dateline.identity.providers.facebook.views import VerifierInQueryClient
from dateline.identity.providers.nonce import NONCE_STATE_KEY
from tests.identity.conftest import add_app, query_of

pytestmark = pytest.mark.django_db

OAUTH2_PROVIDERS = {
    # provider: (authorize endpoint, callback path, sends a nonce)
    "google": (
        "https://accounts.google.com/o/oauth2/v2/auth",
        "/accounts/google/login/callback/",
        True,
    ),
    "facebook": ("https://www.facebook.com/", "/accounts/facebook/login/callback/", False),
    "twitter_oauth2": (
        "https://x.com/i/oauth2/authorize",
        "/accounts/twitter_oauth2/login/callback/",
        False,
    ),
    "wordpress_com": (
        "https://public-api.wordpress.com/oauth2/authorize",
        "/accounts/wordpress_com/login/callback/",
        False,
    ),
}


@pytest.mark.parametrize("provider", list(OAUTH2_PROVIDERS))
def test_each_provider_gets_state_and_pkce_s256_bound_to_the_session(
    provider, reader, article_path
):
    authorize_url, callback_path, sends_nonce = OAUTH2_PROVIDERS[provider]
    add_app(provider)

    started = reader.post(f"/identity/start/{provider}/?next={article_path}")

    assert started.status_code == HTTPStatus.FOUND
    location = started["Location"]
    assert location.startswith(authorize_url)
    sent = query_of(location)
    assert sent["redirect_uri"] == f"http://testserver{callback_path}"
    assert sent["code_challenge_method"] == "S256"
    assert len(sent["code_challenge"]) == 43
    assert ("nonce" in sent) is sends_nonce
    stashed, _when, bound_to = reader.session["socialaccount_states"][sent["state"]]
    assert bound_to == provider
    assert stashed["pkce_code_verifier"]
    assert stashed["next"].startswith("/identity/finish/?next=")
    if sends_nonce:
        assert stashed[NONCE_STATE_KEY] == sent["nonce"]


def test_the_request_cannot_widen_the_scope_or_change_the_redirect(reader, article_path):
    add_app("google")

    started = reader.post(
        f"/identity/start/google/?next={article_path}&scope=https://mail.google.com/"
        "&auth_params=redirect_uri%3Dhttps%3A%2F%2Fevil.example%2F",
        {"scope": "drive", "redirect_uri": "https://evil.example/"},
    )

    sent = query_of(started["Location"])
    assert set(sent["scope"].split()) == {"openid", "profile", "email"}
    assert sent["redirect_uri"] == "http://testserver/accounts/google/login/callback/"


def test_starting_a_sign_in_through_allauths_own_url_needs_a_post(reader):
    add_app("google")

    page = reader.get("/accounts/google/login/")

    assert page.status_code == HTTPStatus.OK
    assert b'method="post"' in page.content


def test_a_switched_off_provider_is_not_found_anywhere(reader, article_path):
    add_app("google", settings={"enabled": False})

    assert reader.post(f"/identity/start/google/?next={article_path}").status_code == 404
    assert reader.get("/accounts/google/login/").status_code == 404
    assert reader.get("/accounts/google/login/callback/?code=x&state=y").status_code == 404
    assert reader.get("/accounts/oidc/nobody/login/callback/?code=x&state=y").status_code == 404


class _Capture(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        _Capture.seen.append({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
        body = json.dumps({"access_token": "t", "token_type": "bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_facebooks_token_exchange_carries_the_pkce_verifier():
    """allauth exchanges Facebook codes with a GET and only put the verifier in POST bodies."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = VerifierInQueryClient(
            RequestFactory().get("/"),
            "fb-app",
            "fb-secret",
            "GET",
            f"http://127.0.0.1:{server.server_address[1]}/oauth/access_token",
            "http://testserver/accounts/facebook/login/callback/",
        )
        client.get_access_token("the-code", pkce_code_verifier="the-verifier")
    finally:
        server.shutdown()
        server.server_close()

    assert _Capture.seen[-1]["code_verifier"] == "the-verifier"
    assert _Capture.seen[-1]["code"] == "the-code"


# What the adapter checks before anything is written -----------------------------------------


def _oidc_login(
    *,
    request,
    claims: dict,
    userinfo: dict | None = None,
    state: dict | None = None,
    server_url: str = "https://sso.example.org/realms/news",
) -> SocialLogin:
    app = SocialApp(
        provider="openid_connect",
        provider_id="newsroom",
        name="Newsroom SSO",
        client_id="c",
        settings={"server_url": server_url},
    )
    provider = registry.get_class("openid_connect")(request, app=app)
    data = {"id_token": claims, **({"userinfo": userinfo} if userinfo else {})}
    login = SocialLogin(
        provider=provider,
        account=SocialAccount(provider="newsroom", uid=str(claims["sub"]), extra_data=data),
    )
    login.state = (
        state
        if state is not None
        else {NONCE_STATE_KEY: "n1", "next": "/identity/finish/?next=%2F"}
    )
    return login


@pytest.fixture
def callback_request():
    def make(query: str = ""):
        request = RequestFactory().get(f"/accounts/oidc/newsroom/login/callback/?{query}")
        request.session = SessionStore()
        return request

    return make


GOOD = {"iss": "https://sso.example.org/realms/news", "sub": "u1", "nonce": "n1", "name": "U"}


def test_a_matching_answer_signs_in(callback_request):
    request = callback_request("iss=https%3A%2F%2Fsso.example.org%2Frealms%2Fnews")

    with pytest.raises(ImmediateHttpResponse) as answer:
        SocialAccountAdapter(request).pre_social_login(
            request, _oidc_login(request=request, claims=GOOD, userinfo={"sub": "u1"})
        )

    assert answer.value.response.status_code == HTTPStatus.FOUND
    assert Commenter.objects.filter(provider="newsroom", subject="u1").exists()


@pytest.mark.parametrize(
    ("claims", "userinfo", "query", "state"),
    [
        pytest.param({**GOOD, "nonce": "other"}, None, "", None, id="nonce-mismatch"),
        pytest.param(
            {k: v for k, v in GOOD.items() if k != "nonce"}, None, "", None, id="no-nonce"
        ),
        pytest.param(GOOD, None, "", {"next": "/identity/finish/"}, id="state-without-nonce"),
        pytest.param(GOOD, {"sub": "someone-else"}, "", None, id="userinfo-other-subject"),
        pytest.param(
            {**GOOD, "iss": "https://evil.example.org/realms/news"},
            None,
            "",
            None,
            id="issuer-not-configured",
        ),
        pytest.param(
            GOOD, None, "iss=https%3A%2F%2Fother.example.org", None, id="rfc9207-iss-mismatch"
        ),
    ],
)
def test_an_answer_that_does_not_match_this_sign_in_is_refused(
    callback_request, claims, userinfo, query, state
):
    request = callback_request(query)

    with pytest.raises(ImmediateHttpResponse) as answer:
        SocialAccountAdapter(request).pre_social_login(
            request, _oidc_login(request=request, claims=claims, userinfo=userinfo, state=state)
        )

    assert answer.value.response.status_code == HTTPStatus.FOUND
    assert not Commenter.objects.exists()
    assert "did not work" in request.session["dateline_identity_notice"]["message"]


DISCOVERY_FORMS = [
    pytest.param("https://sso.example.org/realms/news", id="issuer"),
    pytest.param("https://sso.example.org/realms/news/", id="issuer-with-slash"),
    pytest.param(
        "https://sso.example.org/realms/news/.well-known/openid-configuration", id="discovery"
    ),
    pytest.param(
        "https://sso.example.org/realms/news/.well-known/openid-configuration/",
        id="discovery-with-slash",
    ),
    pytest.param(
        "https://sso.example.org/.well-known/openid-configuration/realms/news",
        id="rfc8414-path-inserted",
    ),
]


@pytest.mark.parametrize("server_url", DISCOVERY_FORMS)
def test_every_form_of_the_configured_url_names_the_same_issuer(server_url):
    assert configured_issuer(server_url) == "https://sso.example.org/realms/news"


@pytest.mark.parametrize("server_url", DISCOVERY_FORMS)
def test_the_issuer_is_checked_whether_the_issuer_or_its_discovery_url_is_configured(
    callback_request, server_url
):
    request = callback_request()

    with pytest.raises(ImmediateHttpResponse) as good:
        SocialAccountAdapter(request).pre_social_login(
            request, _oidc_login(request=request, claims=GOOD, server_url=server_url)
        )
    assert Commenter.objects.filter(provider="newsroom", subject="u1").exists()
    assert good.value.response.status_code == HTTPStatus.FOUND

    request = callback_request()
    other = {**GOOD, "sub": "u2", "iss": "https://sso.example.org/realms/other"}
    with pytest.raises(ImmediateHttpResponse):
        SocialAccountAdapter(request).pre_social_login(
            request, _oidc_login(request=request, claims=other, server_url=server_url)
        )
    assert not Commenter.objects.filter(subject="u2").exists()
    assert "did not work" in request.session["dateline_identity_notice"]["message"]


def test_google_id_token_must_carry_the_nonce(callback_request):
    request = callback_request()
    app = SocialApp(provider="google", client_id="c")
    provider = registry.get_class("google")(request, app=app)
    login = SocialLogin(
        provider=provider,
        account=SocialAccount(
            provider="google",
            uid="1",
            extra_data={"iss": "https://accounts.google.com", "sub": "1", "nonce": "forged"},
        ),
    )
    login.state = {NONCE_STATE_KEY: "expected"}

    with pytest.raises(ImmediateHttpResponse):
        SocialAccountAdapter(request).pre_social_login(request, login)

    assert not Commenter.objects.exists()
