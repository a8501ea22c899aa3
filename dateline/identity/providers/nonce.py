"""The OpenID Connect ``nonce``: allauth 65 sends none for Google or generic OIDC.

The nonce is generated when the sign-in starts and kept in allauth's redirect state, which lives
in the reader's session and is consumed on the first callback, so it is bound to the session
and single-use like the state and the PKCE verifier beside it. The ID token must carry it back;
``check_id_token`` (called from the social account adapter before anything is written) refuses
the sign-in otherwise.
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.socialaccount.providers.base.provider import ProviderException
from django.http import HttpRequest, HttpResponse

NONCE_STATE_KEY = "dateline_nonce"


class NonceMixin:
    """Mixed into an allauth ``OAuth2Provider`` subclass before it."""

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()  # type: ignore[attr-defined]
        auth_params = {**auth_params, "nonce": nonce}
        # Extra keyword arguments end up in the stashed state (OAuth2Provider.redirect passes
        # them on to stash_redirect_state).
        kwargs[NONCE_STATE_KEY] = nonce
        return super().redirect(  # type: ignore[misc]
            request, process, next_url, data, auth_params=auth_params, **kwargs
        )


def check_id_token(*, claims: dict[str, Any] | None, state: dict[str, Any]) -> None:
    """Raise ``ProviderException`` unless the ID token answers the nonce this session sent."""
    expected = state.get(NONCE_STATE_KEY)
    if not expected:
        raise ProviderException("the sign-in was not started with a nonce")
    if not isinstance(claims, dict):
        raise ProviderException("the provider returned no ID token")
    received = claims.get("nonce")
    if not isinstance(received, str) or not secrets.compare_digest(received, expected):
        raise ProviderException("the ID token's nonce does not match this sign-in")
