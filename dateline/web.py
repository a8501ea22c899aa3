"""Request plumbing every app shares: who the client is, whether it asked for JSON, how a
JSON answer is written, Django's CSRF check run quietly by a view, the site's own origins,
and an action's errors put onto a form. Infrastructure: it imports no app, so any app may
import it.

One function per question, so a rule (which address is the client's, what counts as "wants
JSON") changes in one place for every view, the JSON API and the embed alike."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import add_never_cache_headers

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_ip(request: HttpRequest) -> str:
    """The client's IP address, normalised, or "" when the server was handed none that parses.
    The one place that decides, for the flood limit, bans, the spam checks and what is stored.

    The connection's own address, unless it is a trusted proxy (``DATELINE_TRUSTED_PROXIES``):
    then the forwarding header (``DATELINE_PROXY_HEADER``) is read from its right end, where
    each proxy appends the address it saw, past every trusted proxy, and the first address not
    trusted is the client. Whatever a client wrote to the left of it is never believed."""
    address = _address(str(request.META.get("REMOTE_ADDR", "")))
    if address is None:
        return ""
    if _trusted(address):
        for hop in reversed(_forwarded_for(request)):
            hop_address = _address(hop)
            if hop_address is None:
                # "unknown", an obfuscated name, garbage: the last address vouched for stands.
                break
            address = hop_address
            if not _trusted(address):
                break
    return str(address)


def _trusted(address: IPAddress) -> bool:
    return any(address in network for network in settings.DATELINE_TRUSTED_PROXIES)


def _address(raw: str) -> IPAddress | None:
    """An address as a header or the server gives it: quoted, bracketed, with a port."""
    raw = raw.strip().strip('"')
    if raw.startswith("["):
        raw = raw[1:].partition("]")[0]
    elif raw.count(":") == 1:  # an IPv4 address with a port
        raw = raw.partition(":")[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _forwarded_for(request: HttpRequest) -> list[str]:
    """The addresses the forwarding header lists, nearest proxy's last."""
    if settings.DATELINE_PROXY_HEADER == "forwarded":  # RFC 7239: for=…;proto=…, for=…
        return [
            value
            for element in str(request.META.get("HTTP_FORWARDED", "")).split(",")
            for key, _, value in (pair.partition("=") for pair in element.split(";"))
            if key.strip().lower() == "for"
        ]
    return str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")


def printable(value: str, limit: int) -> str:
    """A header value fit to store: control characters dropped, cut to ``limit``."""
    return "".join(ch for ch in value if ch.isprintable())[:limit]


def wants_json(request: HttpRequest) -> bool:
    """Our scripts ask for JSON and nothing else; a browser posting a form also accepts HTML
    (``*/*`` included), and gets pages and redirects."""
    return request.accepts("application/json") and not request.accepts("text/html")


def no_store(response: HttpResponse) -> HttpResponse:
    """Never kept by a browser or a shared cache: answers to one reader's request."""
    add_never_cache_headers(response)
    return response


def json_answer(
    data: Mapping[str, Any], *, status: int = HTTPStatus.OK, store: bool = False
) -> JsonResponse:
    """A JSON answer with text as written (Arabic stays Arabic, not \\u escapes); not stored
    unless the caller says the answer is the same for everyone (``store=True``)."""
    response = JsonResponse(dict(data), status=status, json_dumps_params={"ensure_ascii": False})
    if not store:
        no_store(response)
    return response


def json_errors(errors: Mapping[str, Any], *, status: int, **extra: Any) -> JsonResponse:
    """``{"errors": {field: message}, **extra}``, the one error shape of every JSON answer;
    never stored."""
    return json_answer(
        {"errors": {key: str(value) for key, value in errors.items()}, **extra}, status=status
    )


class _QuietCsrfCheck(CsrfViewMiddleware):
    # A page served from the cache carries no token, so a reader without JavaScript fails this
    # check as a matter of course: an expected step, not a security event worth a log warning.
    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return HttpResponse(reason, status=HTTPStatus.FORBIDDEN)


def csrf_passes(request: HttpRequest) -> bool:
    """Django's own CSRF check (origin, then cookie and token), run by a ``csrf_exempt`` view
    itself, so a failed check can be answered with a page that asks again (or a JSON error)
    instead of a bare 403."""
    # A fresh instance each time: the middleware caches CSRF_TRUSTED_ORIGINS on itself. No
    # callback, so the check does not honour the calling view's own csrf_exempt.
    check = _QuietCsrfCheck(lambda _request: HttpResponse())
    return check.process_view(request, None, (), {}) is None  # type: ignore[arg-type]


def normalise_origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case, without a trailing slash or a default port."""
    origin = value.strip().rstrip("/").lower()
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if origin.startswith(f"{scheme}://") and origin.endswith(port):
            origin = origin.removesuffix(port)
    return origin


def own_origins(request: HttpRequest) -> set[str]:
    """The site's own origin and the exact trusted ones (``CSRF_TRUSTED_ORIGINS`` without
    wildcards), normalised."""
    own = {normalise_origin(f"{request.scheme}://{request.get_host()}")}
    own.update(normalise_origin(o) for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o)
    return own


def add_errors(
    form: forms.BaseForm, errors: Mapping[str, str], *, to_summary: frozenset[str] = frozenset()
) -> None:
    """Attach the messages an action raised (``{field: message}``, "__all__" for the form) to
    the fields they name; a field the form lacks, or one in ``to_summary``, goes to the form's
    own errors."""
    for field, message in errors.items():
        target = field if field in form.fields and field not in to_summary else None
        form.add_error(target, message)
