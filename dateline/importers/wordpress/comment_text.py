"""A WordPress comment's HTML as the Markdown readers write here. WordPress stores a comment as
typed, with the few tags it allows (links, emphasis, quotes, code) and line breaks that its
theme turns into paragraphs; Dateline stores the Markdown source and renders it through the
same limits and sanitiser as every new comment (``discussion.text``), so imported comments
look and behave like the rest."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

# Characters Markdown would read as formatting: escaped so text shows as it was typed.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([>#+-]|\d+[.)])", re.MULTILINE)
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _escape(text: str) -> str:
    return _LINE_START_SPECIAL.sub(r"\1\\\2", _INLINE_SPECIAL.sub(r"\\\1", text))


def _inline(el: etree._Element) -> str:
    parts = [_escape(el.text or "")]
    for child in el:
        parts.append(_element(child))
        parts.append(_escape(child.tail or ""))
    return "".join(parts)


def _element(el: etree._Element) -> str:
    if not isinstance(el.tag, str):  # a comment or processing instruction
        return ""
    tag = el.tag.lower()
    inner = _inline(el)
    if tag in {"script", "style", "iframe", "object", "embed"}:
        return ""
    if tag == "br":
        return "\n"
    if tag in {"strong", "b"} and inner.strip():
        return f"**{inner.strip()}**"
    if tag in {"em", "i", "cite"} and inner.strip():
        return f"*{inner.strip()}*"
    if tag == "code" and el.getparent() is not None and el.getparent().tag != "pre":
        return f"`{(el.text_content() or '').replace('`', '')}`"
    if tag == "a":
        href = (el.get("href") or "").strip()
        label = inner.strip() or _escape(href)
        if href.lower().startswith(_SAFE_SCHEMES) and not any(c in href for c in " <>()"):
            return f"[{label}]({href})"
        return label
    if tag == "pre":
        code = el.text_content().rstrip("\n").replace("```", "ʼʼʼ")
        return f"\n\n```\n{code}\n```\n\n"
    if tag == "blockquote":
        quoted = _blocks(el).strip()
        return (
            "\n\n" + "\n".join(f"> {line}" if line else ">" for line in quoted.split("\n")) + "\n\n"
        )
    if tag in {"ul", "ol"}:
        items = [c for c in el if isinstance(c.tag, str) and c.tag.lower() == "li"]
        lines = [f"{n}. " if tag == "ol" else "- " for n in range(1, len(items) + 1)]
        return (
            "\n\n"
            + "\n".join(
                marker + _inline(item).strip().replace("\n", " ")
                for marker, item in zip(lines, items, strict=True)
            )
            + "\n\n"
        )
    if tag in {"p", "div"}:
        return f"\n\n{inner.strip()}\n\n"
    return inner


def _blocks(el: etree._Element) -> str:
    return _inline(el)


def comment_markdown(content: str) -> str:
    """``content`` (a WordPress comment's stored text) as Markdown source."""
    if "<" not in content and "&" not in content:
        return _escape(content.strip())
    try:
        root = lxml_html.fragment_fromstring(content, create_parent="div")
    except (etree.ParserError, ValueError):
        return _escape(content.strip())
    text = _blocks(root)
    # Paragraph breaks from blocks and from the text's own blank lines, at most one blank line.
    return re.sub(r"\n{3,}", "\n\n", text).strip()
