"""Dateline's policy for allauth, in the adapter classes allauth asks for.

Readers sign in to *comment*, not to get a site account: when a provider confirms who someone
is, ``pre_social_login`` links (or creates) the ``Commenter`` for that (provider, subject),
keeps it in the session and answers at once. allauth's own sign-up, account creation and
Django login never run, so a reader never becomes a ``User`` and can never reach the admin;
local sign-up and password forms are closed too.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthError
from allauth.socialaccount.providers.base.provider import ProviderException
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from dateline.identity import actions, returns, session
from dateline.identity.profiles import profile_from_sociallogin
from dateline.identity.providers.nonce import check_id_token

logger = logging.getLogger(__name__)

NONCE_PROVIDERS = {"google", "openid_connect"}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # No local accounts for readers; editors are created by administrators.
        return False

    def is_safe_url(self, url: str | None) -> bool:
        return returns.is_same_site_path(url)

    def login(self, request: HttpRequest, user: Any) -> None:
        # Unreachable by design (pre_social_login always answers first); refuse rather than
        # ever turn a provider sign-in into a Django login.
        raise ImmediateHttpResponse(_refused_page(request))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self,
        request: HttpRequest | None,
        provider: str | None = None,
        client_id: str | None = None,
        *,
        include_disabled: bool = False,
    ) -> list[SocialApp]:
        """Apps from the admin and from the environment. The environment wins when both
        configure the same provider (a deployment's configuration is the one to trust), and
        an app an editor switched off is invisible to sign-in, callbacks included."""
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        from_environment = {(a.provider, a.provider_id or a.provider) for a in apps if a.pk is None}
        kept = []
        for app in apps:
            if (
                app.pk is not None
                and (app.provider, app.provider_id or app.provider) in from_environment
            ):
                continue
            if not include_disabled and app.settings.get("enabled", True) is False:
                continue
            kept.append(app)
        return kept

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        state = sociallogin.state or {}
        provider = sociallogin.provider
        try:
            self._check_response(request, sociallogin, state)
        except ProviderException as error:
            logger.warning("Refused a %s sign-in: %s", sociallogin.account.provider, error)
            raise ImmediateHttpResponse(
                _failure(request, provider_name=provider.name, state=state, error=error)
            ) from None
        profile = profile_from_sociallogin(sociallogin, fallback_name=_("Reader"))
        commenter = actions.commenter_for_provider(profile=profile)
        actions.sign_in_commenter(request=request, commenter=commenter)
        raise ImmediateHttpResponse(
            session.set_hint(HttpResponseRedirect(_return_url(request, state)))
        )

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        extra_context = extra_context or {}
        state = extra_context.get("state")
        if not state:
            # No state of ours came back: a forged or altered state, a replayed callback, or a
            # sign-in that expired. Nothing is written; say so plainly.
            logger.warning("Refused a %s callback without a matching state", _named(provider))
            raise ImmediateHttpResponse(_refused_page(request))
        misconfigured = client_refused(request.GET.get("error"), exception)
        if misconfigured:
            # Not the reader's doing and not going to pass: the editors must fix the client ID
            # or secret, so it is an error in the log, under the provider's own id.
            logger.error(
                "Sign-in with %s failed: the provider refused this site's client ID or secret "
                "(%s). Check them under Settings → Sign-in providers.",
                _named(provider),
                misconfigured,
            )
        else:
            logger.info("Sign-in with %s failed: %s %r", _named(provider), error, exception)
        raise ImmediateHttpResponse(
            _failure(
                request,
                provider_name=getattr(provider, "name", ""),
                state=state,
                error=exception,
                cancelled=error == AuthError.CANCELLED,
                misconfigured=bool(misconfigured),
            )
        )

    def _check_response(
        self, request: HttpRequest, sociallogin: SocialLogin, state: dict[str, Any]
    ) -> None:
        """What allauth does not check for us (RFC 9700, OpenID Connect Core)."""
        provider = sociallogin.provider
        if provider.id not in NONCE_PROVIDERS:
            return
        data = sociallogin.account.extra_data
        if provider.id == "google":
            id_token = data if isinstance(data, dict) and "iss" in data else None
            check_id_token(claims=id_token, state=state)
            return
        id_token = data.get("id_token") if isinstance(data, dict) else None
        check_id_token(claims=id_token, state=state)
        assert isinstance(id_token, dict)
        userinfo = data.get("userinfo")
        if isinstance(userinfo, dict) and str(userinfo.get("sub")) != str(id_token.get("sub")):
            # OpenID Connect Core 5.3.2: the userinfo answer must be about the token's subject.
            raise ProviderException("userinfo is about another subject than the ID token")
        issuer = str(id_token.get("iss", "")).rstrip("/")
        configured = configured_issuer(str(provider.app.settings.get("server_url", "")))
        if not configured or issuer != configured:
            # Discovery 4.3: the issuer must be the URL we were configured with; with several
            # providers this stops one of them answering as another (mix-up). Always checked,
            # whichever form of the URL the editor pasted.
            raise ProviderException(f"issuer {issuer!r} is not the configured {configured!r}")
        returned_iss = request.GET.get("iss")
        if returned_iss is not None and returned_iss.rstrip("/") != issuer:
            # RFC 9207: the authorization response names the server that issued the code.
            raise ProviderException("the authorization response came from another issuer")


# OAuth 2.0's words for a client the provider does not know or will not serve (RFC 6749 5.2,
# 4.1.2.1), in the callback's ``error`` or the token endpoint's answer.
CLIENT_ERRORS = ("invalid_client", "unauthorized_client")


def client_refused(callback_error: str | None, exception: object) -> str:
    """The OAuth error code when the provider refused the site's client itself, else ''."""
    if callback_error in CLIENT_ERRORS:
        return callback_error
    text = str(exception or "")
    return next((code for code in CLIENT_ERRORS if code in text), "")


def _named(provider: Any) -> str:
    """The provider as the editor named it: an OpenID Connect provider's own id ("newsroom"),
    not its kind ("openid_connect"), so a log says which of several failed."""
    return str(getattr(provider, "sub_id", None) or getattr(provider, "id", "?"))


WELL_KNOWN = "/.well-known/"


def configured_issuer(server_url: str) -> str:
    """The issuer an OpenID Connect provider's ``server_url`` names. Editors paste either the
    issuer or its discovery document's address, and allauth accepts both; the issuer is the
    part before ``/.well-known/openid-configuration`` (OpenID Discovery 4), and for the
    path-inserted form RFC 8414 section 3.1 allows (``https://host/.well-known/
    openid-configuration/realms/news``) the host plus the path after it."""
    url = server_url.strip().rstrip("/")
    if WELL_KNOWN not in url:
        return url
    base, _, rest = url.partition(WELL_KNOWN)
    _document, _, path = rest.partition("/")
    return f"{base}/{path}".rstrip("/") if path else base


def _return_url(request: HttpRequest, state: dict[str, Any]) -> str:
    """Our finish page, from allauth's state (set by the start view) or the pending record."""
    next_url = state.get("next")
    if isinstance(next_url, str) and next_url.startswith("/identity/finish/"):
        return next_url
    pending = session.get_pending(request)
    next_path = returns.safe_return_path(pending.get("next"), request=request)
    return returns.finish_url(next_path=next_path, popup=bool(pending.get("popup")))


def _failure(
    request: HttpRequest,
    *,
    provider_name: str,
    state: dict[str, Any],
    error: object = None,
    cancelled: bool = False,
    misconfigured: bool = False,
) -> HttpResponse:
    """Back to the article (or the popup's opener) with a message in the form; the draft is
    still in the browser (or in the session, for readers without JavaScript)."""
    if cancelled:
        message = _(
            "You cancelled signing in with %(provider)s. Your comment is still here: fill in "
            "your details below or choose another way to sign in."
        )
    elif misconfigured:
        message = _(
            "Signing in with %(provider)s is not working on this site at the moment: its "
            "settings need fixing, and the editors can see why. Please fill in your details "
            "below, or choose another way to sign in."
        )
    elif isinstance(error, requests.RequestException):
        message = _(
            "%(provider)s could not be reached, so you are not signed in. Please try again in "
            "a moment, or fill in your details below."
        )
    else:
        message = _(
            "Signing in with %(provider)s did not work, so you are not signed in. Please try "
            "again, or fill in your details below."
        )
    session.set_notice(request, message=message % {"provider": provider_name or _("the provider")})
    response = session.set_hint(HttpResponseRedirect(_return_url(request, state)))
    session.clear_pending(request)
    return response


def _refused_page(request: HttpRequest) -> HttpResponse:
    pending = session.get_pending(request)
    if pending:
        session.clear_pending(request)
    next_path = returns.safe_return_path(pending.get("next"), request=request)
    return render(
        request,
        "identity/sign_in_refused.html",
        {"return_url": returns.article_anchor(next_path)},
        status=400,
    )
