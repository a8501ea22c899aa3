"""Everything a comment's text goes through, in order: limits first (length, encoding, control
characters) before any parser sees it, then a small Markdown subset, then nh3's sanitiser.

Why limits first: the filters a renderer uses (Markdown, linkify, truncation) are where DoS
bugs live, so they never see more than the newsroom allows. Nothing is ever truncated: text
over the limit is refused with a message, because truncation is how stored XSS slipped through
elsewhere (a cut in the middle of markup or of a 4-byte character).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import nh3
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "blockquote", "code", "pre", "ul", "ol", "li"}
# "*" empty: none of ammonia's generic attributes (title, lang) either.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "*": set()}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
# Explicit direction formatting characters. Removing them means a comment cannot reverse the
# text around it (or its own name, or later comments); dir="auto" on each comment still gives
# Arabic and English their natural direction.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
MAX_NAME_LENGTH = 100

_markdown = MarkdownIt(
    "zero", {"breaks": True, "html": False, "linkify": False, "typographer": False}
).enable(
    [
        "emphasis",
        "link",
        "autolink",
        "blockquote",
        "backticks",
        "fence",
        "code",
        "list",
        "newline",
        "escape",
        "entity",
    ]
)
# Quotes inside quotes inside lists: past this depth markdown-it renders the rest as text, which
# keeps pathological nesting linear.
_markdown.options["maxNesting"] = 8


class TextError(ValueError):
    """The text cannot be accepted; the message says why in words a reader understands."""


@dataclass(frozen=True)
class RenderedComment:
    source: str
    html: str
    link_count: int


def check_and_normalise(text: str, *, max_length: int, field_label: str) -> str:
    """Refuse what we will not store; return the text with newlines normalised."""
    if len(text) > max_length:
        raise TextError(
            ngettext(
                "%(label)s is %(length)d characters long; the limit is %(limit)d character. Please shorten it.",
                "%(label)s is %(length)d characters long; the limit is %(limit)d characters. Please shorten it.",
                max_length,
            )
            % {"label": field_label, "length": len(text), "limit": max_length}
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":
            raise TextError(
                _("%(label)s contains text that is not valid UTF-8.") % {"label": field_label}
            )
        if category == "Cc" and char not in "\n\t":
            raise TextError(
                _(
                    "%(label)s contains an invisible control character (U+%(code)04X). Please remove it."
                )
                % {"label": field_label, "code": ord(char)}
            )
    return text.translate(BIDI_CONTROLS)


# Blank letters of other scripts, which render as nothing (or a space) in a name.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def visible(text: str) -> str:
    """``text`` without what cannot be seen: format characters (zero-width spaces and
    joiners, the byte order mark, the Arabic letter mark, soft hyphens, direction controls)
    and blank letters. Used on names, where such characters only ever serve to make one name
    pass for another (Persian's zero-width non-joiner is lost; the name still reads)."""
    return "".join(
        ch for ch in text if unicodedata.category(ch) != "Cf" and ch not in _BLANK_LETTERS
    )


def clean_name(name: str) -> str:
    name = check_and_normalise(name, max_length=MAX_NAME_LENGTH, field_label=_("Your name"))
    return " ".join(visible(name).split())


def render_comment(source: str) -> RenderedComment:
    """Markdown subset → HTML → sanitised HTML. The source must have passed
    ``check_and_normalise``."""
    html = _markdown.render(source)
    safe = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        # Relative and protocol-relative links ("//evil.example") would point wherever the
        # comment happens to be shown (an embed on another site); only absolute links survive.
        url_relative="deny",
        strip_comments=True,
    )
    return RenderedComment(source=source, html=safe.strip(), link_count=len(_LINK_RE.findall(safe)))


_LINK_RE = re.compile(r"<a\s", re.IGNORECASE)


def plain_text(html: str) -> str:
    """Text of sanitised comment HTML, for notifications and spam checks."""
    return nh3.clean(html, tags=set()).strip()
