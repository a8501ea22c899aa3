from __future__ import annotations

import json
import re
from typing import Any

from django import template
from django.utils import translation
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from dateline.newsroom.models import DEFAULT_DATETIME_FORMAT, ArticlePage
from dateline.server import pagecache

register = template.Library()

_FIRST_P = re.compile(r"^\s*<p\b[^>]*>")
# The characters that could end a <script> element or open a comment inside JSON-LD.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def pubtime(context: template.Context, value: Any) -> SafeString:
    """A ``<time>`` element in the site's configured format, e.g. ``2020/11/20 21:28:39``."""
    if not value:
        return mark_safe("")
    settings_obj = context.get("settings")
    fmt = DEFAULT_DATETIME_FORMAT
    if settings_obj is not None:
        fmt = (
            settings_obj["newsroom"]["NewsroomSettings"].datetime_format or DEFAULT_DATETIME_FORMAT
        )
    local = localtime(value)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), format_date(local, fmt))


@register.simple_tag(takes_context=True)
def article_body(context: template.Context, article: ArticlePage) -> SafeString:
    """Render the body, opening the first paragraph with the dateline as print does."""
    parts: list[str] = []
    dateline = article.dateline_text
    for block in article.body:
        html = block.render(context=context.flatten())
        if dateline and block.block_type == "paragraph":
            marker = format_html('<span class="dateline">{}</span> ', dateline)
            match = _FIRST_P.match(html)
            html = (
                f"{html[: match.end()]}{marker}{html[match.end() :]}"
                if match
                else f"<p>{marker}</p>{html}"
            )
            dateline = ""
        parts.append(str(html))
    if dateline:  # a body with no paragraph still shows where the story came from
        parts.insert(0, format_html('<p><span class="dateline">{}</span></p>', dateline))
    return mark_safe("\n".join(parts))  # noqa: S308 - every part is rendered and escaped by its block


@register.filter
def json_ld(data: Any) -> SafeString:
    """Serialise data for a ``<script type="application/ld+json">`` element safely."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308


class SharedPartNode(template.Node):
    def __init__(self, name: str, nodelist: template.NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        page = context.get("page")
        request = context.get("request")
        if (
            page is None
            or request is None
            or page.pk is None
            or getattr(request, "is_preview", False)
        ):
            return self.nodelist.render(context)
        # The revision and the address are in the key, not only gen:page: the page object was
        # read before the fragment's numbers, so a copy rendered from a page an editor had just
        # republished lands under the old revision's key, where nobody looks again.
        key = "|".join(
            [
                "page-part",
                self.name,
                str(page.pk),
                str(page.live_revision_id or ""),
                page.last_published_at.isoformat() if page.last_published_at else "",
                page.url_path,
                translation.get_language() or "",
                request.scheme,
                request.get_host(),
            ]
        )
        return str(
            pagecache.fragment(
                key,
                [pagecache.GEN_SITE, pagecache.page_gen(page.pk)],
                lambda: self.nodelist.render(context),
            )
        )


@register.tag
def shared_part(parser: template.base.Parser, token: template.base.Token) -> SharedPartNode:
    """``{% shared_part "name" %}…{% endshared_part %}``: a part of a page that is the same for
    every reader of it, kept as a shared fragment until the page (``gen:page:<id>``) or the
    site (``gen:site``) changes. Inside it, only the page, the site's settings and the active
    language may be read, never the reader: nothing of the request but its host and scheme
    is in the key. Previews are always rendered afresh."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "'\"" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one quoted name")
    nodelist = parser.parse(("endshared_part",))
    parser.delete_first_token()
    return SharedPartNode(bits[1][1:-1], nodelist)
