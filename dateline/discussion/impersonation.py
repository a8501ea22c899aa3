"""Names that pass for the newsroom's own people: a commenter who calls themselves after a staff
author, an editor's account or the site's administration ("Admin", "Moderator", "المشرف") is
held for a moderator, however the name is disguised.

Names are compared after NFKC (full-width and stylised letters become plain ones), case folding,
with combining marks taken out (Arabic vowel signs, accents), and letter by letter against
Unicode's confusables (``confusables``, data from Unicode TR39: a Cyrillic "а" or a "1" for an
"l" still reads as the name). A reserved word counts anywhere in the name as a word of its own;
a person's name must be the whole name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from confusables import confusable_regex
from django.contrib.auth import get_user_model

from dateline.discussion import text
from dateline.newsroom.models import Author
from dateline.server import kept, pagecache

# Words that speak for the site, in both of its languages.
RESERVED_WORDS = (
    "admin",
    "administrator",
    "administration",
    "moderator",
    "webmaster",
    "staff",
    "editor",
    "مدير",
    "المدير",
    "مشرف",
    "المشرف",
    "الإدارة",
    "إدارة",
    "المحرر",
    "محرر",
)
# Shorter names are too likely to be somebody's own.
MIN_PERSON_NAME = 4

STAFF_NAMES_GEN = pagecache.gen_name("staff-names", "all")


def fold(name: str) -> str:
    """The form names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.visible(name))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", bare).casefold().split())


def _pattern(name: str) -> str:
    return "".join(
        r"\s+" if part.isspace() else confusable_regex(part, include_character_padding=False)
        for part in re.split(r"(\s+)", name)
        if part
    )


@dataclass(frozen=True)
class Protected:
    """The compiled patterns, and the name each one stands for."""

    words: tuple[tuple[re.Pattern[str], str], ...]
    people: tuple[tuple[re.Pattern[str], str], ...]


def _load() -> Protected:
    words = tuple(
        (re.compile(rf"(?<!\w){_pattern(fold(word))}(?!\w)", re.IGNORECASE), word)
        for word in RESERVED_WORDS
    )
    names = set(Author.objects.values_list("name", flat=True))
    for user in get_user_model().objects.filter(is_staff=True, is_active=True):
        names.add(user.get_full_name())
    people = tuple(
        (re.compile(_pattern(fold(name)), re.IGNORECASE), name)
        for name in sorted(names)
        if len(fold(name)) >= MIN_PERSON_NAME
    )
    return Protected(words=words, people=people)


protected = kept.Kept(STAFF_NAMES_GEN, _load)


def imitated(name: str) -> str | None:
    """The staff name or reserved word ``name`` passes for, or None."""
    folded = fold(name)
    if not folded:
        return None
    names = protected.get()
    for pattern, person in names.people:
        if pattern.fullmatch(folded):
            return person
    for pattern, word in names.words:
        if pattern.search(folded):
            return word
    return None
