"""Sign-in providers configured by environment variables, turned into allauth's
``SOCIALACCOUNT_PROVIDERS``. Django-free: ``dateline.settings`` calls this at start-up, so a bad
value stops the process with a message naming the variable, like every other setting.

Providers can also be added by editors in the admin ("Sign-in providers"); the two sources are
merged by ``dateline.identity.adapters.SocialAccountAdapter.list_apps`` (the environment wins when
both configure the same provider).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from dateline import env

# Built-in providers: allauth provider id -> (environment prefix, display name).
BUILT_IN = {
    "google": ("DATELINE_GOOGLE", "Google"),
    "facebook": ("DATELINE_FACEBOOK", "Facebook"),
    "twitter_oauth2": ("DATELINE_TWITTER", "X"),
    "wordpress_com": ("DATELINE_WORDPRESS", "WordPress.com"),
}

# A generic OpenID Connect provider's id becomes part of its callback URL and, as
# ``Commenter.provider``, the namespace of its subjects. It must never collide with a built-in
# provider or the kinds the discussion uses for guests and verified emails: a Keycloak
# configured as "google" would otherwise sign people in as Google users' commenter rows.
RESERVED_PROVIDER_IDS = frozenset(
    {*BUILT_IN, "openid_connect", "guest", "email", "deleted", "oidc", "login", "callback"}
)
PROVIDER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

PROVIDER_CLASSES = {
    # Each adds what allauth leaves out for that provider (see dateline/identity/providers).
    "google": "dateline.identity.providers.google.provider.GoogleProvider",
    "facebook": "dateline.identity.providers.facebook.provider.FacebookProvider",
    "openid_connect": "dateline.identity.providers.oidc.OpenIDConnectProvider",
}


def check_provider_id(provider_id: str) -> str | None:
    """Why ``provider_id`` cannot name an OpenID Connect provider, or None when it can."""
    if not PROVIDER_ID_RE.match(provider_id):
        return "use 1-40 lower-case letters, digits and dashes, starting with a letter or digit"
    if provider_id in RESERVED_PROVIDER_IDS:
        return f"{provider_id!r} is reserved"
    return None


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise env.EnvError(f"{name}: {url!r} must be an absolute http(s) URL.")
    return url.rstrip("/")


def _oidc_apps(raw: str) -> list[dict[str, Any]]:
    name = "DATELINE_OIDC_PROVIDERS"
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise env.EnvError(f"{name} is not valid JSON: {error}") from None
    if not isinstance(entries, list):
        raise env.EnvError(f"{name} must be a JSON list of providers.")
    apps: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        where = f"{name} entry {position}"
        if not isinstance(entry, dict):
            raise env.EnvError(f"{where} must be an object.")
        missing = [key for key in ("id", "name", "server_url", "client_id") if not entry.get(key)]
        if missing:
            raise env.EnvError(f"{where} is missing {', '.join(missing)}.")
        provider_id = str(entry["id"])
        problem = check_provider_id(provider_id)
        if problem:
            raise env.EnvError(f"{where}: id {provider_id!r}: {problem}.")
        if provider_id in seen:
            raise env.EnvError(f"{where}: id {provider_id!r} is used twice.")
        seen.add(provider_id)
        app_settings: dict[str, Any] = {
            "server_url": _check_url(where, str(entry["server_url"])),
        }
        if entry.get("scope"):
            if not isinstance(entry["scope"], list):
                raise env.EnvError(f"{where}: scope must be a list such as ['openid', 'email'].")
            app_settings["scope"] = [str(s) for s in entry["scope"]]
        if "verified_email" in entry:
            app_settings["verified_email"] = bool(entry["verified_email"])
        apps.append(
            {
                "provider_id": provider_id,
                "name": str(entry["name"])[:40],
                "client_id": str(entry["client_id"]),
                "secret": str(entry.get("secret", "")),
                "settings": app_settings,
            }
        )
    return apps


def _numbered_oidc_apps() -> list[dict[str, Any]]:
    """``DATELINE_OIDC_1_ID``, ``_NAME``, ``_SERVER_URL``, ``_CLIENT_ID``, ``_SECRET`` … for
    deployments whose tooling cannot pass JSON comfortably."""
    entries = []
    for n in range(1, 21):
        prefix = f"DATELINE_OIDC_{n}_"
        if not env.get_str(f"{prefix}ID"):
            continue
        entries.append(
            {
                "id": env.get_str(f"{prefix}ID"),
                "name": env.get_str(f"{prefix}NAME") or env.get_str(f"{prefix}ID"),
                "server_url": env.get_str(f"{prefix}SERVER_URL"),
                "client_id": env.get_str(f"{prefix}CLIENT_ID"),
                "secret": env.get_str(f"{prefix}SECRET"),
            }
        )
    return _oidc_apps(json.dumps(entries)) if entries else []


def socialaccount_providers() -> dict[str, dict[str, Any]]:
    """allauth's per-provider settings, plus the apps the environment configures."""
    providers: dict[str, dict[str, Any]] = {
        # PKCE (S256) everywhere: allauth makes it optional for most providers.
        "google": {
            "OAUTH_PKCE_ENABLED": True,
            # "openid" makes Google return an ID token, which carries the nonce we check.
            "SCOPE": ["openid", "profile", "email"],
            "AUTH_PARAMS": {"prompt": "select_account"},
        },
        "facebook": {
            "OAUTH_PKCE_ENABLED": True,
            "METHOD": "oauth2",
            "SCOPE": ["public_profile", "email"],
            "FIELDS": ["id", "name", "email", "link", "picture.type(square)"],
        },
        "twitter_oauth2": {"OAUTH_PKCE_ENABLED": True},
        "wordpress_com": {"OAUTH_PKCE_ENABLED": True},
        "openid_connect": {"OAUTH_PKCE_ENABLED": True},
    }
    for provider_id, class_path in PROVIDER_CLASSES.items():
        providers[provider_id]["provider_class"] = class_path

    wordpress_api = env.get_str("DATELINE_WORDPRESS_API_URL")
    if wordpress_api:
        providers["wordpress_com"]["API_URL"] = _check_url(
            "DATELINE_WORDPRESS_API_URL", wordpress_api
        )

    for provider_id, (prefix, display_name) in BUILT_IN.items():
        client_id = env.get_str(f"{prefix}_CLIENT_ID")
        secret = env.get_str(f"{prefix}_CLIENT_SECRET")
        if bool(client_id) != bool(secret):
            raise env.EnvError(
                f"Set both {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET, or neither."
            )
        if client_id:
            providers[provider_id]["APPS"] = [
                {"name": display_name, "client_id": client_id, "secret": secret, "settings": {}}
            ]

    raw_oidc = env.get_str("DATELINE_OIDC_PROVIDERS")
    oidc_apps = _oidc_apps(raw_oidc) if raw_oidc else _numbered_oidc_apps()
    if oidc_apps:
        providers["openid_connect"]["APPS"] = oidc_apps
    return providers
