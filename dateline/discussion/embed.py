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
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

EMBED_SCRIPT = "dateline/js/embed.js"
EMBED_STRINGS_MARKER = "{/*dateline:strings*/}"
EMBED_STRINGS = {
    "heading": gettext_lazy("Leave a Reply"),
    # %s: the name of the commenter being replied to.
    "replyTo": gettext_lazy("Leave a Reply to %s"),
    "cancelReply": gettext_lazy("Cancel reply"),
    "reply": gettext_lazy("Reply"),
    "comments": gettext_lazy("Comments"),
    "loading": gettext_lazy("Loading comments…"),
    "none": gettext_lazy("No comments yet."),
    "more": gettext_lazy("Show more comments"),
    # %d: how many are left; in parentheses, so one wording fits every number.
    "moreReplies": gettext_lazy("Show more replies (%d)"),
    "removed": gettext_lazy("This comment was removed."),
    "edited": gettext_lazy("edited"),
    "details": gettext_lazy("Fill in your details below."),
    "body": gettext_lazy("Comment"),
    "name": gettext_lazy("Name"),
    "email": gettext_lazy("Email"),
    "emailHint": gettext_lazy("Never shown."),
    "website": gettext_lazy("Website"),
    "required": gettext_lazy("(required)"),
    "optional": gettext_lazy("(optional)"),
    "honeypot": gettext_lazy("Leave this field empty"),
    "remember": gettext_lazy(
        "Save my name, email, and website in this browser for the next time I comment."
    ),
    "submit": gettext_lazy("Post Comment"),
    "sending": gettext_lazy("Posting…"),
    "closed": gettext_lazy("Comments are closed."),
    "held": gettext_lazy("Your comment is awaiting moderation."),
    "fix": gettext_lazy("Please correct the errors below."),
    "loadError": gettext_lazy("The discussion could not be loaded."),
    "network": gettext_lazy(
        "Could not reach the discussion server. Please check your connection and try again."
    ),
    "edit": gettext_lazy("Edit"),
    "save": gettext_lazy("Save"),
    "cancel": gettext_lazy("Cancel"),
    "delete": gettext_lazy("Delete"),
    "confirmDelete": gettext_lazy("Delete your comment?"),
    "deleted": gettext_lazy("You deleted your comment."),
}


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
        strings = {key: str(value) for key, value in EMBED_STRINGS.items()}
        strings["lang"] = translation.get_language() or lang
        strings["dir"] = "rtl" if translation.get_language_bidi() else "ltr"
    source = _read_embed_source() if settings.DEBUG else _cached_embed_source()
    script = source.replace(EMBED_STRINGS_MARKER, json.dumps(strings, sort_keys=True), 1)
    etag = quote_etag(hashlib.sha256(script.encode()).hexdigest()[:32])
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    patch_cache_control(response, public=True, max_age=3600, stale_while_revalidate=86400)
    patch_vary_headers(response, ("Accept-Language",))
    return get_conditional_response(request, etag=etag, response=response) or response
