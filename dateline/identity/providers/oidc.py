"""Generic OpenID Connect with a nonce (see ``nonce``). allauth's own URLs and views are used:
they look the provider class up in the registry, which ``provider_class`` points here."""

from __future__ import annotations

from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider as AllauthOpenIDConnectProvider,
)

from dateline.identity.providers.nonce import NonceMixin


class OpenIDConnectProvider(NonceMixin, AllauthOpenIDConnectProvider):
    package = "allauth.socialaccount.providers.openid_connect"
