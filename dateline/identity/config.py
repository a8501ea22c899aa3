"""Which ids an OpenID Connect provider may have, checked for the providers the environment
configures (at start-up, from ``IdentityConfig.ready``) and for those editors add in the admin
(``forms.SocialAppForm``).

The environment's providers are read into allauth's ``SOCIALACCOUNT_PROVIDERS`` by
``dateline.settings`` (``dateline.env.get_client_pair``, ``get_oidc_providers``). Providers
can also be added by editors in the admin ("Sign-in providers"); the two sources are merged by
``dateline.identity.adapters.SocialAccountAdapter.list_apps`` (the environment wins when both
configure the same provider).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dateline import env

# The built-in providers' allauth ids.
BUILT_IN = ("google", "facebook", "twitter_oauth2", "wordpress_com")

# A generic OpenID Connect provider's id becomes part of its callback URL and, as
# ``Commenter.provider``, the namespace of its subjects. It must never collide with a built-in
# provider or the kinds the discussion uses for guests and verified emails: a Keycloak
# configured as "google" would otherwise sign people in as Google users' commenter rows.
RESERVED_PROVIDER_IDS = frozenset(
    {*BUILT_IN, "openid_connect", "guest", "email", "deleted", "oidc", "login", "callback"}
)
PROVIDER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def check_provider_id(provider_id: str) -> str | None:
    """Why ``provider_id`` cannot name an OpenID Connect provider, or None when it can."""
    if not PROVIDER_ID_RE.match(provider_id):
        return "use 1-40 lower-case letters, digits and dashes, starting with a letter or digit"
    if provider_id in RESERVED_PROVIDER_IDS:
        return f"{provider_id!r} is reserved"
    return None


def check_environment_providers(providers: Mapping[str, Mapping[str, Any]]) -> None:
    """Stop start-up, naming the variable and the entry, when an OpenID Connect provider the
    environment configures has an id it may not have."""
    for position, app in enumerate(providers.get("openid_connect", {}).get("APPS", []), start=1):
        provider_id = str(app.get("provider_id", ""))
        problem = check_provider_id(provider_id)
        if problem:
            raise env.EnvError(
                f"DATELINE_OIDC_PROVIDERS entry {position}: id {provider_id!r}: {problem}."
            )
