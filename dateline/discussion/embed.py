"""The embed script other sites include (``/embed.js``, see docs/embed.md): the static
``embed.js`` with its interface strings filled in for the reader's language."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from dateline.discussion import strings

EMBED_SCRIPT = "dateline/js/embed.js"
EMBED_STRINGS_MARKER = "{/*dateline:strings*/}"


@functools.cache
def _cached_embed_source() -> str:
    return _read_embed_source()


def _read_embed_source() -> str:
    found = finders.find(EMBED_SCRIPT)
    if not found or isinstance(found, list):
        raise FileNotFoundError(EMBED_SCRIPT)
    return Path(found).read_text(encoding="utf-8")


@require_safe
@gzip_page
def embed_script(request: HttpRequest) -> HttpResponse:
    """The script other sites include. Its address never changes (it is written into their
    pages), so it is cached for an hour and revalidated by ETag rather than fingerprinted.
    The interface strings are filled in for the reader's language (``?lang=`` or
    Accept-Language). A script tag needs no CORS; Cross-Origin-Resource-Policy lets pages that
    isolate themselves (COEP) load it too."""
    lang = request.GET.get("lang", "")
    if lang not in dict(settings.LANGUAGES):
        lang = translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(lang):
        words = strings.for_script(strings.EMBED_SCRIPT)
        words["lang"] = translation.get_language() or lang
        words["dir"] = "rtl" if translation.get_language_bidi() else "ltr"
    source = _read_embed_source() if settings.DEBUG else _cached_embed_source()
    script = source.replace(EMBED_STRINGS_MARKER, json.dumps(words, sort_keys=True), 1)
    etag = quote_etag(hashlib.sha256(script.encode()).hexdigest()[:32])
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    patch_cache_control(response, public=True, max_age=3600, stale_while_revalidate=86400)
    patch_vary_headers(response, ("Accept-Language",))
    return get_conditional_response(request, etag=etag, response=response) or response
