"""Facebook with PKCE that actually reaches the token endpoint.

allauth sends Facebook's code exchange as a GET and only adds ``code_verifier`` to POST bodies,
so with ``OAUTH_PKCE_ENABLED`` the challenge went out and the verifier never followed. The
client below puts it in the query string. The package is ours so that only the login and
callback URLs are routed (not allauth's JavaScript-SDK token endpoint).
"""

from __future__ import annotations

from allauth.socialaccount.providers.facebook.provider import (
    FacebookProvider as AllauthFacebookProvider,
)

from dateline.identity.providers.facebook.views import FacebookOAuth2Adapter


class FacebookProvider(AllauthFacebookProvider):
    package = "dateline.identity.providers.facebook"
    oauth2_adapter_class = FacebookOAuth2Adapter
