"""Google with a nonce in the ID token (see ``dateline.identity.providers.nonce``).

The package is ours so that only the login and callback URLs are routed: allauth's Google
"One Tap" token endpoint (``google/login/token/``) is a second way in that Dateline does not use.
"""

from __future__ import annotations

from allauth.socialaccount.providers.google.provider import (
    GoogleProvider as AllauthGoogleProvider,
)

from dateline.identity.providers.nonce import NonceMixin


class GoogleProvider(NonceMixin, AllauthGoogleProvider):
    package = "dateline.identity.providers.google"
