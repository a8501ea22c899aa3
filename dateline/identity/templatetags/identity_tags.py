"""The sign-in part of the comment form.

What it renders is the same for every anonymous reader (the providers, the translated
strings), so the article stays cacheable; the reader's own state is read from the session only
when the request carries a session cookie, and such requests are never served from or stored
in the page cache (``dateline.server.pagecache``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from dateline.identity import selectors, session

register = template.Library()

# Simple monochrome marks drawn here (no external assets, no third-party requests); they take
# the button's text colour. Decorative: the button's text names the provider.
_SVG = '<svg class="sign-in__mark" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">{}</svg>'
_LETTER = (
    '<circle cx="12" cy="12" r="11" fill="currentColor"/>'
    '<text x="12" y="16.6" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" '
    'font-size="{size}" font-weight="700" fill="#fff">{letter}</text>'
)
ICONS = {
    "google": _SVG.format(_LETTER.format(letter="G", size=14)),
    "facebook": _SVG.format(_LETTER.format(letter="f", size=16)),
    "x": _SVG.format(
        '<circle cx="12" cy="12" r="11" fill="currentColor"/>'
        '<path d="M7.5 7l9 10M16.5 7l-9 10" stroke="#fff" stroke-width="2.2" stroke-linecap="round"/>'
    ),
    "wordpress": _SVG.format(_LETTER.format(letter="W", size=13)),
    "openid": _SVG.format(
        '<circle cx="12" cy="12" r="11" fill="currentColor"/>'
        '<circle cx="9" cy="12" r="3.2" fill="none" stroke="#fff" stroke-width="2"/>'
        '<path d="M12 12h6.5M16 12v2.6M18.3 12v2" stroke="#fff" stroke-width="2" fill="none"/>'
    ),
}


@register.simple_tag
def provider_icon(brand: str) -> SafeString:
    return mark_safe(ICONS.get(brand, ICONS["openid"]))  # noqa: S308 - constant markup above


@register.simple_tag(takes_context=True)
def identity_sign_in(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    article = context.get("article")
    next_path = "/"
    if article is not None and hasattr(article, "get_url"):
        next_path = article.get_url(request=request) or "/"
    elif request is not None:
        next_path = request.path
    providers = selectors.enabled_providers(request) if request is not None else []
    identity: dict[str, Any] = {"signed_in": False}
    notice = None
    if request is not None and session.has_session(request):
        identity = selectors.identity_summary(request, selectors.current_commenter(request))
        notice = session.pop_notice(request)
    return {
        "providers": providers,
        "identity": identity,
        "notice": notice,
        "next": next_path,
        "me_url": reverse("identity:me"),
        "sign_out_url": reverse("identity:sign_out"),
        "email_url": reverse("identity:email_request"),
        "comments_url": reverse("identity:my_comments"),
    }
