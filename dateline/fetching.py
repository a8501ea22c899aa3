"""Fetching something a reader or a provider named, from the server: only over HTTP(S), only
from public addresses, bounded in time and size.

A URL that came from outside (a provider's avatar address, say) must not make the server ask
its own network — the database, Redis, a cloud provider's metadata service — on someone's
behalf. So every address the host name resolves to must be public (not private, loopback,
link-local, multicast or reserved), redirects are not followed blindly (each hop is checked
again), and the body is read up to a limit. ``DATELINE_FETCH_ALLOWED_HOSTS`` lists host names
that may resolve to private addresses anyway (a newsroom's own intranet server; the test
suite's servers on 127.0.0.1).

Plain infrastructure: it knows no app.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings


class FetchRefused(Exception):
    """Not fetched: why, in words for a log."""


def _check_address(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused(f"not an http(s) address: {url!r}")
    host = parts.hostname
    if host in settings.DATELINE_FETCH_ALLOWED_HOSTS:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise FetchRefused(f"{host}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise FetchRefused(f"{host} resolves to a non-public address ({address})")


def fetch_public(url: str, *, max_bytes: int, timeout: float = 5.0, redirects: int = 3) -> bytes:
    """The body at ``url`` (at most ``max_bytes``), or FetchRefused."""
    for _hop in range(redirects + 1):
        _check_address(url)
        try:
            with requests.get(url, timeout=timeout, stream=True, allow_redirects=False) as answer:
                if answer.is_redirect:
                    url = urljoin(url, answer.headers.get("Location", ""))
                    continue
                if answer.status_code != 200:
                    raise FetchRefused(f"{url}: HTTP {answer.status_code}")
                body = b""
                for chunk in answer.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise FetchRefused(f"{url}: larger than {max_bytes} bytes")
                return body
        except requests.RequestException as error:
            raise FetchRefused(f"{url}: {error}") from None
    raise FetchRefused(f"{url}: more than {redirects} redirects")
