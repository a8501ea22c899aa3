"""Reading a WordPress export (WXR) as a stream: channel details, authors, terms, then one
item at a time, each with its comments and metadata. Memory stays flat however large the
file: every element is freed once read.

WXR as found in the wild: versions 1.0–1.2, the ``wp`` namespace written ``http://`` or
``https://`` (WordPress.com writes https), text in CDATA or escaped, GMT dates missing or
``0000-00-00 00:00:00``, categories with or without a ``domain``. The parser names every
namespace by its meaning, not its spelling, so all of these read the same.

lxml (not the standard library's expat) because it gives each element's line, reads huge text
nodes (``huge_tree``) and never resolves entities or fetches DTDs (``resolve_entities=False``,
``no_network``): an export is untrusted input.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext as _
from lxml import etree

from dateline.importers.errors import UnreadableFile

_WP_NS = re.compile(r"^https?://wordpress\.org/export/1\.\d+/$")
_EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/1\.\d+/excerpt/$")
_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_DC_NS = "http://purl.org/dc/elements/1.1/"


class WXRError(UnreadableFile):
    """The file cannot be read as a WordPress export; ``str()`` is ``FILE:LINE: what``."""


@dataclass(frozen=True)
class Channel:
    title: str
    link: str
    description: str
    language: str
    wxr_version: str
    base_site_url: str
    base_blog_url: str

    @property
    def site_key(self) -> str:
        """Which WordPress site this is, however its address is spelled (scheme, ``www.``,
        trailing slash): what makes a second import of a newer export update the first."""
        url = self.base_blog_url or self.link or self.base_site_url
        parts = urlsplit(url.strip().lower())
        host = (parts.hostname or "").removeprefix("www.")
        return f"{host}{parts.path.rstrip('/')}" or "wordpress"


@dataclass(frozen=True)
class Author:
    login: str
    email: str
    display_name: str
    first_name: str
    last_name: str
    description: str
    line: int


@dataclass(frozen=True)
class Term:
    """A category, tag or other taxonomy's term. ``taxonomy`` is ``category`` or ``post_tag``
    for those two (as WordPress names them)."""

    taxonomy: str
    term_id: str
    slug: str
    name: str
    parent_slug: str
    description: str
    line: int
    meta: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Comment:
    wp_id: str
    author: str
    email: str
    url: str
    ip: str
    date: datetime.datetime | None  # local time as WordPress printed it (naive)
    date_gmt: datetime.datetime | None  # None when missing or 0000-00-00
    content: str
    approved: str  # "1", "0", "spam", "trash", "post-trashed"
    type: str  # "" or "comment", "pingback", "trackback", …
    parent_id: str  # "0" for none
    user_id: str
    line: int
    meta: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ItemTerm:
    taxonomy: str  # "category", "post_tag", or another taxonomy's name
    slug: str
    name: str


@dataclass(frozen=True)
class Item:
    """A post, page, attachment, or anything else WordPress stores as a post."""

    wp_id: str
    title: str
    link: str
    guid: str
    creator: str
    content: str
    excerpt: str
    date: datetime.datetime | None
    date_gmt: datetime.datetime | None
    pub_date: datetime.datetime | None  # the RSS pubDate, aware
    status: str
    post_type: str
    slug: str
    parent_id: str
    menu_order: int
    password: str
    comment_status: str
    attachment_url: str
    terms: tuple[ItemTerm, ...]
    meta: dict[str, str]
    comments: tuple[Comment, ...]
    line: int
    raw_digest: str = field(default="", compare=False)

    @property
    def categories(self) -> list[ItemTerm]:
        return [t for t in self.terms if t.taxonomy == "category"]

    @property
    def tags(self) -> list[ItemTerm]:
        return [t for t in self.terms if t.taxonomy == "post_tag"]


type Entry = Channel | Author | Term | Item


# A file has a few dozen tag names, read hundreds of thousands of times (bounded: a hostile
# file may have millions).
@functools.lru_cache(maxsize=256)
def _kind(tag: str) -> tuple[str, str]:
    """``(namespace meaning, local name)``: meaning is wp, excerpt, content, dc or ''."""
    if not tag.startswith("{"):
        return "", tag
    uri, local = tag[1:].split("}", 1)
    if _WP_NS.match(uri):
        return "wp", local
    if _EXCERPT_NS.match(uri):
        return "excerpt", local
    if uri == _CONTENT_NS:
        return "content", local
    if uri == _DC_NS:
        return "dc", local
    return uri, local


def _text(el: etree._Element | None) -> str:
    return (el.text or "") if el is not None else ""


def _children(el: etree._Element) -> dict[tuple[str, str], etree._Element]:
    found: dict[tuple[str, str], etree._Element] = {}
    for child in el:
        if isinstance(child.tag, str):
            found.setdefault(_kind(child.tag), child)
    return found


def _field(fields: dict[tuple[str, str], etree._Element], ns: str, name: str) -> str:
    return _text(fields.get((ns, name))).strip()


def parse_wp_date(value: str) -> datetime.datetime | None:
    """WordPress's ``YYYY-MM-DD HH:MM:SS`` (naive); None for empty or ``0000-00-00``."""
    value = value.strip()
    if not value or value.startswith("0000"):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            # Naive on purpose: which zone it is in depends on the field (local or GMT).
            return datetime.datetime.strptime(value, fmt)  # noqa: DTZ007
        except ValueError:
            continue
    return None


def _rss_date(value: str) -> datetime.datetime | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else None


_POST_ID_IN_LINK = re.compile(r"[?&](?:p|page_id|attachment_id)=(\d+)")


def _wp_id(fields: dict[tuple[str, str], etree._Element], link: str, guid: str) -> str:
    """The item's WordPress id; exports made by hand or by old plugins sometimes leave out
    ``wp:post_id``, and then the ``?p=N`` in the guid or link is the same number."""
    explicit = _field(fields, "wp", "post_id")
    if explicit:
        return explicit
    for url in (guid, link):
        query = parse_qs(urlsplit(url).query)
        for key in ("p", "page_id", "attachment_id"):
            if query.get(key, [""])[0].isdigit():
                return query[key][0]
    return ""


def _meta(el: etree._Element, name: str) -> dict[str, str]:
    """``wp:postmeta``/``wp:commentmeta``/``wp:termmeta`` children as a dict."""
    found: dict[str, str] = {}
    for child in el:
        if isinstance(child.tag, str) and _kind(child.tag) == ("wp", name):
            m = _children(child)
            key = _field(m, "wp", "meta_key")
            if key:
                found[key] = _text(m.get(("wp", "meta_value")))
    return found


def _comment(el: etree._Element) -> Comment:
    f = _children(el)
    return Comment(
        wp_id=_field(f, "wp", "comment_id"),
        author=_field(f, "wp", "comment_author"),
        email=_field(f, "wp", "comment_author_email"),
        url=_field(f, "wp", "comment_author_url"),
        ip=_field(f, "wp", "comment_author_IP"),
        date=parse_wp_date(_field(f, "wp", "comment_date")),
        date_gmt=parse_wp_date(_field(f, "wp", "comment_date_gmt")),
        content=_text(f.get(("wp", "comment_content"))),
        approved=_field(f, "wp", "comment_approved") or "1",
        type=_field(f, "wp", "comment_type"),
        parent_id=_field(f, "wp", "comment_parent") or "0",
        user_id=_field(f, "wp", "comment_user_id") or "0",
        line=el.sourceline or 0,
        meta=_meta(el, "commentmeta"),
    )


def _item(el: etree._Element, line: int) -> Item:
    f = _children(el)
    terms: list[ItemTerm] = []
    meta = _meta(el, "postmeta")
    comments: list[Comment] = []
    for child in el:
        if not isinstance(child.tag, str):
            continue
        ns, local = _kind(child.tag)
        if ns == "" and local == "category":
            # WXR 1.0 writes categories without a domain; a tag always has one.
            terms.append(
                ItemTerm(
                    taxonomy=child.get("domain") or "category",
                    slug=(child.get("nicename") or "").strip(),
                    name=(child.text or "").strip(),
                )
            )
        elif ns == "wp" and local == "comment":
            comments.append(_comment(child))
    link, guid = _field(f, "", "link"), _field(f, "", "guid")
    try:
        menu_order = int(_field(f, "wp", "menu_order") or 0)
    except ValueError:
        menu_order = 0
    return Item(
        wp_id=_wp_id(f, link, guid),
        title=_field(f, "", "title"),
        link=link,
        guid=guid,
        creator=_field(f, "dc", "creator"),
        content=_text(f.get(("content", "encoded"))).strip(),
        excerpt=_text(f.get(("excerpt", "encoded"))).strip(),
        date=parse_wp_date(_field(f, "wp", "post_date")),
        date_gmt=parse_wp_date(_field(f, "wp", "post_date_gmt")),
        pub_date=_rss_date(_field(f, "", "pubDate")),
        status=_field(f, "wp", "status") or "publish",
        post_type=_field(f, "wp", "post_type") or "post",
        slug=_field(f, "wp", "post_name"),
        parent_id=_field(f, "wp", "post_parent") or "0",
        menu_order=menu_order,
        password=_field(f, "wp", "post_password"),
        comment_status=_field(f, "wp", "comment_status") or "open",
        attachment_url=_field(f, "wp", "attachment_url"),
        terms=tuple(terms),
        meta=meta,
        comments=tuple(comments),
        line=line,
    )


def _author(el: etree._Element) -> Author:
    f = _children(el)
    return Author(
        login=_field(f, "wp", "author_login"),
        email=_field(f, "wp", "author_email"),
        display_name=_field(f, "wp", "author_display_name"),
        first_name=_field(f, "wp", "author_first_name"),
        last_name=_field(f, "wp", "author_last_name"),
        description=_field(f, "wp", "author_description"),
        line=el.sourceline or 0,
    )


def _term(el: etree._Element, local: str) -> Term:
    f = _children(el)
    if local == "category":
        return Term(
            taxonomy="category",
            term_id=_field(f, "wp", "term_id"),
            slug=_field(f, "wp", "category_nicename"),
            name=_field(f, "wp", "cat_name"),
            parent_slug=_field(f, "wp", "category_parent"),
            description=_field(f, "wp", "category_description"),
            line=el.sourceline or 0,
            meta=_meta(el, "termmeta"),
        )
    if local == "tag":
        return Term(
            taxonomy="post_tag",
            term_id=_field(f, "wp", "term_id"),
            slug=_field(f, "wp", "tag_slug"),
            name=_field(f, "wp", "tag_name"),
            parent_slug="",
            description=_field(f, "wp", "tag_description"),
            line=el.sourceline or 0,
        )
    return Term(
        taxonomy=_field(f, "wp", "term_taxonomy"),
        term_id=_field(f, "wp", "term_id"),
        slug=_field(f, "wp", "term_slug"),
        name=_field(f, "wp", "term_name"),
        parent_slug=_field(f, "wp", "term_parent"),
        description=_field(f, "wp", "term_description"),
        line=el.sourceline or 0,
    )


def read(source: str | Path | IO[bytes], *, name: str | None = None) -> Iterator[Entry]:
    """Everything in the export, in file order: the ``Channel`` first (once its header has
    been read), then authors and terms, then items. Raises ``WXRError`` (``FILE:LINE:``) for a
    file that is not well-formed XML or not a WordPress export."""
    label = name or str(source if not hasattr(source, "read") else getattr(source, "name", "-"))
    parser = etree.iterparse(
        source if not isinstance(source, Path) else str(source),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )
    channel_fields: dict[str, str] = {}
    channel_sent = False
    seen_wp = False
    item_line = 0
    depth = 0

    def channel() -> Channel:
        return Channel(
            title=channel_fields.get("title", ""),
            link=channel_fields.get("link", ""),
            description=channel_fields.get("description", ""),
            language=channel_fields.get("language", ""),
            wxr_version=channel_fields.get("wxr_version", ""),
            base_site_url=channel_fields.get("base_site_url", ""),
            base_blog_url=channel_fields.get("base_blog_url", ""),
        )

    try:
        for event, el in parser:
            if not isinstance(el.tag, str):
                continue
            if event == "start":
                depth += 1
                if depth == 1 and el.tag != "rss":
                    raise WXRError(
                        label,
                        el.sourceline or 1,
                        _("this is not a WordPress export: it starts with <%(tag)s>, not <rss>.")
                        % {"tag": _kind(el.tag)[1]},
                    )
                if el.tag == "item" and depth == 3:
                    item_line = el.sourceline or 0
                    if not channel_sent:
                        channel_sent = True
                        yield channel()
                continue
            depth -= 1
            ns, local = _kind(el.tag)
            seen_wp = seen_wp or ns == "wp"
            if depth == 2:  # children of <channel>
                if el.tag == "item":
                    if not seen_wp:
                        raise WXRError(label, item_line, _not_wxr())
                    yield _item(el, item_line)
                elif ns == "wp" and local == "author":
                    yield _author(el)
                elif ns == "wp" and local in {"category", "tag", "term"}:
                    yield _term(el, local)
                elif ns in {"", "wp"} and local in {
                    "title",
                    "link",
                    "description",
                    "language",
                    "wxr_version",
                    "base_site_url",
                    "base_blog_url",
                }:
                    channel_fields[local] = (el.text or "").strip()
                # Free what has been read: the element and everything before it.
                el.clear(keep_tail=False)
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        raise WXRError(
            label,
            line,
            _("the file is not well-formed XML: %(why)s") % {"why": error.msg or str(error)},
        ) from None
    if not seen_wp:
        raise WXRError(label, 1, _not_wxr())
    if not channel_sent:
        yield channel()


def _not_wxr() -> str:
    return _(
        "this is not a WordPress export: there is no wordpress.org/export namespace "
        "(Tools → Export in WordPress writes one)."
    )
