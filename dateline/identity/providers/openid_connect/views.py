"""allauth's OpenID Connect login and callback views, with an adapter that verifies every ID
token (``id_tokens``) and refuses a plain-HTTP issuer on a site served over HTTPS."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.provider import ProviderException
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from dateline.identity.providers import id_tokens


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class VerifyingAdapter(OpenIDConnectOAuth2Adapter):
    @property
    def openid_config(self) -> dict[str, Any]:
        server_url = str(self.get_provider().server_url)
        parts = urlsplit(server_url)
        if settings.HTTPS and parts.scheme != "https" and not _loopback(parts.hostname or ""):
            # Discovery, keys and tokens over plain HTTP could be anyone's.
            raise OAuth2Error(f"the issuer {server_url!r} is not served over HTTPS")
        config: dict[str, Any] = super().openid_config
        return config

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        config = self.openid_config
        returned_iss = self.request.GET.get("iss")
        if config.get("authorization_response_iss_parameter_supported") and returned_iss is None:
            # RFC 9207 2.4: a provider that says it names itself must have done so.
            raise ProviderException("the authorization response does not name its issuer")
        if returned_iss is not None and returned_iss != config.get("issuer"):
            raise ProviderException("the authorization response came from another issuer")
        claims = id_tokens.verify(
            id_token,
            jwks_uri=str(config.get("jwks_uri") or ""),
            issuer=str(config.get("issuer") or ""),
            client_id=app.client_id,
        )
        jwtkit.verify_jti(claims)  # a token replayed within its lifetime is refused
        return claims


def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return OAuth2LoginView.adapter_view(VerifyingAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return OAuth2CallbackView.adapter_view(VerifyingAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
