"""One WordPress post's ``content:encoded`` → Dateline body blocks.

Two shapes come in: the block editor's markup (HTML between ``<!-- wp:name {attrs} -->`` and
``<!-- /wp:name -->`` comments) and classic content (HTML with WordPress's automatic
paragraphs and shortcodes). Both end in one HTML walker that maps elements to blocks; what has
no block of its own is kept as sanitised HTML and listed in ``Converted.kept_as_html``, layout
without content is listed in ``Converted.dropped``, and nothing executable survives (rich text
is rebuilt from an allowlist and passed through nh3; kept HTML goes through
``blocks.sanitise_html``).

No PyPI library parses block markup in a maintained way (the candidates are whole importers,
last released years ago, on BeautifulSoup), so the delimiter grammar is parsed here: it is small
(WordPress's own parser is one regular expression and a stack).

Pure: the database is reached only through the caller's ``MediaResolver``.
"""

from __future__ import annotations

import bisect
import functools
import html as htmllib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, unquote

import nh3
from django.utils.translation import gettext_lazy as _
from lxml import etree
from lxml import html as lxml_html
from wagtail.embeds.blocks import EmbedValue
from wagtail.embeds.oembed_providers import all_providers

from dateline.newsroom.actions import Block
from dateline.newsroom.blocks import sanitise_html

if TYPE_CHECKING:
    from wagtail.documents.models import Document
    from wagtail.images.models import Image


class MediaResolver(Protocol):
    def image(self, *, url: str, wp_id: int | None, alt: str) -> Image | None:
        """The Wagtail image for a WordPress picture; None when its file is missing."""
        ...

    def document(self, *, url: str, wp_id: int | None) -> Document | None:
        """The Wagtail document for an audio or video file; None when it is missing."""
        ...

    def attached_images(self) -> list[Image]:
        """The post's own image attachments, for a ``[gallery]`` that names none."""
        ...


@dataclass
class Converted:
    blocks: list[Block]
    #: What was kept as sanitised HTML, one short label each: "wp:details", "[contact-form]".
    kept_as_html: list[str] = field(default_factory=list)
    #: Addresses (or "attachment 123") of media the resolver did not have.
    missing_media: list[str] = field(default_factory=list)
    #: Layout and site widgets that carry no content of the post: "wp:spacer", "<!--more-->".
    dropped: list[str] = field(default_factory=list)
    #: Broken markup and how it was read (invalid attributes, unclosed blocks).
    warnings: list[str] = field(default_factory=list)


# Field limits of dateline.newsroom.blocks: longer text moves to a paragraph instead of being cut.
MAX_CAPTION = 300
MAX_HEADING = 200
MAX_SPEAKER = 150
MAX_LANGUAGE = 40

RICH_TAGS = {"p", "b", "i", "a", "ul", "ol", "li", "br", "code", "sup", "sub", "s"}
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}

# fmt: off
# Inline elements rich text has a feature for; every other inline element keeps its words only.
INLINE_MAP = {
    "b": "b", "strong": "b", "i": "i", "em": "i", "code": "code", "kbd": "code", "tt": "code",
    "samp": "code", "sup": "sup", "sub": "sub", "s": "s", "strike": "s", "del": "s",
}
# Elements whose content flows on as the story's text, boundaries making new paragraphs.
CONTAINERS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "center",
    "address", "hgroup", "figcaption", "caption", "li", "dd", "dt", "legend", "html", "body",
}
# Structures with no block of their own: kept as sanitised HTML and reported.
KEEP_TAGS = {
    "details", "form", "dl", "svg", "math", "canvas", "map", "select", "textarea", "input",
    "fieldset", "dialog", "frameset",
}
# Never content: scripts, styles and document plumbing (noscript repeats what the page shows).
DROP_TAGS = {"script", "style", "noscript", "template", "head", "title", "meta", "link", "base"}
MEDIA_TAGS = {"img", "iframe", "embed", "object", "audio", "video", "figure", "table", "pre"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
PLACEHOLDER = "wpshortcode"

# Core blocks whose saved HTML the walker maps as it is.
GENERIC_BLOCKS = {
    "paragraph", "heading", "list", "list-item", "table", "separator", "quote", "pullquote",
    "subhead", "text-columns", "table-of-contents",
}
# Core layout blocks: their inner blocks are the content, read in order.
CONTAINER_BLOCKS = {
    "columns", "column", "group", "row", "stack", "cover", "media-text", "accordion",
    "accordion-item", "accordion-heading", "accordion-panel",
}
# Blocks the site renders at display time (queries, widgets, theme parts): the post holds no
# content for them, and the old site's lists mean nothing here. Dropped, and reported.
DYNAMIC_BLOCKS = {
    "archives", "calendar", "categories", "latest-comments", "latest-posts", "rss", "search",
    "tag-cloud", "loginout", "avatar", "read-more", "footnotes", "template-part", "pattern",
    "block", "legacy-widget", "widget-group", "home-link", "spacer", "more", "nextpage",
}
DYNAMIC_PREFIXES = ("post-", "comment", "query", "navigation", "site-", "page-list", "term-")
# fmt: on

_DELIMITER = re.compile(
    r"\s+(/)?wp:([a-z][a-z0-9_-]*/)?([a-z][a-z0-9_-]*)\s+(?:(\{.*\})\s+)?(/)?", re.S
)
_WS = re.compile(r"[ \t\n\r\f]+")
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_WP_IMAGE_CLASS = re.compile(r"\bwp-image-(\d+)\b")
# Syntax highlighters' classes: "language-php" (Prism, highlight.js), "lang:php" (Crayon,
# SyntaxHighlighter Evolved), "brush: php" (SyntaxHighlighter).
_LANGUAGE_CLASS = re.compile(r"\b(?:language|lang)[-:]([\w+#.-]+)|\bbrush:\s*([\w+#.-]+)")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.M)
_SC_OPEN = re.compile(r"\[(\[?)([a-zA-Z][\w-]*)((?:\s[^\[\]]*?)?)(/?)\](\]?)")
_SC_CLOSE = re.compile(r"\[/([a-zA-Z][\w-]*)\]")
_SC_ATTR = re.compile(
    r"([\w-]+)\s*=\s*\"([^\"]*)\"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"
    r"|([\w-]+)\s*=\s*([^\s'\"]+)(?:\s|$)|\"([^\"]*)\"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)"
)
SHORTCODES = {"caption", "wp_caption", "gallery", "embed", "audio", "video"}
AUDIO_KEYS = ("src", "mp3", "m4a", "ogg", "wav", "wma", "flac")
VIDEO_KEYS = ("src", "mp4", "m4v", "webm", "ogv", "wmv", "flv", "mov")

_PROVIDERS = [re.compile(pattern) for p in all_providers for pattern in p["urls"]]
# Players' iframe addresses → the page address oEmbed knows.
_IFRAME_PAGES = [
    (
        re.compile(r"^https?://(?:www\.)?youtube(?:-nocookie)?\.com/embed/([\w-]+)"),
        "https://www.youtube.com/watch?v={0}",
    ),
    (re.compile(r"^https?://player\.vimeo\.com/video/(\d+)"), "https://vimeo.com/{0}"),
    (
        re.compile(r"^https?://(?:www\.)?dailymotion\.com/embed/video/(\w+)"),
        "https://www.dailymotion.com/video/{0}",
    ),
    (
        re.compile(r"^https?://open\.spotify\.com/embed/(\w+)/(\w+)"),
        "https://open.spotify.com/{0}/{1}",
    ),
]


class _ResolverFailed(Exception):
    """The caller's resolver raised: its error, not the input's, so it is not swallowed."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def convert(content: str, *, media: MediaResolver) -> Converted:
    """Blocks for one post's content. Never raises on any input (a resolver's own errors
    propagate): what cannot be read is kept as sanitised HTML and reported."""
    text = _clean_input(content)
    converter = _Converter(media)
    try:
        converter.run(text)
    except _ResolverFailed as failure:
        raise failure.error from None
    except Exception:  # noqa: BLE001 - a post must degrade to kept HTML, never stop the import
        blocks = [Block("html", sanitise_html(text))] if text.strip() else []
        return Converted(
            blocks=blocks,
            kept_as_html=[str(_("the whole post (it could not be read)"))] if blocks else [],
        )
    return converter.result()


def plain_text(html: str) -> str:
    """Text only (an excerpt → the standfirst): tags gone, entities decoded, whitespace
    collapsed."""
    text = _clean_input(html)
    if not text.strip():
        return ""
    return _text_of(_parse(text))


# fmt: off
_INLINE_TEXT_TAGS = {
    *INLINE_MAP,
    "a", "span", "mark", "u", "small", "big", "font", "abbr", "q", "cite", "time", "var", "ins",
    "label", "dfn", "bdi", "bdo",
}
# fmt: on


def wpautop(text: str) -> str:
    """WordPress's automatic paragraphs (wp-includes/formatting.php ``wpautop``, with line
    breaks): a blank line parts paragraphs, a single newline becomes ``<br />``, and block-level
    elements are not wrapped. Same steps in the same order, so classic posts split as they did
    on the old site."""
    if not text.strip():
        return ""
    text += "\n"
    pres: dict[str, str] = {}
    if "<pre" in text:
        parts = text.split("</pre>")
        last = parts.pop()
        kept = []
        for i, part in enumerate(parts):
            start = part.find("<pre")
            if start < 0:
                kept.append(part)
                continue
            name = f"<pre wp-pre-tag-{i}></pre>"
            pres[name] = part[start:] + "</pre>"
            kept.append(part[:start] + name)
        text = "".join(kept) + last
    # Runs of spaces cannot matter outside <pre> (kept aside above) and would make the
    # newline rule below quadratic.
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(r"(<" + _AUTOP_BLOCKS + r"[\s/>])", r"\n\n\1", text)
    text = re.sub(r"(</" + _AUTOP_BLOCKS + r">)", r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HTML_TAG.sub(lambda m: m.group(0).replace("\n", " <!-- wpnl --> "), text)
    if "<option" in text:
        text = re.sub(r"\s*<option", "<option", text)
        text = re.sub(r"</option>\s*", "</option>", text)
    if "<source" in text or "<track" in text:
        text = re.sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1", text)
        text = re.sub(r"\s*([<\[]/(?:audio|video)[>\]])", r"\1", text)
        text = re.sub(r"\s*(<(?:source|track)[^>]*>)\s*", r"\1", text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join("<p>" + p.strip("\n") + "</p>\n" for p in paragraphs)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(</?" + _AUTOP_BLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(</?" + _AUTOP_BLOCKS + r"[^>]*>)", r"\1", text)
    text = re.sub(r"(</?" + _AUTOP_BLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(
        r"<(script|style|svg).*?</\1>",
        lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"),
        text,
        flags=re.S,
    )
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = text.replace("<WPPreserveNewline />", "\n")
    text = re.sub(r"(</?" + _AUTOP_BLOCKS + r"[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for name, pre in pres.items():
        text = text.replace(name, pre)
    return text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")


_AUTOP_BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre"
    r"|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section"
    r"|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
# A tag or comment (an unclosed one runs to the end), as WordPress's wp_html_split finds them.
_HTML_TAG = re.compile(r"<(?:!--.*?(?:-->|\Z)|!\[CDATA\[.*?(?:\]\]>|\Z)|[^>]*>?)", re.S)


# --- Block markup --------------------------------------------------------------------------


@dataclass
class _Node:
    name: str  # "core/paragraph", "jetpack/map"
    attrs: dict[str, Any]
    # The block's own HTML and its inner blocks, in document order.
    parts: list[str | _Node] = field(default_factory=list)


def _parse_blocks(text: str, warnings: list[str]) -> list[str | _Node]:
    """The block tree: top-level HTML strings (classic "freeform" content) and nodes.

    Tolerant where WordPress's parser gives up: a stray closer is ignored, a closer closes the
    nearest open block of its name (and any opened inside it), blocks left open end at the end
    of the post, and attributes that are not a JSON object are read as none."""
    root = _Node("", {})
    stack = [root]
    pos = cursor = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            break
        end = text.find("-->", start + 4)
        if end < 0:
            break  # an unclosed comment: the rest is HTML (linear, however many follow)
        pos = end + 3
        m = _DELIMITER.fullmatch(text, start + 4, end)
        if m is None:
            continue
        closer, namespace, short, raw_attrs, void = m.groups()
        name = (namespace or "core/") + short
        stack[-1].parts.append(text[cursor:start])
        cursor = pos
        if closer:
            depth = next((i for i in range(len(stack) - 1, 0, -1) if stack[i].name == name), 0)
            if not depth:
                warnings.append(
                    _("A closing %(block)s without its opening was ignored.")
                    % {"block": _label(name)}
                )
                continue
            for unclosed in stack[depth + 1 :]:
                warnings.append(
                    _("%(block)s was not closed; it ends where its container ends.")
                    % {"block": _label(unclosed.name)}
                )
            del stack[depth:]
            continue
        attrs: dict[str, Any] = {}
        if raw_attrs:
            try:
                parsed = json.loads(raw_attrs)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                attrs = parsed
            else:
                warnings.append(
                    _("The attributes of %(block)s are not valid; it was read without them.")
                    % {"block": _label(name)}
                )
        node = _Node(name, attrs)
        stack[-1].parts.append(node)
        if not void:
            stack.append(node)
    stack[-1].parts.append(text[cursor:])
    for unclosed in stack[1:]:
        warnings.append(
            _("%(block)s was not closed; it ends with the post.") % {"block": _label(unclosed.name)}
        )
    return root.parts


def _label(name: str) -> str:
    return "wp:" + name.removeprefix("core/")


def _render(node: _Node) -> str:
    """The block's HTML with its inner blocks' HTML in place, delimiters gone."""
    return "".join(p if isinstance(p, str) else _render(p) for p in node.parts)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


# --- Helpers -------------------------------------------------------------------------------


def _clean_input(text: Any) -> str:
    # lxml and nh3 refuse control characters and lone surrogates; they carry nothing readable.
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return _BAD_CHARS.sub("", text)


def _parse(html: str) -> Any:
    """An HTML fragment under one <div> (libxml2's parser: forgiving and fast)."""
    try:
        return lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return lxml_html.fragment_fromstring(htmllib.escape(html), create_parent="div")


def _collapse(text: str) -> str:
    return _WS.sub(" ", text)


def _text_of(el: Any) -> str:
    """An element's words on one line (for captions, headings, cells)."""
    if el is None:
        return ""
    out: list[str] = []
    _gather_text(el, out)
    return _WS.sub(" ", "".join(out).replace("\xa0", " ")).strip()


def _gather_text(el: Any, out: list[str]) -> None:
    if el.text:
        out.append(el.text)
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag not in DROP_TAGS:
            # Where a tag parts words on screen, a space parts them here.
            apart = tag == "br" or tag not in _INLINE_TEXT_TAGS
            if apart:
                out.append(" ")
            _gather_text(child, out)
            if apart:
                out.append(" ")
        if child.tail:
            out.append(child.tail)


def _inner_html(root: Any) -> str:
    return htmllib.escape(root.text or "", quote=False) + "".join(
        lxml_html.tostring(child, encoding="unicode") for child in root
    )


def _holder(el: Any, container: Any) -> Any:
    """The nearest figure or list item around ``el`` inside ``container``, or None."""
    parent = el.getparent()
    while parent is not None and parent is not container:
        if parent.tag in {"figure", "li"}:
            return parent
        parent = parent.getparent()
    return None


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Where brackets and bare addresses are code, not shortcodes or embeds."""
    return [m.span() for m in _CODE_SPAN.finditer(text)] if "<" in text else []


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    i = bisect.bisect_right(spans, pos, key=lambda span: span[0]) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


_CODE_SPAN = re.compile(r"<(pre|code)\b.*?(?:</\1>|\Z)", re.S | re.I)


def _safe_href(href: str | None) -> str | None:
    if not href:
        return None
    # Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
    squeezed = re.sub(r"[\s\x00-\x1f]", "", href)
    m = _SCHEME.match(squeezed)
    if m and m.group(1).lower() not in SAFE_SCHEMES:
        return None
    return href.strip()


def _file_name(url: str) -> str:
    # Not urlsplit: it raises on some malformed addresses (an unclosed IPv6 bracket).
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1] or url


def _classes(el: Any) -> str:
    return str(el.get("class") or "")


def provider_url(url: str) -> str | None:
    """The address an oEmbed provider Wagtail knows will embed, or None."""
    url = (url or "").strip()
    if url.startswith("//"):
        url = "https:" + url
    for pattern, page in _IFRAME_PAGES:
        m = pattern.match(url)
        if m:
            url = page.format(*m.groups())
            break
    if url.startswith("https://w.soundcloud.com/player/"):
        url = unquote(parse_qs(url.partition("?")[2]).get("url", [""])[0])
    if any(p.match(url) for p in _PROVIDERS):
        return url
    return None


def _rich(html: str) -> str:
    # nh3 drops an address it cannot parse but keeps the <a>: the words stay, the link goes.
    return _BARE_LINK.sub(r"\1", _clean_rich(html))


_BARE_LINK = re.compile(r"<a>(.*?)</a>", re.S)


def _clean_rich(html: str) -> str:
    return nh3.clean(
        html,
        tags=RICH_TAGS,
        attributes={"a": {"href"}},
        url_schemes=SAFE_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


def _has_words(html: str) -> bool:
    """For markup this module wrote (text escaped, tags whole), so tags can be cut out."""
    return bool(htmllib.unescape(_TAG.sub("", html)).strip())


_TAG = re.compile(r"<[^>]*>")


def _shortcode_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    n = 0
    for m in _SC_ATTR.finditer(raw.replace("\xa0", " ")):
        g = m.groups()
        for key_i, val_i in ((0, 1), (2, 3), (4, 5)):
            if g[key_i]:
                attrs[g[key_i].lower()] = htmllib.unescape(g[val_i])
                break
        else:
            value = next((v for v in g[6:] if v is not None), "")
            attrs[str(n)] = htmllib.unescape(value)
            n += 1
    return attrs


@dataclass
class _Shortcode:
    name: str
    attrs: dict[str, str]
    content: str | None
    literal: str


# --- The converter -------------------------------------------------------------------------


class _Converter:
    def __init__(self, media: MediaResolver) -> None:
        self.media = media
        self.blocks: list[Block] = []
        self.kept: list[str] = []
        self.missing: list[str] = []
        self.dropped: list[str] = []
        self.warnings: list[str] = []
        self.shortcodes: list[_Shortcode] = []
        # The paragraph being written, and the inline elements open in it (closed and reopened
        # when a block interrupts it, so text before and after stays formatted).
        self.buffer: list[str] = []
        self.open: list[tuple[str, str]] = []

    def result(self) -> Converted:
        return Converted(
            blocks=self.blocks,
            kept_as_html=self.kept,
            missing_media=self.missing,
            dropped=self.dropped,
            warnings=self.warnings,
        )

    def run(self, text: str) -> None:
        if "<!-- wp:" in text or "<!--\twp:" in text or "<!--\nwp:" in text:
            for part in _parse_blocks(text, self.warnings):
                if isinstance(part, str):
                    if part.strip():
                        self.classic(part)
                else:
                    self.block(part)
        elif text.strip():
            self.classic(text)

    # Block editor ------------------------------------------------------------------------

    def block(self, node: _Node) -> None:
        start = len(self.blocks)
        self.core_or_other(node)
        self.own_fields(node, self.blocks[start:])

    def own_fields(self, node: _Node, made: list[Block]) -> None:
        """Fields Dateline's own export writes as block attributes that WordPress ignores
        (``dateline export-wordpress``), where WordPress's markup cannot keep two apart: a
        picture's caption and credit, a quotation's speaker and role. They make a round trip
        exact."""
        fields = {
            "image": {"datelineCaption": "caption", "datelineCredit": "credit"},
            "quote": {"datelineSpeaker": "speaker", "datelineRole": "role"},
        }
        for block in made:
            wanted = fields.get(block.type)
            if not wanted or not isinstance(block.value, dict):
                continue
            for attr, name in wanted.items():
                value = node.attrs.get(attr)
                if isinstance(value, str):
                    block.value[name] = value
            break  # the attributes describe the block's first picture or quotation

    def core_or_other(self, node: _Node) -> None:
        namespace, _sep, short = node.name.partition("/")
        attrs = node.attrs
        if namespace == "core-embed":
            self.embed_block(node)
        elif namespace != "core":
            if any(isinstance(p, _Node) for p in node.parts):
                # A plugin's container: its inner blocks are still the story's content.
                self.dropped.append(_label(node.name))
                self.flatten(node)
            elif _render(node).strip():
                self.keep(_render(node), _label(node.name))
            else:
                self.dropped.append(_label(node.name))
        elif short in GENERIC_BLOCKS:
            self.html(_render(node))
        elif short in CONTAINER_BLOCKS:
            if short == "cover":
                self.cover_image(node)
            self.flatten(node)
        elif short == "freeform":
            self.classic(_render(node))
        elif short == "shortcode":
            self.html(_render(node), autop=True)
        elif short == "image":
            self.image_block(node)
        elif short == "gallery":
            self.gallery_block(node)
        elif short == "embed":
            self.embed_block(node)
        elif short in {"audio", "video"}:
            self.media_element_block(node, short)
        elif short == "file":
            self.file_block(node)
        elif short in {"code", "preformatted", "verse"}:
            root = _parse(_render(node))
            pre = next(root.iter("pre"), None)
            language = attrs.get("language") if isinstance(attrs.get("language"), str) else ""
            if pre is None:
                self.html(_render(node))
            else:
                self.code(pre, language=language or "")
        elif short in {"buttons", "button"}:
            self.links_paragraph(_parse(_render(node)).iter("a"), _label(node.name))
        elif short in {"social-links", "social-link"}:
            self.social_links(node)
        elif short == "html":
            self.keep(_render(node), _label(node.name))
        elif short == "missing":
            original = attrs.get("originalContent")
            self.keep(original if isinstance(original, str) else _render(node), _label(node.name))
        elif short == "details":
            self.keep(_render(node), _label(node.name))
        elif short in DYNAMIC_BLOCKS or short.startswith(DYNAMIC_PREFIXES):
            self.dropped.append(_label(node.name))
        elif any(isinstance(p, _Node) for p in node.parts):
            self.dropped.append(_label(node.name))
            self.flatten(node)
        elif _render(node).strip():
            self.keep(_render(node), _label(node.name))
        else:
            self.dropped.append(_label(node.name))

    def flatten(self, node: _Node) -> None:
        # The container's own markup comes in pieces around its inner blocks; each piece is
        # read on its own (the parser closes what it leaves open), so order is kept.
        for part in node.parts:
            if isinstance(part, str):
                if part.strip():
                    self.html(part)
            else:
                self.block(part)

    def cover_image(self, node: _Node) -> None:
        own = "".join(p for p in node.parts if isinstance(p, str))
        url = node.attrs.get("url")
        has_media = any(True for _el in _parse(own).iter("img", "video"))
        if not has_media and (isinstance(url, str) or _int(node.attrs.get("id"))):
            self.add_image(url if isinstance(url, str) else "", _int(node.attrs.get("id")), "", "")

    def image_block(self, node: _Node) -> None:
        root = _parse(_render(node))
        img = next(root.iter("img"), None)
        caption = _text_of(next(root.iter("figcaption"), None))
        wp_id = _int(node.attrs.get("id"))
        if img is None:
            url = node.attrs.get("url")
            if wp_id is None and not isinstance(url, str):
                self.dropped.append(_label(node.name))
                return
            self.add_image(url if isinstance(url, str) else "", wp_id, "", caption)
            return
        self.image(img, caption, wp_id=wp_id)

    def gallery_block(self, node: _Node) -> None:
        root = _parse(_render(node))
        images = list(root.iter("img"))
        ids = node.attrs.get("ids")
        if images:
            self.gallery_of(next(root.iter("figure", "ul"), root), images)
        elif isinstance(ids, list) and ids:
            caption = _text_of(next(root.iter("figcaption"), None))
            self.gallery_from_ids([i for i in map(_int, ids) if i is not None], caption)
        else:
            self.dropped.append(_label(node.name))

    def embed_block(self, node: _Node) -> None:
        root = _parse(_render(node))
        url = node.attrs.get("url")
        if not isinstance(url, str) or not url.strip():
            wrapper = next(
                (el for el in root.iter() if "wp-block-embed__wrapper" in _classes(el)), None
            )
            url = _text_of(wrapper) if wrapper is not None else ""
        caption = _text_of(next(root.iter("figcaption"), None))
        if url.strip() and _safe_href(url):
            self.add_embed(url.strip(), caption)
        else:
            self.keep(_render(node), _label(node.name))

    def media_element_block(self, node: _Node, kind: str) -> None:
        root = _parse(_render(node))
        el = next(root.iter(kind), None)
        url = ""
        if el is not None:
            url = el.get("src") or next((s.get("src") for s in el.iter("source")), None) or ""
        if not url and isinstance(node.attrs.get("src"), str):
            url = node.attrs["src"]
        caption = _text_of(next(root.iter("figcaption"), None))
        wp_id = _int(node.attrs.get("id"))
        if not url and wp_id is None:
            self.dropped.append(_label(node.name))
            return
        self.add_media(kind, url, wp_id, caption)

    def file_block(self, node: _Node) -> None:
        root = _parse(_render(node))
        links = [a for a in root.iter("a") if "wp-block-file__button" not in _classes(a)]
        href = node.attrs.get("href")
        if not isinstance(href, str) or not href:
            href = links[0].get("href") if links else ""
        text = _text_of(links[0]) if links else ""
        if not text:
            text = _file_name(href or "")
        self.link_paragraph(href or "", text, _label(node.name))

    def social_links(self, node: _Node) -> None:
        links = []
        for child in _walk_nodes(node):
            url = child.attrs.get("url")
            if isinstance(url, str) and url.strip():
                service = child.attrs.get("label") or child.attrs.get("service") or url
                links.append((url, str(service).replace("-", " ").title()))
        self.links_html(links, _label(node.name))

    # Classic content and HTML --------------------------------------------------------------

    def classic(self, text: str) -> None:
        """Classic-editor HTML: shortcodes, WordPress's auto-embeds, then its paragraphs."""
        self.html(text, autop=True, autoembed=True)

    def html(self, fragment: str, *, autop: bool = False, autoembed: bool = False) -> None:
        fragment = self.mark_shortcodes(fragment)
        if autoembed:
            code = _protected_spans(fragment)
            fragment = _URL_LINE.sub(lambda m: self.mark_url(m, code), fragment)
        if autop:
            fragment = wpautop(fragment)
        self.walk_root(_parse(fragment))

    def mark_url(self, m: re.Match[str], code: list[tuple[int, int]]) -> str:
        url = htmllib.unescape(m.group(1))
        if provider_url(url) is None or _inside(code, m.start()):
            return m.group(0)
        return self.placeholder(_Shortcode("embed", {}, url, m.group(0)))

    def placeholder(self, shortcode: _Shortcode) -> str:
        self.shortcodes.append(shortcode)
        return f'<{PLACEHOLDER} n="{len(self.shortcodes) - 1}"></{PLACEHOLDER}>'

    def mark_shortcodes(self, text: str) -> str:
        """Shortcodes → placeholder elements the walker turns into blocks. A bracket is taken
        for a shortcode when its name is one WordPress ships, or when it has a closing tag,
        attributes or a line of its own; "[sic]" and "[1]" in a sentence stay text."""
        if "[" not in text:
            return text
        closers = set(_SC_CLOSE.findall(text))
        code = _protected_spans(text)
        out: list[str] = []
        pos = 0
        while (m := _SC_OPEN.search(text, pos)) is not None:
            start, end = m.span()
            escaped, name, raw_attrs, self_closing, _tail = m.groups()
            if escaped and _tail:  # [[name]] is WordPress's way to show the brackets
                out.append(text[pos:start] + text[start + 1 : end - 1])
                pos = end
                continue
            if escaped:
                start += 1
            if text.rfind("<", 0, start) > text.rfind(">", 0, start) or _inside(code, start):
                out.append(text[pos : start + 1])  # inside a tag's attributes: leave it
                pos = start + 1
                continue
            end = start + len(m.group(0)) - (1 if escaped else 0) - len(_tail)
            content = None
            if not self_closing and name in closers:
                close = text.find(f"[/{name}]", end)
                if close >= 0:
                    content = text[end:close]
                    end = close + len(name) + 3
            known = name.lower() in SHORTCODES
            if not (
                known
                or content is not None
                or "=" in raw_attrs
                or self_closing
                or _alone_on_line(text, start, end)
            ):
                out.append(text[pos : start + 1])
                pos = start + 1
                continue
            out.append(text[pos:start])
            attrs = _shortcode_attrs(raw_attrs)
            out.append(self.placeholder(_Shortcode(name, attrs, content, text[start:end])))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def run_shortcode(self, sc: _Shortcode) -> None:
        name = sc.name.lower()
        if name in {"caption", "wp_caption"}:
            self.caption_shortcode(sc)
        elif name == "gallery":
            ids = sc.attrs.get("ids") or sc.attrs.get("include") or ""
            if ids.strip():
                self.gallery_from_ids(
                    [int(i) for i in re.findall(r"\d+", ids)], sc.attrs.get("caption", "")
                )
            else:
                images = self.call(self.media.attached_images)
                if images:
                    self.blocks.append(
                        Block(
                            "gallery",
                            {
                                "images": [
                                    {"image": i, "caption": "", "credit": ""} for i in images
                                ],
                                "caption": "",
                            },
                        )
                    )
                else:
                    self.missing.append(str(_("[gallery]: the post has no attached images")))
        elif name == "embed":
            url = plain_text(sc.content or "") or sc.attrs.get("src", "") or sc.attrs.get("0", "")
            if url and _safe_href(url):
                self.add_embed(url, "")
            else:
                self.keep(sc.literal, "[embed]")
        elif name in {"audio", "video"}:
            keys = AUDIO_KEYS if name == "audio" else VIDEO_KEYS
            url = next((sc.attrs[k] for k in keys if sc.attrs.get(k)), "")
            if not url and sc.content:
                source = next(_parse(sc.content).iter("source", "a"), None)
                url = (source.get("src") or source.get("href") or "") if source is not None else ""
            if not url:
                self.keep(sc.literal, f"[{name}]")
            else:
                self.add_media(name, url, None, "")
        else:
            self.keep(sc.literal, f"[{sc.name}]", autop=True)

    def caption_shortcode(self, sc: _Shortcode) -> None:
        root = _parse(sc.content or "")
        img = next(root.iter("img"), None)
        caption = sc.attrs.get("caption", "")
        if img is not None:
            # The caption is the text beside the picture (and its link).
            holder = img
            while holder.getparent() is not None and holder.getparent() is not root:
                holder = holder.getparent()
            _remove_keeping_tail(holder)
            caption = caption or plain_text(_inner_html(root))
        m = re.search(r"(\d+)", sc.attrs.get("id", ""))
        wp_id = int(m.group(1)) if m else None
        if img is None:
            if wp_id is None:
                self.keep(sc.literal, f"[{sc.name}]")
            else:
                self.add_image("", wp_id, "", caption)
            return
        self.image(img, caption, wp_id=wp_id)

    # The walker -----------------------------------------------------------------------------

    def walk_root(self, root: Any) -> None:
        self.walk(root)
        self.flush()

    def walk(self, el: Any) -> None:
        if el.text:
            self.text(el.text)
        for child in el:
            self.node(child)
            if child.tail:
                self.text(child.tail)

    def text(self, text: str) -> None:
        self.buffer.append(htmllib.escape(_collapse(text), quote=False))

    def node(self, el: Any) -> None:
        tag = el.tag
        if tag is etree.Comment:
            self.comment(el)
            return
        if not isinstance(tag, str):
            return
        tag = tag.lower()
        if tag in INLINE_MAP:
            self.inline(f"<{INLINE_MAP[tag]}>", f"</{INLINE_MAP[tag]}>", el)
        elif tag == "a":
            href = _safe_href(el.get("href"))
            if href:
                self.inline(f'<a href="{htmllib.escape(href)}">', "</a>", el)
            else:
                self.walk(el)
        elif tag == "br":
            self.buffer.append("<br>")
        elif tag in DROP_TAGS:
            self.dropped.append(f"<{tag}>")
        elif tag in CONTAINERS:
            if tag == "p" and not (el.text or "").strip() and all(c.tag == "br" for c in el):
                self.dropped.append(str(_("empty paragraph")))
            self.interrupt(lambda: None)
            self.walk(el)
            self.interrupt(lambda: None)
        else:
            handler = self.block_handler(tag, el)
            if handler is None:
                self.walk(el)  # any other inline element: its words stay
            else:
                self.interrupt(handler)

    def block_handler(self, tag: str, el: Any) -> Callable[[], None] | None:
        if tag in HEADINGS:
            return lambda: self.heading(el)
        if tag in {"ul", "ol", "menu"}:
            return lambda: self.list_block(el)
        if tag == "blockquote":
            return lambda: self.quote(el)
        if tag == "pre":
            return lambda: self.code(el)
        if tag == "table":
            return lambda: self.table(el)
        if tag == "hr":
            return lambda: self.blocks.append(Block("separator", None))
        if tag == "figure":
            return lambda: self.figure(el)
        if tag == "img":
            return lambda: self.image(el, "")
        if tag in {"iframe", "embed", "object"}:
            return lambda: self.iframe(el, "")
        if tag in {"audio", "video"}:
            return lambda: self.media_element(el, tag, "")
        if tag == PLACEHOLDER:
            return lambda: self.placeholder_block(el)
        if tag in KEEP_TAGS:
            return lambda: self.keep(lxml_html.tostring(el, encoding="unicode"), f"<{tag}>")
        return None

    def comment(self, el: Any) -> None:
        text = (el.text or "").strip()
        if text == "more" or text.startswith("more "):
            self.dropped.append("<!--more-->")
        elif text == "nextpage":
            self.dropped.append("<!--nextpage-->")

    def inline(self, opening: str, closing: str, el: Any) -> None:
        self.buffer.append(opening)
        self.open.append((opening, closing))
        self.walk(el)
        self.open.pop()
        self.buffer.append(closing)

    def interrupt(self, handler: Callable[[], None]) -> None:
        """A block inside running text: the paragraph so far ends, the block follows, and the
        text after it goes on in a new paragraph with the same formatting open."""
        open_now = list(self.open)
        for _opening, closing in reversed(open_now):
            self.buffer.append(closing)
        self.flush()
        handler()
        for opening, _closing in open_now:
            self.buffer.append(opening)

    def flush(self) -> None:
        html = "".join(self.buffer).strip()
        self.buffer.clear()
        if not html or not _has_words(html):
            return
        # No spaces or line breaks at the ends, inside or outside the formatting open there.
        html = re.sub(r"^((?:<[^/>][^>]*>)*)(?:\s|<br>)+", r"\1", html)
        html = re.sub(r"(?:\s|<br>)+((?:</[^>]+>)*)$", r"\1", html)
        self.add_paragraph(re.sub(r"\s*<br>\s*", "<br>", html))

    def add_paragraph(self, inner: str) -> None:
        value = _rich(f"<p>{inner}</p>")
        if _has_words(value):
            self.blocks.append(Block("paragraph", value))

    def placeholder_block(self, el: Any) -> None:
        n = _int(el.get("n"))
        if n is None or not 0 <= n < len(self.shortcodes):
            return  # a forged placeholder in the input: nothing of ours
        self.run_shortcode(self.shortcodes[n])

    def note_dropped(self, el: Any) -> None:
        self.dropped += [f"<{d.tag}>" for d in el.iter(*DROP_TAGS)]

    def heading(self, el: Any) -> None:
        self.note_dropped(el)
        images = list(el.iter("img"))
        text = _text_of(el)
        if not text:
            if not images:
                self.dropped.append(str(_("empty heading")))
        elif len(text) > MAX_HEADING:
            self.add_paragraph(f"<b>{htmllib.escape(text)}</b>")
        else:
            self.blocks.append(Block("heading", text))
        for img in images:
            self.image(img, "")

    def list_block(self, el: Any) -> None:
        extras: list[Any] = []
        html = self.list_html(el, extras)
        if _has_words(html):
            value = _rich(html)
            if _has_words(value):
                self.blocks.append(Block("paragraph", value))
        for extra in extras:
            self.interrupt(functools.partial(self.node, extra))

    def list_html(self, el: Any, extras: list[Any]) -> str:
        tag = "ol" if el.tag == "ol" else "ul"
        items = []
        for child in el:
            if not isinstance(child.tag, str):
                continue
            out: list[str] = []
            if child.tag == "li":
                self.inline_html(child, out, extras)
            else:
                self.inline_node(child, out, extras)
            item = re.sub(r"\s*(<(?:ul|ol|br)>)\s*", r"\1", "".join(out).strip())
            if _has_words(item):
                items.append(f"<li>{item}</li>")
        return f"<{tag}>{''.join(items)}</{tag}>" if items else ""

    def inline_html(self, el: Any, out: list[str], extras: list[Any]) -> None:
        """Rich text for a list item: inline formatting and nested lists kept; blocks within
        (pictures, tables) are set aside in ``extras`` to follow the list."""
        if el.text:
            out.append(htmllib.escape(_collapse(el.text), quote=False))
        for child in el:
            self.inline_node(child, out, extras)
            if child.tail:
                out.append(htmllib.escape(_collapse(child.tail), quote=False))

    def inline_node(self, el: Any, out: list[str], extras: list[Any]) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if tag is None:
            return
        if tag in INLINE_MAP:
            out.append(f"<{INLINE_MAP[tag]}>")
            self.inline_html(el, out, extras)
            out.append(f"</{INLINE_MAP[tag]}>")
        elif tag == "a" and _safe_href(el.get("href")):
            out.append(f'<a href="{htmllib.escape(_safe_href(el.get("href")) or "")}">')
            self.inline_html(el, out, extras)
            out.append("</a>")
        elif tag == "br":
            out.append("<br>")
        elif tag in {"ul", "ol"}:
            out.append(self.list_html(el, extras))
        elif tag in DROP_TAGS:
            self.dropped.append(f"<{tag}>")
        elif tag in MEDIA_TAGS or tag in KEEP_TAGS or tag in HEADINGS or tag == "blockquote":
            extras.append(el)
        elif tag in CONTAINERS:
            if out and "".join(out).strip() and not "".join(out).endswith("<br>"):
                out.append("<br>")
            self.inline_html(el, out, extras)
        else:
            self.inline_html(el, out, extras)

    def quote(self, el: Any) -> None:
        classes = _classes(el)
        if "twitter-tweet" in classes or "instagram-media" in classes:
            links = [a.get("href") or "" for a in el.iter("a")]
            url = next((u for u in reversed(links) if provider_url(u)), None)
            if url:
                self.add_embed(url, "")
                return
        self.note_dropped(el)
        # The speaker: a <cite> (or <footer>) closing the quotation, nothing after it.
        speaker = ""
        last = next((c for c in reversed(list(el.iter("cite", "footer"))) if _ends(c, el)), None)
        if last is not None:
            speaker = _text_of(last)
            _remove_keeping_tail(last)
        images = list(el.iter("img"))
        text = _block_text(el)
        speaker = speaker.lstrip("—–-― ").strip()
        if len(speaker) > MAX_SPEAKER:
            text, speaker = f"{text}\n\n— {speaker}", ""
        if text:
            self.blocks.append(Block("quote", {"quote": text, "speaker": speaker, "role": ""}))
        elif speaker:
            self.add_paragraph(htmllib.escape(speaker))
        elif not images:
            self.dropped.append(str(_("empty quotation")))
        for img in images:
            self.image(img, "")

    def code(self, pre: Any, *, language: str = "") -> None:
        for br in pre.iter("br"):
            br.tail = "\n" + (br.tail or "")
        code = pre.text_content()
        if code.startswith("\r\n"):
            code = code[2:]
        elif code.startswith("\n"):
            code = code[1:]
        code = code.rstrip()
        if not language:
            inner = next(pre.iter("code"), None)
            classes = _classes(pre) + " " + (_classes(inner) if inner is not None else "")
            m = _LANGUAGE_CLASS.search(classes)
            language = (m.group(1) or m.group(2)) if m else ""
        if len(language) > MAX_LANGUAGE:
            language = ""
        if code.strip():
            self.blocks.append(Block("code", {"language": language, "code": code}))
        else:
            self.dropped.append(str(_("empty preformatted text")))

    def table(self, table: Any, caption: str = "") -> None:
        self.note_dropped(table)
        header_rows: list[Any] = []
        body_rows: list[Any] = []
        foot_rows: list[Any] = []
        for child in table:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "thead":
                header_rows += [r for r in child if r.tag == "tr"]
            elif tag == "tfoot":
                foot_rows += [r for r in child if r.tag == "tr"]
            elif tag == "tbody":
                body_rows += [r for r in child if r.tag == "tr"]
            elif tag == "tr":
                body_rows.append(child)
            elif tag == "caption" and not caption:
                caption = _text_of(child)
        rows = header_rows + body_rows + foot_rows
        data: list[list[str]] = []
        header_flags: list[list[bool]] = []
        for row in rows:
            cells, flags = [], []
            for cell in row:
                if cell.tag not in {"td", "th"}:
                    continue
                cells.append(_text_of(cell))
                flags.append(cell.tag == "th")
                span = _int(cell.get("colspan")) or 1
                for _extra in range(min(span, 50) - 1):
                    cells.append("")
                    flags.append(cell.tag == "th")
            if cells:
                data.append(cells)
                header_flags.append(flags)
        if not data:
            self.dropped.append(str(_("empty table")))
            return
        width = max(len(r) for r in data)
        data = [r + [""] * (width - len(r)) for r in data]
        first_row_header = bool(header_rows) or all(header_flags[0])
        later = header_flags[1:] if first_row_header else header_flags
        first_col_header = bool(later) and all(f and f[0] for f in later)
        self.blocks.append(
            Block(
                "table",
                {
                    "data": data,
                    "first_row_is_table_header": first_row_header,
                    "first_col_is_header": first_col_header,
                    "table_caption": caption,
                },
            )
        )
        for img in table.iter("img"):
            self.image(img, "")

    def figure(self, el: Any) -> None:
        captions = [c for c in el if c.tag == "figcaption"]
        caption = " ".join(filter(None, (_text_of(c) for c in captions)))
        table = next(el.iter("table"), None)
        if table is not None:
            self.table(table, caption)
            return
        wrapper = next((d for d in el.iter() if "wp-block-embed__wrapper" in _classes(d)), None)
        if wrapper is not None and _text_of(wrapper).startswith(("http://", "https://")):
            self.add_embed(_text_of(wrapper), caption)
            return
        iframe = next(el.iter("iframe", "embed", "object"), None)
        if iframe is not None:
            self.iframe(iframe, caption)
            return
        media = next(el.iter("audio", "video"), None)
        if media is not None:
            self.media_element(media, media.tag, caption)
            return
        quote = next(el.iter("blockquote"), None)
        if quote is not None:
            self.quote(quote)
            return
        images = list(el.iter("img"))
        if len(images) == 1:
            self.image(images[0], caption)
        elif images:
            self.gallery_of(el, images)
        else:
            self.walk(el)
            self.flush()

    def image(self, img: Any, caption: str, *, wp_id: int | None = None) -> None:
        src = (
            img.get("src")
            or img.get("data-src")
            or img.get("data-lazy-src")
            or img.get("data-orig-file")
            or ""
        ).strip()
        if wp_id is None:
            m = _WP_IMAGE_CLASS.search(_classes(img))
            wp_id = (
                int(m.group(1)) if m else _int(img.get("data-id") or img.get("data-attachment-id"))
            )
        if not src and wp_id is None:
            self.dropped.append(str(_("picture without an address")))
            return
        self.add_image(src, wp_id, img.get("alt") or "", caption)

    def add_image(self, url: str, wp_id: int | None, alt: str, caption: str) -> None:
        image = self.resolve_image(url, wp_id, alt)
        short, overflow = _fit(caption, MAX_CAPTION)
        self.blocks.append(Block("image", {"image": image, "caption": short, "credit": ""}))
        if overflow:
            self.add_paragraph(htmllib.escape(overflow))

    def resolve_image(self, url: str, wp_id: int | None, alt: str) -> Image | None:
        image = self.call(lambda: self.media.image(url=url, wp_id=wp_id, alt=alt))
        if image is None:
            self.missing.append(url or str(_("attachment %(id)s") % {"id": wp_id}))
        return image

    def gallery_of(self, root: Any, images: list[Any]) -> None:
        items = []
        for img in images:
            # Each picture's own caption is in its nearest figure or list item.
            holder = _holder(img, root)
            caption = ""
            if holder is not None:
                caption = _text_of(next(holder.iter("figcaption"), None))
            m = _WP_IMAGE_CLASS.search(_classes(img))
            wp_id = int(m.group(1)) if m else _int(img.get("data-id"))
            src = (img.get("src") or img.get("data-src") or "").strip()
            if not src and wp_id is None:
                self.dropped.append(str(_("picture without an address")))
                continue
            image = self.resolve_image(src, wp_id, img.get("alt") or "")
            items.append({"image": image, "caption": _fit(caption, MAX_CAPTION)[0], "credit": ""})
        own = [c for c in root.iter("figcaption") if _holder(c, root) is None]
        caption = " ".join(filter(None, (_text_of(c) for c in own)))
        self.add_gallery(items, caption)

    def gallery_from_ids(self, ids: list[int], caption: str) -> None:
        items = [{"image": self.resolve_image("", i, ""), "caption": "", "credit": ""} for i in ids]
        self.add_gallery(items, caption)

    def add_gallery(self, items: list[dict[str, Any]], caption: str) -> None:
        short, overflow = _fit(caption, MAX_CAPTION)
        self.blocks.append(Block("gallery", {"images": items, "caption": short}))
        if overflow:
            self.add_paragraph(htmllib.escape(overflow))

    def add_embed(self, url: str, caption: str) -> None:
        known = provider_url(url)
        if known is None:
            # Wagtail would show nothing for it (no oEmbed provider): a link keeps it readable.
            self.warnings.append(
                _("%(url)s is not from a site Wagtail can embed; it is kept as a link.")
                % {"url": url}
            )
            self.link_paragraph(url, caption or url, None)
            return
        url = known
        short, overflow = _fit(caption, MAX_CAPTION)
        self.blocks.append(Block("embed", {"embed": EmbedValue(url), "caption": short}))
        if overflow:
            self.add_paragraph(htmllib.escape(overflow))

    def iframe(self, el: Any, caption: str) -> None:
        src = (el.get("src") or el.get("data-src") or el.get("data") or "").strip()
        url = provider_url(src)
        if url:
            self.add_embed(url, caption)
            return
        # Not a player we can embed: keep its address as a link (the frame itself never is).
        href = _safe_href(src)
        if href:
            link = f'<p><a href="{htmllib.escape(href)}">{htmllib.escape(caption or href)}</a></p>'
            self.keep(link, f"<{el.tag}>")
        else:
            self.dropped.append(f"<{el.tag}>")

    def media_element(self, el: Any, kind: str, caption: str) -> None:
        url = el.get("src") or next((s.get("src") for s in el.iter("source")), None) or ""
        if not url:
            self.dropped.append(f"<{kind}>")
            return
        self.add_media(kind, url, None, caption)

    def add_media(self, kind: str, url: str, wp_id: int | None, caption: str) -> None:
        url = url.strip()
        document = self.call(lambda: self.media.document(url=url, wp_id=wp_id))
        short, overflow = _fit(caption, MAX_CAPTION)
        if document is not None:
            self.blocks.append(
                Block("media_file", {"kind": kind, "file": document, "caption": short})
            )
            if overflow:
                self.add_paragraph(htmllib.escape(overflow))
            return
        if url and provider_url(url):
            self.add_embed(url, caption)
            return
        self.missing.append(url or str(_("attachment %(id)s") % {"id": wp_id}))
        # The file is not here: a link to where it was keeps the reference in the story.
        name = _file_name(url)
        self.link_paragraph(url, caption or name, None)

    def link_paragraph(self, href: str, text: str, label: str | None) -> None:
        safe = _safe_href(href)
        if safe and text:
            self.add_paragraph(f'<a href="{htmllib.escape(safe)}">{htmllib.escape(text)}</a>')
        elif text:
            self.add_paragraph(htmllib.escape(text))
        elif label:
            self.dropped.append(label)

    def links_paragraph(self, anchors: Iterable[Any], label: str) -> None:
        self.links_html([(a.get("href") or "", _text_of(a)) for a in anchors], label)

    def links_html(self, links: list[tuple[str, str]], label: str) -> None:
        parts = []
        for href, text in links:
            safe = _safe_href(href)
            text = text or href
            if not text:
                continue
            if safe:
                parts.append(f'<a href="{htmllib.escape(safe)}">{htmllib.escape(text)}</a>')
            else:
                parts.append(htmllib.escape(text))
        if parts:
            self.add_paragraph("<br>".join(parts))
        else:
            self.dropped.append(label)

    def keep(self, html: str, label: str, *, autop: bool = False) -> None:
        """Markup without a block of its own, kept sanitised and reported. A frame keeps its
        address as a link: nh3 removes the frame, and the address is the content."""
        if autop:
            html = wpautop(html)
        root = _parse(html)
        for frame in list(root.iter("iframe")):
            src = _safe_href(frame.get("src"))
            link = etree.Element("a", href=src) if src else etree.Element("span")
            link.text = src or ""
            link.tail = frame.tail
            frame.getparent().replace(frame, link)
        cleaned = sanitise_html(_inner_html(root)).strip()
        if plain_text(cleaned) or "<img" in cleaned:
            self.blocks.append(Block("html", cleaned))
            self.kept.append(label)
        else:
            self.dropped.append(label)

    def call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as error:
            raise _ResolverFailed(error) from error


def _walk_nodes(node: _Node) -> Iterable[_Node]:
    yield node
    for part in node.parts:
        if isinstance(part, _Node):
            yield from _walk_nodes(part)


def _remove_keeping_tail(el: Any) -> None:
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _ends(el: Any, container: Any) -> bool:
    """Whether nothing but whitespace follows ``el`` inside ``container``."""
    while el is not container:
        if (el.tail or "").strip() or any(
            isinstance(s.tag, str) or (s.tail or "").strip() for s in el.itersiblings()
        ):
            return False
        el = el.getparent()
        if el is None:
            return False
    return True


def _block_text(el: Any) -> str:
    """Plain text with paragraph breaks where the markup has blocks or line breaks (a
    quotation's text block keeps its paragraphs)."""
    for child in el.iter():
        if not isinstance(child.tag, str) or child is el:
            continue
        if child.tag == "br":
            child.tail = "\n" + (child.tail or "")
        elif child.tag not in _INLINE_TEXT_TAGS:
            child.tail = "\n\n" + (child.tail or "")
            child.text = "\n\n" + (child.text or "")
    etree.strip_elements(el, *DROP_TAGS, with_tail=False)
    lines = [_collapse(line).strip() for line in el.text_content().split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _alone_on_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end < 0:
        line_end = len(text)
    return not text[line_start:start].strip() and not text[end:line_end].strip()


def _fit(text: str, limit: int) -> tuple[str, str]:
    """(field value, overflow): text longer than a field allows goes whole to a paragraph."""
    if len(text) <= limit:
        return text, ""
    return "", text
