"""Typed readers for environment variables, used by ``dateline.settings`` (and by ``dateline
serve`` for the web server's own variables, and ``dateline.datadir`` for the data directory).

Each helper fails loudly with the variable's name and what was expected, so a typo in a
deployment stops the process at start-up instead of surfacing as odd behaviour later. Plain
Python: no Django, no app of Dateline's (``dateline.settings`` imports nothing else of ours).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class EnvError(ValueError):
    """A configuration variable has a value we cannot use."""


def get_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def get_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean; use one of: true, false, 1, 0, yes, no.")


def get_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={value} is below the minimum of {minimum}.")
    if maximum is not None and value > maximum:
        raise EnvError(f"{name}={value} is above the maximum of {maximum}.")
    return value


def get_list(name: str, default: Sequence[str] = ()) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_networks(
    name: str, default: Sequence[str] = ()
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of IP addresses or CIDR blocks (``10.0.0.0/8``, ``::1``)."""
    networks = []
    for item in get_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise EnvError(
                f"{name}: {item!r} is not an IP address or a network such as 10.0.0.0/8."
            ) from None
    return networks


def get_choice(name: str, default: str, choices: Sequence[str]) -> str:
    value = get_str(name, default) or default
    if value not in choices:
        raise EnvError(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


EMAIL_URL_SCHEMES = ("smtp", "smtps", "console", "file", "locmem", "dummy")


def get_email_url(name: str, default: str) -> dict[str, object]:
    """A Django 6.1 ``MAILERS`` entry from a URL: ``smtp://user:pass@host:587?tls=1``,
    ``smtps://user:pass@host`` (TLS from the first byte, port 465), ``console://`` (print to
    the terminal), ``file:///var/mail/dateline`` (one file per batch), ``locmem://`` (tests)."""
    raw = get_str(name, default) or default
    # Error messages show the URL without its password: they end up in logs.
    shown = re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise EnvError(f"{name}={shown!r} is not a valid URL (check the port number).") from None
    scheme = parts.scheme.lower()
    if scheme not in EMAIL_URL_SCHEMES:
        raise EnvError(
            f"{name}={shown!r}: the scheme must be one of {', '.join(EMAIL_URL_SCHEMES)} "
            "(e.g. smtp://user:password@mail.example.org:587?tls=1)."
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "dummy":
        return {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    if scheme == "file":
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/"):
            raise EnvError(
                f"{name}={shown!r}: use an absolute path, e.g. file:///var/mail/dateline."
            )
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": path},
        }
    if not parts.hostname:
        raise EnvError(f"{name}={shown!r} names no mail server host.")
    unknown = set(query) - {"tls", "starttls", "timeout"}
    if unknown:
        raise EnvError(
            f"{name}={shown!r}: unknown option(s) {', '.join(sorted(unknown))}; "
            "use tls=1 (STARTTLS) and timeout=SECONDS."
        )
    tls_word = query.get("tls", query.get("starttls", "0")).strip().lower()
    if tls_word not in TRUE_WORDS | FALSE_WORDS:
        raise EnvError(f"{name}={shown!r}: tls must be 1 or 0.")
    use_tls = tls_word in TRUE_WORDS
    if scheme == "smtps" and use_tls:
        raise EnvError(
            f"{name}={shown!r}: smtps:// is already encrypted; use smtp://…?tls=1 for STARTTLS."
        )
    try:
        timeout = float(query.get("timeout", "30"))
    except ValueError:
        raise EnvError(f"{name}={shown!r}: timeout must be a number of seconds.") from None
    if not 0 < timeout <= 600:
        raise EnvError(f"{name}={shown!r}: timeout must be between 0 and 600 seconds.")
    options: dict[str, object] = {
        "host": parts.hostname,
        "port": port or (465 if scheme == "smtps" else 587 if use_tls else 25),
        "use_ssl": scheme == "smtps",
        "use_tls": use_tls,
        # Without a timeout a mail server that stops answering would hang the worker forever.
        "timeout": timeout,
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}


# Where things live ------------------------------------------------------------------------------


def testing() -> bool:
    """Under pytest (or told so): the test defaults apply (``DATELINE_TESTING``)."""
    return "pytest" in sys.modules or get_bool("DATELINE_TESTING", False)


def data_dir() -> Path:
    """``DATELINE_DATA_DIR``: the SQLite database, the generated secret key, uploads and
    collected static files. Default ``./data`` (``./var/test`` under the tests)."""
    default = PROJECT_DIR / ("var/test" if testing() else "data")
    return Path(get_str("DATELINE_DATA_DIR") or default).resolve()


def static_root() -> Path:
    """``DATELINE_STATIC_ROOT``: where ``collectstatic`` puts static files."""
    return Path(get_str("DATELINE_STATIC_ROOT") or data_dir() / "static")


def get_url(name: str) -> str:
    """An absolute http(s) URL without its trailing slash, or "" when unset."""
    url = get_str(name)
    return _absolute_url(name, url) if url else ""


# A CDN in front ------------------------------------------------------------------------------

FRONTEND_CACHES = ["off", "cloudflare", "cloudfront", "http-purge", "varnish"]


def _required(name: str, why: str) -> str:
    value = get_str(name)
    if not value:
        raise EnvError(f"{name} is required when {why}.")
    return value


def get_frontend_cache() -> dict[str, dict[str, Any]] | None:
    """Wagtail's ``WAGTAILFRONTENDCACHE`` from ``DATELINE_FRONTEND_CACHE`` and its provider's
    variables; None (off) by default. See docs/deployment.md for each provider.

        DATELINE_FRONTEND_CACHE=cloudflare   DATELINE_CLOUDFLARE_ZONE_ID + DATELINE_CLOUDFLARE_TOKEN
                                             (an API token allowed to purge the zone), or
                                             DATELINE_CLOUDFLARE_EMAIL + DATELINE_CLOUDFLARE_API_KEY
        DATELINE_FRONTEND_CACHE=cloudfront   DATELINE_CLOUDFRONT_DISTRIBUTION_ID; AWS credentials the
                                             usual boto3 way (needs ``pip install boto3``)
        DATELINE_FRONTEND_CACHE=http-purge   DATELINE_FRONTEND_CACHE_URL: where PURGE requests go
                                             (Varnish, nginx with a purge module, Fastly-style
                                             proxies); ``varnish`` is the same backend
        DATELINE_FRONTEND_CACHE_HOSTNAMES    only purge these hosts (default: every host)
    """
    kind = get_choice("DATELINE_FRONTEND_CACHE", "off", FRONTEND_CACHES)
    if kind == "off":
        return None
    why = f"DATELINE_FRONTEND_CACHE={kind}"
    config: dict[str, Any]
    if kind == "cloudflare":
        config = {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
            "ZONEID": _required("DATELINE_CLOUDFLARE_ZONE_ID", why),
        }
        token = get_str("DATELINE_CLOUDFLARE_TOKEN")
        email, api_key = (
            get_str("DATELINE_CLOUDFLARE_EMAIL"),
            get_str("DATELINE_CLOUDFLARE_API_KEY"),
        )
        if token:
            config["BEARER_TOKEN"] = token
        elif email and api_key:
            config.update(EMAIL=email, API_KEY=api_key)
        else:
            raise EnvError(
                f"{why} needs DATELINE_CLOUDFLARE_TOKEN, or DATELINE_CLOUDFLARE_EMAIL and "
                "DATELINE_CLOUDFLARE_API_KEY."
            )
    elif kind == "cloudfront":
        if importlib.util.find_spec("boto3") is None:
            raise EnvError(f"{why} needs boto3: pip install boto3")
        config = {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudfrontBackend",
            "DISTRIBUTION_ID": _required("DATELINE_CLOUDFRONT_DISTRIBUTION_ID", why),
        }
    else:
        location = _required("DATELINE_FRONTEND_CACHE_URL", why)
        parts = urlsplit(location)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise EnvError(f"DATELINE_FRONTEND_CACHE_URL={location!r} must be an http(s) URL.")
        config = {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": location,
        }
    hostnames = get_list("DATELINE_FRONTEND_CACHE_HOSTNAMES")
    if hostnames:
        config["HOSTNAMES"] = hostnames
    return {"default": config}


# Sign-in providers ------------------------------------------------------------------------------


def get_client_pair(prefix: str) -> tuple[str, str] | None:
    """An OAuth client from ``<prefix>_CLIENT_ID`` and ``<prefix>_CLIENT_SECRET``: both, or
    neither (None)."""
    client_id = get_str(f"{prefix}_CLIENT_ID")
    secret = get_str(f"{prefix}_CLIENT_SECRET")
    if bool(client_id) != bool(secret):
        raise EnvError(f"Set both {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET, or neither.")
    return (client_id, secret) if client_id else None


OIDC_KEYS = {
    "id",
    "name",
    "server_url",
    "client_id",
    "secret",
    "scope",
    "verified_email",
    "token_auth_method",
    "icon_url",
}
OIDC_NUMBERED_FIELDS = ("ID", "NAME", "SERVER_URL", "CLIENT_ID", "SECRET", "TOKEN_AUTH_METHOD")
# How the client authenticates at the token endpoint (OpenID Connect Core 9); unset: as the
# provider's discovery document advertises.
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
MAX_NUMBERED_OIDC = 20


def get_oidc_providers(name: str = "DATELINE_OIDC_PROVIDERS") -> list[dict[str, Any]]:
    """OpenID Connect providers as allauth ``APPS`` entries, from a JSON list in ``name``:
    ``[{"id": …, "name": …, "server_url": …, "client_id": …, "secret": …}]`` (optional
    ``scope`` list, which must include ``openid``, and ``verified_email``), or else from
    numbered variables (``DATELINE_OIDC_1_ID``, ``_NAME``, ``_SERVER_URL``, ``_CLIENT_ID``,
    ``_SECRET``, then ``_2_``…, up to 20) for tooling that cannot pass JSON comfortably. Never
    both. Errors name the variable (and the entry). Whether an id may be used at all is the
    identity app's to say: it checks them at start-up
    (``dateline.identity.config.check_environment_providers``)."""
    raw = get_str(name)
    numbered = sorted(key for key in os.environ if re.fullmatch(r"DATELINE_OIDC_\d+_[A-Z_]+", key))
    if raw and numbered:
        raise EnvError(
            f"Set {name} or the numbered DATELINE_OIDC_<n>_… variables, not both "
            f"(found {numbered[0]})."
        )
    if not raw:
        return _oidc_apps(_numbered_oidc_entries(numbered))
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise EnvError(f"{name} is not valid JSON: {error}") from None
    if not isinstance(entries, list):
        raise EnvError(f"{name} must be a JSON list of providers.")
    located = []
    for position, entry in enumerate(entries, start=1):
        where = f"{name} entry {position}"
        if not isinstance(entry, dict):
            raise EnvError(f"{where} must be an object.")
        unknown = sorted(set(entry) - OIDC_KEYS)
        if unknown:
            raise EnvError(
                f"{where}: unknown key {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(sorted(OIDC_KEYS))})."
            )
        located.append((entry, _in_entry(where)))
    return _oidc_apps(located)


type _Where = Callable[[str], str]


def _numbered_oidc_entries(names: list[str]) -> list[tuple[dict[str, Any], _Where]]:
    """The numbered variables as entries, each with the variable that holds each field."""
    by_number: dict[int, dict[str, str]] = {}
    for variable in names:
        number, _, field = variable.removeprefix("DATELINE_OIDC_").partition("_")
        if field not in OIDC_NUMBERED_FIELDS:
            raise EnvError(
                f"{variable} is not a setting: use DATELINE_OIDC_{number}_ followed by "
                f"{', '.join(OIDC_NUMBERED_FIELDS)}."
            )
        if not 1 <= int(number) <= MAX_NUMBERED_OIDC:
            raise EnvError(
                f"{variable}: providers are numbered 1 to {MAX_NUMBERED_OIDC}; "
                "use DATELINE_OIDC_PROVIDERS for more."
            )
        by_number.setdefault(int(number), {})[field] = get_str(variable)
    entries: list[tuple[dict[str, Any], _Where]] = []
    for position, fields in sorted(by_number.items()):
        prefix = f"DATELINE_OIDC_{position}_"
        entry = {key.lower(): value for key, value in fields.items() if value}
        entry.setdefault("name", entry.get("id", ""))
        entries.append((entry, _in_variables(prefix)))
    return entries


def _in_entry(where: str) -> _Where:
    return lambda key: f"{where}: {key}"


def _in_variables(prefix: str) -> _Where:
    return lambda key: f"{prefix}{key.upper()}"


def _absolute_url(where: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise EnvError(f"{where}: {url!r} must be an absolute http(s) URL.")
    return url.rstrip("/")


def _oidc_apps(entries: list[tuple[dict[str, Any], _Where]]) -> list[dict[str, Any]]:
    apps: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry, where in entries:
        for key in ("id", "name", "server_url", "client_id", "secret"):
            if not entry.get(key):
                raise EnvError(f"{where(key)} is missing: every provider needs it.")
        provider_id = str(entry["id"])
        if provider_id in seen:
            raise EnvError(f"{where('id')}: id {provider_id!r} is used twice.")
        seen.add(provider_id)
        app_settings: dict[str, Any] = {
            "server_url": _absolute_url(where("server_url"), str(entry["server_url"])),
        }
        if "scope" in entry:
            scope = entry["scope"]
            if not isinstance(scope, list) or not all(isinstance(s, str) for s in scope):
                raise EnvError(f"{where('scope')} must be a list such as ['openid', 'email'].")
            if "openid" not in scope:
                raise EnvError(
                    f"{where('scope')} must include 'openid': without it the provider sends "
                    "no ID token, and nobody can be signed in."
                )
            app_settings["scope"] = scope
        if "verified_email" in entry:
            app_settings["verified_email"] = bool(entry["verified_email"])
        if entry.get("icon_url"):
            icon = str(entry["icon_url"])
            if not icon.startswith("https://"):
                raise EnvError(f"{where('icon_url')}: {icon!r} must be an https:// address.")
            app_settings["icon_url"] = icon
        if entry.get("token_auth_method"):
            if entry["token_auth_method"] not in TOKEN_AUTH_METHODS:
                raise EnvError(
                    f"{where('token_auth_method')} must be one of: {', '.join(TOKEN_AUTH_METHODS)}."
                )
            app_settings["token_auth_method"] = entry["token_auth_method"]
        apps.append(
            {
                "provider_id": provider_id,
                "name": str(entry["name"])[:40],
                "client_id": str(entry["client_id"]),
                "secret": str(entry["secret"]),
                "settings": app_settings,
            }
        )
    return apps
