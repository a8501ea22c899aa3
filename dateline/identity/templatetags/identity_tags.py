"""The sign-in part of the comment form.

What it renders is the same for every anonymous reader (the providers, the translated
strings), so the article stays cacheable; the reader's own state is read from the session only
when the request carries a session cookie, and such requests are never served from or stored
in the page cache (``dateline.server.pagecache``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from dateline.identity import selectors, session

register = template.Library()

# The providers' own marks, shipped with Dateline (identity/marks/README.md: sources and the
# brand rules they follow) and inlined: no request to a third party, nothing for the CSP to
# allow. Decorative: the button's accessible name is its text.
MARKS_DIR = Path(__file__).resolve().parent.parent / "marks"
MARK_ATTRIBUTES = (
    'class="sign-in__mark" width="24" height="24" aria-hidden="true" focusable="false" '
)


def _mark(brand: str) -> str:
    svg = (MARKS_DIR / f"{brand}.svg").read_text().strip()
    return svg.replace('xmlns="http://www.w3.org/2000/svg" ', MARK_ATTRIBUTES, 1)


ICONS = {brand: _mark(brand) for brand in ("google", "facebook", "x", "wordpress", "openid")}


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
