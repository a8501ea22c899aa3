"""``dateline export-wordpress``: the whole site as a WordPress eXtended RSS (WXR 1.2) file, in
the shape WordPress's own exporter writes, so WordPress's importer and ours both read it.

The file is written as it is read: pages come in chunks of ``chunk_size`` (ordered by id, as
WordPress orders its items), everything a chunk needs (bylines, tags, images, comments) is
fetched with one query per kind per chunk, and nothing but a chunk is held in memory — apart
from the ids of the pictures already written, so each gets one attachment item.

Ids: WordPress keeps posts of every type in one table, so an item's ``post_id`` must be unique
across pages, pictures and files, and its importer skips an item whose id it has already seen.
Pages and articles keep their page id; pictures and files are numbered above every page
(``Ids``), and each says which Wagtail object it was in a ``_dateline_*`` postmeta. Sections are
categories with their page id as ``term_id``; tags are numbered above the pages likewise.
"""

from __future__ import annotations

import datetime
import email.utils
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Prefetch, prefetch_related_objects
from django.utils import timezone
from taggit.models import Tag
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Revision, Site
from wagtail.rich_text import features as richtext_features
from wagtail.rich_text.pages import PageLinkHandler
from wagtail.rich_text.rewriters import EmbedRewriter, LinkRewriter, MultiRuleRewriter

from dateline.discussion.models import Comment, Thread
from dateline.newsroom.blocks import sanitise_html
from dateline.newsroom.models import (
    ArticleByline,
    ArticleCorrection,
    ArticlePage,
    ArticleTag,
    Author,
    SectionPage,
    StandardPage,
)

WXR_VERSION = "1.2"
# Exactly as WordPress 6 writes them (the importer looks prefixes up by these URIs).
NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}
CHUNK_SIZE = 200
COMMENT_STATUS: dict[str, str] = {
    Comment.Status.APPROVED: "1",
    Comment.Status.PENDING: "0",
    Comment.Status.SPAM: "spam",
    Comment.Status.TRASH: "trash",
}
# WordPress writes this for a post that has never had a date of its own (a draft).
NO_DATE = "0000-00-00 00:00:00"

# Characters XML 1.0 does not allow anywhere, even escaped (C0 controls but tab, CR and LF;
# lone surrogates; U+FFFE and U+FFFF). Dropped rather than written into an invalid file.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Wagtail's editor marks each paragraph with a key of its own; WordPress's blocks have none.
_BLOCK_KEY = re.compile(r'\s+data-block-key="[^"]*"')
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_BLOCKS = {
    "address", "blockquote", "div", "dl", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ol", "p", "pre", "section", "table", "ul",
}  # fmt: skip
_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Rich text chunks are expanded together, one rewrite per chunk, split on a character XML
# forbids (so no text can contain it once cleaned).
_SEPARATOR = "\x00"


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 allows."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def cdata(value: object) -> str:
    """A CDATA section as WordPress's ``wxr_cdata`` writes it: a ``]]>`` inside is split across
    two sections, so the text comes back whole."""
    return "<![CDATA[" + xml_text(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _esc(value: object) -> str:
    return escape(xml_text(value))


def block_attrs(attrs: dict[str, Any]) -> str:
    """Block attributes as the block editor serialises them: JSON with ``--``, ``<``, ``>``,
    ``&`` and escaped quotes spelled as \\u escapes, so they cannot end the HTML comment."""
    text = json.dumps(attrs, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("--", "\\u002d\\u002d")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace('\\"', "\\u0022")
    )


def block(name: str, html: str, attrs: dict[str, Any] | None = None) -> str:
    opening = f"<!-- wp:{name} {block_attrs(attrs)} -->" if attrs else f"<!-- wp:{name} -->"
    return f"{opening}\n{html}\n<!-- /wp:{name} -->"


def _h(value: object) -> str:
    """Text inside HTML (double quotes too, so it is also safe in an attribute)."""
    return escape(str(value or ""), {'"': "&quot;"})


# --- Dates --------------------------------------------------------------------------------


def wp_local(when: datetime.datetime) -> str:
    return timezone.localtime(when, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M:%S")


def wp_gmt(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def rss_date(when: datetime.datetime) -> str:
    # email.utils, not strftime: day and month names must be English whatever the locale.
    return email.utils.format_datetime(when.astimezone(datetime.UTC)).replace("-0000", "+0000")


# --- The summary --------------------------------------------------------------------------


@dataclass
class ExportSummary:
    authors: int = 0
    categories: int = 0
    tags: int = 0
    attachments: int = 0
    posts: int = 0
    pages: int = 0
    comments: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


# --- Output -------------------------------------------------------------------------------


class _Sink:
    """Text or bytes, whichever ``out`` takes, written in pieces of about 64 KiB."""

    def __init__(self, out: IO[str] | IO[bytes]) -> None:
        self._out: Any = out
        self._binary = not isinstance(out, io.TextIOBase) and not hasattr(out, "encoding")
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= 65536:
            self.flush()

    def flush(self) -> None:
        if not self._parts:
            return
        text = "".join(self._parts)
        self._parts, self._size = [], 0
        if self._binary:
            self._out.write(text.encode("utf-8"))
        else:
            self._out.write(text)


class _Item:
    """The lines of one ``<item>``, in WordPress's order and quoting."""

    def __init__(self) -> None:
        self.lines: list[str] = ["<item>"]

    def plain(self, tag: str, value: object, attrs: str = "") -> None:
        self.lines.append(f"\t<{tag}{attrs}>{_esc(value)}</{tag}>")

    def cdata(self, tag: str, value: object, attrs: str = "") -> None:
        self.lines.append(f"\t<{tag}{attrs}>{cdata(value)}</{tag}>")

    def meta(self, key: str, value: object) -> None:
        self.lines.append(
            f"\t<wp:postmeta>\n\t\t<wp:meta_key>{cdata(key)}</wp:meta_key>\n"
            f"\t\t<wp:meta_value>{cdata(value)}</wp:meta_value>\n\t</wp:postmeta>"
        )

    def text(self) -> str:
        return "\n".join([*self.lines, "</item>"]) + "\n"


# --- What a chunk of pages needs ----------------------------------------------------------


@dataclass(frozen=True)
class _Media:
    post_id: int
    url: str
    alt: str = ""


@dataclass
class _Section:
    nicename: str
    title: str
    comments_open: bool  # its own setting and every enclosing section's


@dataclass
class _Chunk:
    images: dict[int, _Media] = field(default_factory=dict)
    documents: dict[int, _Media] = field(default_factory=dict)
    rich_text: Iterator[str] = field(default_factory=lambda: iter(()))


def _raw_blocks(page: Page) -> list[dict[str, Any]]:
    body = getattr(page, "body", None)
    if body is None:
        return []
    return [dict(item) for item in body.raw_data]


def _list_items(value: Any) -> list[dict[str, Any]]:
    """A ListBlock's items in either storage form (``{"type": "item", "value": …}`` or bare)."""
    items = []
    for item in value or []:
        if isinstance(item, dict) and item.get("type") == "item" and "value" in item:
            item = item["value"]
        if isinstance(item, dict):
            items.append(item)
    return items


def _references(blocks: Iterable[dict[str, Any]]) -> tuple[set[int], set[int], list[str]]:
    """Image ids, document ids and paragraph sources a body refers to, in order."""
    images: set[int] = set()
    documents: set[int] = set()
    paragraphs: list[str] = []
    for item in blocks:
        kind, value = item.get("type"), item.get("value")
        if kind == "paragraph":
            paragraphs.append(str(value or ""))
        elif kind == "image" and isinstance(value, dict) and value.get("image"):
            images.add(int(value["image"]))
        elif kind == "gallery" and isinstance(value, dict):
            images.update(
                int(i["image"]) for i in _list_items(value.get("images")) if i.get("image")
            )
        elif kind == "media_file" and isinstance(value, dict) and value.get("file"):
            documents.add(int(value["file"]))
    return images, documents, paragraphs


# --- Rich text to blocks ------------------------------------------------------------------


def _top_level_elements(html: str) -> Iterator[tuple[str, str]]:
    """(tag name, inner HTML) of each top-level block element; loose text and inline markup
    between them come as a "p"."""
    depth, inner_start, name, loose_from = 0, 0, "", 0
    for match in _TAG.finditer(html):
        closing, tag, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if tag in _VOID or self_closing or (depth == 0 and tag not in _BLOCKS):
            continue
        if not closing:
            if depth == 0:
                loose = html[loose_from : match.start()].strip()
                if loose:
                    yield "p", loose
                inner_start, name = match.end(), tag
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                yield name, html[inner_start : match.start()]
                loose_from = match.end()
    if depth:  # an element left open: keep what follows its opening tag
        yield name, html[inner_start:]
    elif loose := html[loose_from:].strip():
        yield "p", loose


def _list_block(tag: str, inner: str) -> str:
    items = []
    for name, content in _top_level_elements(inner):
        if name == "li":
            items.append(block("list-item", f"<li>{content}</li>"))
    markup = f"<{tag}>" + "\n\n".join(items) + f"</{tag}>"
    return block("list", markup, {"ordered": True} if tag == "ol" else None)


def rich_text_blocks(html: str) -> list[str]:
    """Expanded rich text (front-end HTML) as paragraph, list and heading blocks."""
    out = []
    for tag, inner in _top_level_elements(_BLOCK_KEY.sub("", html)):
        if tag in {"ul", "ol"}:
            out.append(_list_block(tag, inner))
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            level = int(tag[1])
            out.append(
                block(
                    "heading",
                    f'<{tag} class="wp-block-heading">{inner}</{tag}>',
                    None if level == 2 else {"level": level},
                )
            )
        elif tag == "p":
            if inner.strip():
                out.append(block("paragraph", f"<p>{inner}</p>"))
        else:
            out.append(block("html", sanitise_html(f"<{tag}>{inner}</{tag}>")))
    return out


def _figcaption(text: str, css: str = "wp-element-caption") -> str:
    return f'<figcaption class="{css}">{_h(text)}</figcaption>' if text else ""


def _caption_and_credit(value: dict[str, Any]) -> str:
    return " — ".join(part for part in (value.get("caption"), value.get("credit")) if part)


def _image_block(value: dict[str, Any], chunk: _Chunk) -> str:
    media = chunk.images.get(int(value["image"])) if value.get("image") else None
    attrs: dict[str, Any] = {}
    if media:
        attrs = {"id": media.post_id, "sizeSlug": "full", "linkDestination": "none"}
        img = f'<img src="{_h(media.url)}" alt="{_h(media.alt)}" class="wp-image-{media.post_id}"/>'
    else:
        # The picture's place, kept for its caption (ImageBlock allows an image still to come).
        img = '<img alt=""/>'
    # The caption and credit also go separately, for an importer that keeps them apart
    # (WordPress ignores attributes it does not know).
    if value.get("caption"):
        attrs["datelineCaption"] = value["caption"]
    if value.get("credit"):
        attrs["datelineCredit"] = value["credit"]
    html = (
        f'<figure class="wp-block-image size-full">{img}'
        f"{_figcaption(_caption_and_credit(value))}</figure>"
    )
    return block("image", html, attrs or None)


def _quote_block(value: dict[str, Any]) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", str(value.get("quote") or "")) if p.strip()]
    inner = "\n\n".join(
        block("paragraph", "<p>" + "<br>".join(_h(line) for line in p.strip().split("\n")) + "</p>")
        for p in paragraphs
    )
    speaker, role = value.get("speaker") or "", value.get("role") or ""
    cite = ", ".join(part for part in (speaker, role) if part)
    attrs = {"datelineSpeaker": speaker, "datelineRole": role} if role else None
    html = f'<blockquote class="wp-block-quote">{inner}'
    html += f"<cite>{_h(cite)}</cite>" if cite else ""
    return block("quote", html + "</blockquote>", attrs)


def _table_block(value: Any) -> str:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    value = value or {}
    rows = [
        [("" if cell is None else str(cell)) for cell in row] for row in value.get("data") or []
    ]
    head_row = bool(value.get("first_row_is_table_header"))
    head_col = bool(value.get("first_col_is_header"))

    def row_html(row: list[str], header: bool) -> str:
        cells = []
        for n, cell in enumerate(row):
            tag = "th" if header or (head_col and n == 0) else "td"
            cells.append(f"<{tag}>{_h(cell).replace(chr(10), '<br>')}</{tag}>")
        return "<tr>" + "".join(cells) + "</tr>"

    html = "<table>"
    if head_row and rows:
        html += "<thead>" + row_html(rows[0], True) + "</thead>"
        rows = rows[1:]
    html += "<tbody>" + "".join(row_html(r, False) for r in rows) + "</tbody></table>"
    caption = value.get("table_caption") or ""
    return block("table", f'<figure class="wp-block-table">{html}{_figcaption(caption)}</figure>')


def _code_escape(code: str) -> str:
    # As the block editor saves code: markup escaped, and "[" too so no shortcode runs.
    return code.replace("&", "&amp;").replace("<", "&lt;").replace("[", "&#91;")


def _body_markup(blocks: Iterable[dict[str, Any]], chunk: _Chunk) -> str:
    out: list[str] = []
    for item in blocks:
        kind, value = item.get("type"), item.get("value")
        if kind == "paragraph":
            out.extend(rich_text_blocks(next(chunk.rich_text)))
        elif kind == "heading":
            out.append(block("heading", f'<h2 class="wp-block-heading">{_h(value)}</h2>'))
        elif kind == "quote" and isinstance(value, dict):
            out.append(_quote_block(value))
        elif kind == "image" and isinstance(value, dict):
            out.append(_image_block(value, chunk))
        elif kind == "gallery" and isinstance(value, dict):
            images = "\n\n".join(_image_block(i, chunk) for i in _list_items(value.get("images")))
            caption = _figcaption(
                value.get("caption") or "", "blocks-gallery-caption wp-element-caption"
            )
            html = (
                '<figure class="wp-block-gallery has-nested-images columns-default is-cropped">'
                f"{images}{caption}</figure>"
            )
            out.append(block("gallery", html, {"linkTo": "none"}))
        elif kind == "embed" and isinstance(value, dict):
            url = str(value.get("embed") or "")
            html = (
                f'<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">\n{_h(url)}\n'
                f"</div>{_figcaption(value.get('caption') or '')}</figure>"
            )
            out.append(block("embed", html, {"url": url}))
        elif kind == "media_file" and isinstance(value, dict):
            media_kind = "video" if value.get("kind") == "video" else "audio"
            media = chunk.documents.get(int(value["file"])) if value.get("file") else None
            src = f' src="{_h(media.url)}"' if media else ""
            html = (
                f'<figure class="wp-block-{media_kind}"><{media_kind} controls{src}></{media_kind}>'
                f"{_figcaption(value.get('caption') or '')}</figure>"
            )
            out.append(block(media_kind, html, {"id": media.post_id} if media else None))
        elif kind == "code" and isinstance(value, dict):
            language = re.sub(r"[^A-Za-z0-9_+-]", "", str(value.get("language") or ""))
            css = f" language-{language}" if language else ""
            html = f'<pre class="wp-block-code{css}"><code>{_code_escape(str(value.get("code") or ""))}</code></pre>'
            out.append(
                block("code", html, {"className": f"language-{language}"} if language else None)
            )
        elif kind == "table":
            out.append(_table_block(value))
        elif kind == "separator":
            out.append(
                block("separator", '<hr class="wp-block-separator has-alpha-channel-opacity"/>')
            )
        elif kind == "html":
            # Sanitised again on the way out: WordPress would show a stored script as it is.
            out.append(block("html", sanitise_html(str(value or ""))))
    return "\n\n".join(out)


# --- Links inside rich text ---------------------------------------------------------------


def _rich_text_rewriter(page_url: Callable[[Page], str], absolute: Callable[[str], str]) -> Any:
    """Wagtail's own rewriter, except that links to pages and documents become absolute
    addresses (the export leaves this site; a path would point at the new one)."""

    def pages(attrs_list: list[dict[str, Any]]) -> list[str]:
        return [
            f'<a href="{_h(page_url(page))}">' if page else "<a>"
            for page in PageLinkHandler.get_many(attrs_list)
        ]

    def documents(attrs_list: list[dict[str, Any]]) -> list[str]:
        ids = [attrs.get("id") for attrs in attrs_list]
        found = get_document_model().objects.in_bulk([i for i in ids if str(i).isdigit()])
        by_id = {str(k): v for k, v in found.items()}
        return [
            f'<a href="{_h(absolute(doc.url))}">' if (doc := by_id.get(str(i))) else "<a>"
            for i in ids
        ]

    link_rules = {
        linktype: handler.expand_db_attributes_many
        for linktype, handler in richtext_features.get_link_types().items()
    }
    link_rules.update({"page": pages, "document": documents})
    embed_rules = {
        embedtype: handler.expand_db_attributes_many
        for embedtype, handler in richtext_features.get_embed_types().items()
    }
    return MultiRuleRewriter(
        [LinkRewriter(bulk_rules=link_rules), EmbedRewriter(bulk_rules=embed_rules)]
    )


# --- The exporter -------------------------------------------------------------------------


def _power_of_ten_above(n: int) -> int:
    ceiling = 1000
    while ceiling <= n:
        ceiling *= 10
    return ceiling


class Ids:
    """WordPress ids for things that have none of their own in the page id space: pictures,
    files and tags, numbered from the first power of ten above every page id (so the numbers
    stay the same from one export to the next until the site passes that power)."""

    def __init__(self) -> None:
        pages = _power_of_ten_above(Page.objects.aggregate(n=Max("id"))["n"] or 0)
        images = _power_of_ten_above(get_image_model().objects.aggregate(n=Max("id"))["n"] or 0)
        self.image_base = pages
        self.document_base = pages + images
        self.tag_base = pages

    def image(self, pk: int) -> int:
        return self.image_base + pk

    def document(self, pk: int) -> int:
        return self.document_base + pk

    def tag(self, pk: int) -> int:
        return self.tag_base + pk


class _Exporter:
    def __init__(
        self,
        sink: _Sink,
        site: Site,
        chunk_size: int,
        progress: Callable[[ExportSummary], None] | None,
    ) -> None:
        self.sink = sink
        self.site = site
        self.home = site.root_page
        self.chunk_size = chunk_size
        self.progress = progress
        self.summary = ExportSummary()
        self.base_url = (
            settings.BASE_URL.rstrip("/") if site.is_default_site else site.root_url.rstrip("/")
        )
        self.ids = Ids()
        self.sections: dict[str, _Section] = {}  # by tree path
        self.written_images: set[int] = set()
        self.written_documents: set[int] = set()
        self.restrictions = list(
            PageViewRestriction.objects.filter(page__path__startswith=self.home.path)
            .exclude(restriction_type=PageViewRestriction.NONE)
            .values_list("page__path", "restriction_type", "password")
            .order_by("-page__depth")
        )
        self.rewriter = _rich_text_rewriter(self.page_url, self.absolute)
        # Filled for each chunk.
        self.threads: dict[int, Thread | None] = {}
        self.authors_by_id: dict[int, Author] = {}
        self.tags_by_id: dict[int, Tag] = {}

    # Addresses

    def absolute(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        if url.startswith("//"):
            return self.base_url.split(":", 1)[0] + ":" + url
        return self.base_url + "/" + url.lstrip("/")

    def page_url(self, page: Page) -> str:
        if page.url_path.startswith(self.home.url_path):
            return self.base_url + "/" + page.url_path[len(self.home.url_path) :]
        return page.get_full_url() or ""

    # The whole file

    def run(self) -> ExportSummary:
        self.header()
        self.authors()
        self.categories()
        self.tags()
        self.write("\n")
        self.items(ArticlePage, "post")
        self.items(StandardPage, "page")
        self.write("</channel>\n</rss>\n")
        self.sink.flush()
        return self.summary

    def write(self, text: str) -> None:
        self.sink.write(text)

    def header(self) -> None:
        from dateline.newsroom.models import NewsroomSettings

        now = timezone.now()
        # Read, never created: for_site() would INSERT the row, and on PostgreSQL the export
        # runs in a read-only snapshot.
        tagline = (
            NewsroomSettings.objects.filter(site=self.site)
            .values_list("tagline", flat=True)
            .first()
            or ""
        )
        language = settings.LANGUAGE_CODE.split("-")
        language_tag = "-".join([language[0], *(part.upper() for part in language[1:])])
        namespaces = "".join(f'\n\txmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
        self.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            "<!-- A WordPress eXtended RSS (WXR) file: every story, page, section, tag, author,\n"
            "     picture and comment of a Dateline site, for WordPress's importer (Tools: Import:\n"
            "     WordPress) or `dateline import-wordpress`. -->\n"
            f'<!-- generator="Dateline" created="{now.strftime("%Y-%m-%d %H:%M")}" -->\n'
            f'<rss version="2.0"{namespaces}\n>\n'
            "<channel>\n"
            f"\t<title>{_esc(self.site.site_name or self.home.title)}</title>\n"
            f"\t<link>{_esc(self.base_url)}</link>\n"
            f"\t<description>{_esc(tagline or getattr(self.home.specific, 'intro', ''))}</description>\n"
            f"\t<pubDate>{rss_date(now)}</pubDate>\n"
            f"\t<language>{_esc(language_tag)}</language>\n"
            f"\t<wp:wxr_version>{WXR_VERSION}</wp:wxr_version>\n"
            f"\t<wp:base_site_url>{_esc(self.base_url)}</wp:base_site_url>\n"
            f"\t<wp:base_blog_url>{_esc(self.base_url)}</wp:base_blog_url>\n"
        )

    def authors(self) -> None:
        for author in (
            Author.objects.select_related("user")
            .order_by("pk")
            .iterator(chunk_size=self.chunk_size)
        ):
            email = (author.user.email if author.user else "") or ""
            self.write(
                "\t<wp:author>\n"
                f"\t\t<wp:author_id>{author.pk}</wp:author_id>\n"
                f"\t\t<wp:author_login>{cdata(author.slug)}</wp:author_login>\n"
                f"\t\t<wp:author_email>{cdata(email)}</wp:author_email>\n"
                f"\t\t<wp:author_display_name>{cdata(author.name)}</wp:author_display_name>\n"
                f"\t\t<wp:author_first_name>{cdata('')}</wp:author_first_name>\n"
                f"\t\t<wp:author_last_name>{cdata('')}</wp:author_last_name>\n"
                f"\t\t<wp:author_description>{cdata(author.bio)}</wp:author_description>\n"
                "\t</wp:author>\n"
            )
            self.summary.authors += 1

    def categories(self) -> None:
        """Sections, parents before children (tree order), as WordPress requires."""
        used: set[str] = set()
        sections = (
            SectionPage.objects.descendant_of(self.home)
            .order_by("path")
            .only("id", "path", "depth", "title", "slug", "description", "comments_enabled")
        )
        for section in sections.iterator(chunk_size=self.chunk_size):
            parent = self.sections.get(section.path[: -section.steplen])
            # Nicenames are unique in WordPress; slugs only among siblings here.
            nicename = section.slug
            if nicename in used and parent:
                nicename = f"{parent.nicename}-{section.slug}"
            n = 2
            while nicename in used:
                nicename, n = f"{section.slug}-{n}", n + 1
            used.add(nicename)
            self.sections[section.path] = _Section(
                nicename=nicename,
                title=section.title,
                comments_open=section.comments_enabled and (parent is None or parent.comments_open),
            )
            description = (
                f"\t\t<wp:category_description>{cdata(section.description)}</wp:category_description>\n"
                if section.description
                else ""
            )
            self.write(
                "\t<wp:category>\n"
                f"\t\t<wp:term_id>{section.pk}</wp:term_id>\n"
                f"\t\t<wp:category_nicename>{cdata(nicename)}</wp:category_nicename>\n"
                f"\t\t<wp:category_parent>{cdata(parent.nicename if parent else '')}</wp:category_parent>\n"
                f"\t\t<wp:cat_name>{cdata(section.title)}</wp:cat_name>\n"
                f"{description}"
                f"{self.term_meta('_dateline_slug', section.slug)}"
                f"{self.term_meta('_dateline_comments_enabled', int(section.comments_enabled))}"
                "\t</wp:category>\n"
            )
            self.summary.categories += 1

    @staticmethod
    def term_meta(key: str, value: object) -> str:
        return (
            f"\t\t<wp:termmeta>\n\t\t\t<wp:meta_key>{cdata(key)}</wp:meta_key>\n"
            f"\t\t\t<wp:meta_value>{cdata(value)}</wp:meta_value>\n\t\t</wp:termmeta>\n"
        )

    def tags(self) -> None:
        articles = ArticlePage.objects.descendant_of(self.home).values("pk")
        tags = (
            Tag.objects.filter(
                pk__in=ArticleTag.objects.filter(content_object__in=articles).values("tag_id")
            )
            .order_by("pk")
            .iterator(chunk_size=self.chunk_size)
        )
        for tag in tags:
            self.write(
                "\t<wp:tag>\n"
                f"\t\t<wp:term_id>{self.ids.tag(tag.pk)}</wp:term_id>\n"
                f"\t\t<wp:tag_slug>{cdata(tag.slug)}</wp:tag_slug>\n"
                f"\t\t<wp:tag_name>{cdata(tag.name)}</wp:tag_name>\n"
                "\t</wp:tag>\n"
            )
            self.summary.tags += 1

    # Items

    def items(self, model: type[Page], post_type: str) -> None:
        pages = (
            model.objects.descendant_of(self.home)
            .order_by("pk")
            .select_related("latest_revision")
            .defer("latest_revision__content")
        )
        if model is ArticlePage:
            pages = pages.select_related("discussion_thread")
        for batch in itertools.batched(pages.iterator(chunk_size=self.chunk_size), self.chunk_size):
            self.chunk(list(batch), post_type)
            if self.progress:
                self.progress(self.summary)

    def chunk(self, pages: list[Page], post_type: str) -> None:
        is_article = post_type == "post"
        # Read before a draft's page object is rebuilt from its revision (which has no thread).
        self.threads = {p.pk: self.cached_thread(p) for p in pages} if is_article else {}
        pages = self.with_draft_content(pages)
        if is_article:
            self.prefetch_article_relations(pages)
        blocks = [_raw_blocks(page) for page in pages]
        image_ids: set[int] = set()
        document_ids: set[int] = set()
        sources: list[str] = []
        for page, body in zip(pages, blocks, strict=True):
            images, documents, paragraphs = _references(body)
            image_ids |= images
            document_ids |= documents
            sources.extend(paragraphs)
            if getattr(page, "lead_image_id", None):
                image_ids.add(page.lead_image_id)
        chunk = _Chunk(
            images=self.attachments_for_images(image_ids),
            documents=self.attachments_for_documents(document_ids),
            rich_text=self.expand_rich_text(sources),
        )
        parents = self.parent_ids(pages) if not is_article else {}
        comments = self.comments(pages) if is_article else iter(())
        pending = next(comments, None)
        for page, body in zip(pages, blocks, strict=True):
            item = _Item()
            self.page_fields(item, page, body, chunk, post_type, parents)
            self.write("\n".join(item.lines) + "\n")
            if is_article:
                while pending is not None and pending.thread.article_id == page.pk:
                    self.write(self.comment(pending))
                    pending = next(comments, None)
                self.summary.posts += 1
            else:
                self.summary.pages += 1
            self.write("</item>\n")

    def with_draft_content(self, pages: list[Page]) -> list[Page]:
        """A page that is not live is exported as its latest draft, which may be newer than the
        page row (an editor's saves go to revisions). One query per chunk."""
        wanted = [
            p.latest_revision_id
            for p in pages
            if not p.live and p.has_unpublished_changes and p.latest_revision_id
        ]
        if not wanted:
            return pages
        contents = dict(Revision.objects.filter(pk__in=wanted).values_list("pk", "content"))
        result = []
        for page in pages:
            content = contents.get(page.latest_revision_id) if not page.live else None
            result.append(page.with_content_json(content) if content else page)
        return result

    def prefetch_article_relations(self, pages: list[Page]) -> None:
        # Pages rebuilt from a revision carry their bylines, tags and corrections already.
        rows = [p for p in pages if "bylines" not in getattr(p, "_cluster_related_objects", {})]
        prefetch_related_objects(
            rows,
            Prefetch("bylines", queryset=ArticleByline.objects.order_by("sort_order", "pk")),
            Prefetch("tagged_items", queryset=ArticleTag.objects.all()),
            Prefetch(
                "corrections", queryset=ArticleCorrection.objects.order_by("sort_order", "pk")
            ),
        )
        author_ids = {b.author_id for p in pages for b in p.bylines.all() if b.author_id}
        tag_ids = {t.tag_id for p in pages for t in p.tagged_items.all()}
        self.authors_by_id = (
            {a.pk: a for a in Author.objects.filter(pk__in=author_ids).only("id", "slug", "name")}
            if author_ids
            else {}
        )
        self.tags_by_id = Tag.objects.in_bulk(tag_ids) if tag_ids else {}

    def parent_ids(self, pages: list[Page]) -> dict[str, int]:
        paths = {p.path[: -p.steplen] for p in pages} - {self.home.path}
        if not paths:
            return {}
        return dict(Page.objects.filter(path__in=paths).values_list("path", "id"))

    def expand_rich_text(self, sources: list[str]) -> Iterator[str]:
        if not sources:
            return iter(())
        joined = _SEPARATOR.join(xml_text(s) for s in sources)
        return iter(self.rewriter(joined).split(_SEPARATOR))

    def attachments_for_images(self, ids: set[int]) -> dict[int, _Media]:
        if not ids:
            return {}
        found: dict[int, _Media] = {}
        images = get_image_model().objects.filter(pk__in=ids).select_related("uploaded_by_user")
        for image in images.order_by("pk"):
            media = _Media(
                post_id=self.ids.image(image.pk),
                url=self.absolute(image.file.url),
                alt=image.description or "",
            )
            found[image.pk] = media
            if image.pk not in self.written_images:
                self.written_images.add(image.pk)
                self.write(self.attachment(image, media, "_dateline_image_id"))
        return found

    def attachments_for_documents(self, ids: set[int]) -> dict[int, _Media]:
        if not ids:
            return {}
        found: dict[int, _Media] = {}
        for document in get_document_model().objects.filter(pk__in=ids).order_by("pk"):
            media = _Media(post_id=self.ids.document(document.pk), url=self.absolute(document.url))
            found[document.pk] = media
            if document.pk not in self.written_documents:
                self.written_documents.add(document.pk)
                self.write(self.attachment(document, media, "_dateline_document_id"))
        return found

    def attachment(self, obj: Any, media: _Media, id_key: str) -> str:
        created = obj.created_at
        item = _Item()
        item.cdata("title", obj.title)
        item.plain("link", media.url)
        item.plain("pubDate", rss_date(created))
        item.cdata("dc:creator", "")
        item.plain("guid", media.url, ' isPermaLink="false"')
        item.lines.append("\t<description></description>")
        item.cdata("content:encoded", "")
        item.cdata("excerpt:encoded", "")
        item.plain("wp:post_id", media.post_id)
        item.cdata("wp:post_date", wp_local(created))
        item.cdata("wp:post_date_gmt", wp_gmt(created))
        item.cdata("wp:post_modified", wp_local(created))
        item.cdata("wp:post_modified_gmt", wp_gmt(created))
        item.cdata("wp:comment_status", "closed")
        item.cdata("wp:ping_status", "closed")
        item.cdata("wp:post_name", obj.file.name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        item.cdata("wp:status", "inherit")
        item.plain("wp:post_parent", 0)
        item.plain("wp:menu_order", 0)
        item.cdata("wp:post_type", "attachment")
        item.cdata("wp:post_password", "")
        item.plain("wp:is_sticky", 0)
        item.cdata("wp:attachment_url", media.url)
        item.meta("_wp_attached_file", obj.file.name)
        if media.alt:
            item.meta("_wp_attachment_image_alt", media.alt)
        item.meta(id_key, obj.pk)
        self.summary.attachments += 1
        return item.text()

    def restriction(self, page: Page) -> tuple[str, str]:
        """("private" or "", password): a sign-in or group restriction on the page or above it
        makes a private post; a shared password becomes the post's password."""
        applying = [(t, pw) for path, t, pw in self.restrictions if page.path.startswith(path)]
        if any(t != PageViewRestriction.PASSWORD for t, _ in applying):
            return "private", ""
        return "", next((pw for t, pw in applying), "")

    def page_fields(
        self,
        item: _Item,
        page: Page,
        blocks: list[dict[str, Any]],
        chunk: _Chunk,
        post_type: str,
        parents: dict[str, int],
    ) -> None:
        now = timezone.now()
        is_article = isinstance(page, ArticlePage)
        private, password = self.restriction(page)
        scheduled = not page.live and page.go_live_at is not None and page.go_live_at > now
        if scheduled:
            status = "future"
        elif not page.live:
            status = "draft"
        else:
            status = private or "publish"

        published = page.publication_time if is_article else page.first_published_at
        if scheduled:
            date: datetime.datetime | None = page.go_live_at
        else:
            date = published
        shown_date = date or page.latest_revision_created_at or page.last_published_at or now
        modified = page.last_published_at or page.latest_revision_created_at or shown_date

        bylines = (
            sorted(page.bylines.all(), key=lambda b: (b.sort_order or 0, b.pk or 0))
            if is_article
            else []
        )
        staff = [self.authors_by_id.get(b.author_id) for b in bylines if b.author_id]
        creator = next((a.slug for a in staff if a is not None), "")

        item.cdata("title", page.title)
        item.plain("link", self.page_url(page))
        item.plain("pubDate", rss_date(shown_date))
        item.cdata("dc:creator", creator)
        item.plain("guid", f"{self.base_url}/?p={page.pk}", ' isPermaLink="false"')
        item.lines.append("\t<description></description>")
        item.cdata("content:encoded", _body_markup(blocks, chunk))
        item.cdata("excerpt:encoded", page.standfirst if is_article else "")
        item.plain("wp:post_id", page.pk)
        item.cdata("wp:post_date", wp_local(shown_date))
        # WordPress's mark for a draft that has no date of its own yet.
        item.cdata("wp:post_date_gmt", wp_gmt(date) if date else NO_DATE)
        item.cdata("wp:post_modified", wp_local(modified))
        item.cdata("wp:post_modified_gmt", wp_gmt(modified))
        item.cdata("wp:comment_status", "open" if self.comments_open(page) else "closed")
        item.cdata("wp:ping_status", "closed")
        item.cdata("wp:post_name", page.slug)
        item.cdata("wp:status", status)
        item.plain("wp:post_parent", parents.get(page.path[: -page.steplen], 0))
        item.plain("wp:menu_order", 0 if is_article else int(page.path[-page.steplen :], 36))
        item.cdata("wp:post_type", post_type)
        item.cdata("wp:post_password", password)
        item.plain("wp:is_sticky", 0)
        if not is_article:
            return

        section = self.sections.get(page.path[: -page.steplen])
        if section:
            item.cdata(
                "category",
                section.title,
                f' domain="category" nicename={quoteattr(xml_text(section.nicename))}',
            )
        for tagged in page.tagged_items.all():
            tag = self.tags_by_id.get(tagged.tag_id)
            if tag is not None:
                item.cdata(
                    "category",
                    tag.name,
                    f' domain="post_tag" nicename={quoteattr(xml_text(tag.slug))}',
                )

        lead = chunk.images.get(page.lead_image_id) if page.lead_image_id else None
        if lead:
            item.meta("_thumbnail_id", lead.post_id)
        # What a return trip needs and WordPress has no place for (it keeps unknown meta).
        meta: list[tuple[str, object]] = [
            ("_dateline_place", page.dateline_place),
            ("_dateline_source", page.dateline_source),
            ("_dateline_language", page.language),
            ("_dateline_lead_image_caption", page.lead_image_caption),
            ("_dateline_lead_image_credit", page.lead_image_credit),
            ("_dateline_wire_key", page.wire_key),
        ]
        for key, value in meta:
            if value:
                item.meta(key, value)
        item.meta(
            "_dateline_published_at", page.published_at.isoformat() if page.published_at else ""
        )
        if page.expire_at:
            item.meta("_dateline_expire_at", page.expire_at.isoformat())
        item.meta("_dateline_comments_enabled", int(page.comments_enabled))
        thread = self.thread(page)
        if thread is not None and thread.closed:
            item.meta("_dateline_thread_closed", 1)
        ordered = []
        for byline in bylines:
            author = self.authors_by_id.get(byline.author_id) if byline.author_id else None
            ordered.append({"author": author.slug} if author else {"guest": byline.guest_name})
        item.meta("_dateline_bylines", json.dumps(ordered, ensure_ascii=False))
        guests = [b.guest_name for b in bylines if not b.author_id]
        if guests:
            item.meta("_dateline_guest_bylines", json.dumps(guests, ensure_ascii=False))
        corrections = sorted(page.corrections.all(), key=lambda c: (c.sort_order or 0, c.pk or 0))
        if corrections:
            item.meta(
                "_dateline_corrections",
                json.dumps(
                    [
                        {"kind": c.kind, "noted_at": c.noted_at.isoformat(), "text": c.text}
                        for c in corrections
                    ],
                    ensure_ascii=False,
                ),
            )

    @staticmethod
    def cached_thread(page: Page) -> Thread | None:
        try:
            return page.discussion_thread
        except Thread.DoesNotExist:  # no one has commented yet
            return None

    def thread(self, page: Page) -> Thread | None:
        return self.threads.get(page.pk)

    def comments_open(self, page: Page) -> bool:
        if not isinstance(page, ArticlePage) or not page.comments_enabled:
            return False
        section = self.sections.get(page.path[: -page.steplen])
        if section is not None and not section.comments_open:
            return False
        thread = self.thread(page)
        return not (thread is not None and thread.closed)

    def comments(self, pages: list[Page]) -> Iterator[Comment]:
        """The chunk's comments in page order (as the pages are), streamed: a story with fifty
        thousand comments is not held in memory."""
        ids = [p.pk for p in pages]
        return (
            Comment.objects.filter(thread__article_id__in=ids)
            .select_related("thread", "commenter")
            .only(
                "id",
                "thread__article_id",
                "parent_id",
                "author_name",
                "author_website",
                "commenter__email",
                "ip_address",
                "created_at",
                "body",
                "body_html",
                "status",
                "removed_by_author",
            )
            .order_by("thread__article_id", "pk")
            .iterator(chunk_size=2000)
        )

    def comment(self, comment: Comment) -> str:
        lines = [
            "\t<wp:comment>",
            f"\t\t<wp:comment_id>{comment.pk}</wp:comment_id>",
            f"\t\t<wp:comment_author>{cdata(comment.author_name)}</wp:comment_author>",
            f"\t\t<wp:comment_author_email>{cdata(comment.commenter.email)}</wp:comment_author_email>",
            f"\t\t<wp:comment_author_url>{_esc(comment.author_website)}</wp:comment_author_url>",
            f"\t\t<wp:comment_author_IP>{cdata(comment.ip_address or '')}</wp:comment_author_IP>",
            f"\t\t<wp:comment_date>{cdata(wp_local(comment.created_at))}</wp:comment_date>",
            f"\t\t<wp:comment_date_gmt>{cdata(wp_gmt(comment.created_at))}</wp:comment_date_gmt>",
            f"\t\t<wp:comment_content>{cdata(comment.body_html)}</wp:comment_content>",
            f"\t\t<wp:comment_approved>{cdata(COMMENT_STATUS.get(comment.status, '0'))}</wp:comment_approved>",
            f"\t\t<wp:comment_type>{cdata('comment')}</wp:comment_type>",
            f"\t\t<wp:comment_parent>{comment.parent_id or 0}</wp:comment_parent>",
            "\t\t<wp:comment_user_id>0</wp:comment_user_id>",
        ]
        meta = [("_dateline_body", comment.body)]
        if comment.removed_by_author:
            meta.append(("_dateline_removed_by_author", "1"))
        for key, value in meta:
            lines.append(
                f"\t\t<wp:commentmeta>\n\t\t\t<wp:meta_key>{cdata(key)}</wp:meta_key>\n"
                f"\t\t\t<wp:meta_value>{cdata(value)}</wp:meta_value>\n\t\t</wp:commentmeta>"
            )
        lines.append("\t</wp:comment>")
        self.summary.comments += 1
        return "\n".join(lines) + "\n"


def write_wxr(
    out: IO[str] | IO[bytes],
    *,
    site: Site | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[ExportSummary], None] | None = None,
) -> ExportSummary:
    """Write the site (the default one unless given) to ``out`` (text or binary; bytes are
    UTF-8) as WXR 1.2, and say how many of each kind went in. ``progress`` is called after
    every chunk of pages with the counts so far."""
    site = site or Site.objects.select_related("root_page").get(is_default_site=True)
    outer = connection.in_atomic_block
    with transaction.atomic():
        # One snapshot for the whole file on PostgreSQL, so a comment posted half-way
        # through cannot appear under a story that was already written without its thread.
        # (Inside a caller's transaction the level is the caller's to choose.)
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _Exporter(_Sink(out), site, chunk_size, progress).run()
