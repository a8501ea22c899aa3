"""``WAGTAILFRONTENDCACHE`` from the environment, read by ``dateline.settings`` (so this module
must not import Django models). Off by default. See docs/deployment.md for each provider.

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

from __future__ import annotations

import importlib.util
from typing import Any
from urllib.parse import urlsplit

from dateline import env

CHOICES = ["off", "cloudflare", "cloudfront", "http-purge", "varnish"]


def _required(name: str, why: str) -> str:
    value = env.get_str(name)
    if not value:
        raise env.EnvError(f"{name} is required when {why}.")
    return value


def frontend_cache_from_env() -> dict[str, dict[str, Any]] | None:
    kind = env.get_choice("DATELINE_FRONTEND_CACHE", "off", CHOICES)
    if kind == "off":
        return None
    why = f"DATELINE_FRONTEND_CACHE={kind}"
    config: dict[str, Any]
    if kind == "cloudflare":
        config = {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
            "ZONEID": _required("DATELINE_CLOUDFLARE_ZONE_ID", why),
        }
        token = env.get_str("DATELINE_CLOUDFLARE_TOKEN")
        email, api_key = (
            env.get_str("DATELINE_CLOUDFLARE_EMAIL"),
            env.get_str("DATELINE_CLOUDFLARE_API_KEY"),
        )
        if token:
            config["BEARER_TOKEN"] = token
        elif email and api_key:
            config.update(EMAIL=email, API_KEY=api_key)
        else:
            raise env.EnvError(
                f"{why} needs DATELINE_CLOUDFLARE_TOKEN, or DATELINE_CLOUDFLARE_EMAIL and "
                "DATELINE_CLOUDFLARE_API_KEY."
            )
    elif kind == "cloudfront":
        if importlib.util.find_spec("boto3") is None:
            raise env.EnvError(f"{why} needs boto3: pip install boto3")
        config = {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudfrontBackend",
            "DISTRIBUTION_ID": _required("DATELINE_CLOUDFRONT_DISTRIBUTION_ID", why),
        }
    else:
        location = _required("DATELINE_FRONTEND_CACHE_URL", why)
        parts = urlsplit(location)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise env.EnvError(f"DATELINE_FRONTEND_CACHE_URL={location!r} must be an http(s) URL.")
        config = {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": location,
        }
    hostnames = env.get_list("DATELINE_FRONTEND_CACHE_HOSTNAMES")
    if hostnames:
        config["HOSTNAMES"] = hostnames
    return {"default": config}
