"""Generic OpenID Connect with a nonce (see ``nonce``) and ID tokens we verify ourselves (see
``id_tokens``). The package is ours so that its login and callback views use our adapter."""

from __future__ import annotations

from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider as AllauthOpenIDConnectProvider,
)

from dateline.identity.providers.nonce import NonceMixin
from dateline.identity.providers.openid_connect.views import VerifyingAdapter


class OpenIDConnectProvider(NonceMixin, AllauthOpenIDConnectProvider):
    package = "dateline.identity.providers.openid_connect"
    # Starting a sign-in (our identity views) goes through the same adapter as the callback.
    oauth2_adapter_class = VerifyingAdapter
