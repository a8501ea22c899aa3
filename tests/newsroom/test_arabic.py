"""The site in Arabic: a story page is right to left and its discussion speaks Arabic, and the
project-wide catalogue (dateline/locale/ar) is complete, compiled, and in step with the source.

The catalogue holds every string outside the apps that keep their own (``APP_CATALOGUES``):
the reader discussion and its moderation admin, the importers, settings, and every template
under dateline/templates/ and dateline/importers/templates/. docs/architecture.md, "Languages",
says how to update it."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.factories import make_article
from tests.i18n import makemessages_on_a_copy

PACKAGE_DIR = Path(django_settings.BASE_DIR)
CATALOGUE = PACKAGE_DIR / "locale" / "ar" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
# The newsroom's own catalogue: the Python strings of dateline/newsroom (models, blocks, settings).
NEWSROOM_CATALOGUE = PACKAGE_DIR / "newsroom" / "locale" / "ar" / "LC_MESSAGES" / "django.po"
ARABIC_PLURAL_FORMS = 6
# Apps whose Python strings makemessages sends to their own locale/ folder, not to this one.
APP_CATALOGUES = ("newsroom", "identity", "notifications")

LEAVE_A_REPLY = "اترك ردًا"
LOG_IN_PROMPT = "أدخل بياناتك أدناه أو انقر على أيقونة لتسجيل الدخول:"


# --------------------------------------------------------------------------------------------
# The page


@pytest.fixture
def article(section):
    return make_article(section, title="Ferry timetable changes for winter")


def page_html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


@pytest.mark.django_db
def test_an_arabic_story_page_reads_right_to_left_and_invites_a_reply_in_arabic(
    client, article, settings
):
    settings.LANGUAGE_CODE = "ar"

    html = page_html(client, article.url)

    assert '<html lang="ar" dir="rtl">' in html
    assert (
        f'<span data-reply-heading data-default-heading="{LEAVE_A_REPLY}">{LEAVE_A_REPLY}</span>'
        in html
    )
    assert LOG_IN_PROMPT in html
    assert '<label for="comment-body">التعليق' in html
    assert '<label for="comment-email">البريد الإلكتروني' in html
    assert "أرسل التعليق" in html
    assert "لا توجد تعليقات بعد" in html
    assert "Leave a Reply" not in html
    assert "Fill in your details below" not in html


@pytest.mark.django_db
def test_a_reader_who_asks_for_arabic_gets_it_on_an_english_site(client, article, settings):
    settings.LANGUAGE_CODE = "en"

    response = client.get(article.url, HTTP_ACCEPT_LANGUAGE="ar")

    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert LEAVE_A_REPLY in html


@pytest.mark.django_db
def test_the_english_site_still_says_leave_a_reply_left_to_right(client, article, settings):
    settings.LANGUAGE_CODE = "en"

    html = page_html(client, article.url)

    assert '<html lang="en" dir="ltr">' in html
    assert "Leave a Reply" in html
    assert LEAVE_A_REPLY not in html


# --------------------------------------------------------------------------------------------
# The catalogue


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+"(.*)"$')
_CONTINUATION = re.compile(r'^"(.*)"$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(0)), text)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a PO file, header included (msgid ""). Enough of the format for what
    makemessages and msgmerge write; polib is not a dependency."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword = _KEYWORD.match(line)
        if keyword:
            name, index, text = keyword.group(1), keyword.group(2), _unquote(keyword.group(3))
            target = (name, int(index or 0))
            if name == "msgstr":
                entry.msgstr[target[1]] = text
            else:
                setattr(entry, name, text)
            continue
        continuation = _CONTINUATION.match(line)
        if continuation is None or target is None:
            raise ValueError(f"{path}:{number}: cannot read {raw!r}")
        text = _unquote(continuation.group(1))
        if target[0] == "msgstr":
            entry.msgstr[target[1]] += text
        else:
            setattr(entry, target[0], (getattr(entry, target[0]) or "") + text)
    return entries


def messages(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid and not entry.obsolete]


def header(entries: list[Entry]) -> str:
    return next(entry.msgstr[0] for entry in entries if entry.msgid == "" and not entry.obsolete)


def untranslated(entries: list[Entry]) -> list[str]:
    """Entries an Arabic reader would see in English: empty, fuzzy, or short of plural forms."""
    problems = []
    for entry in messages(entries):
        forms = ARABIC_PLURAL_FORMS if entry.msgid_plural is not None else 1
        missing = [index for index in range(forms) if not entry.msgstr.get(index, "").strip()]
        if missing or "fuzzy" in entry.flags:
            problems.append(f"line {entry.line}: {entry.msgid!r}")
    return problems


def test_the_catalogue_is_where_locale_paths_points():
    assert PACKAGE_DIR / "locale" in [Path(path) for path in django_settings.LOCALE_PATHS]
    assert CATALOGUE.is_file()
    assert COMPILED.is_file()


def test_the_catalogue_declares_arabics_six_plural_forms():
    entries = parse_po(CATALOGUE)
    meta = header(entries)

    assert "Language: ar\n" in meta
    assert "charset=UTF-8" in meta
    assert f"nplurals={ARABIC_PLURAL_FORMS};" in meta
    # The rule Django's own Arabic catalogue uses, so the catalogues merge into one.
    plural = re.search(r"plural=([^;]+);", meta).group(1)
    rule = gettext.c2py(plural)
    assert [rule(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)] == [
        0,
        1,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        3,
        4,
    ]


def test_every_message_in_the_catalogue_has_an_arabic_translation():
    entries = parse_po(CATALOGUE)

    assert len(messages(entries)) > 400
    assert untranslated(entries) == []
    assert [entry.line for entry in entries if entry.obsolete] == []


def test_every_message_in_the_newsroom_catalogue_has_an_arabic_translation():
    entries = parse_po(NEWSROOM_CATALOGUE)

    assert len(messages(entries)) > 60
    assert untranslated(entries) == []
    assert [entry.line for entry in entries if entry.obsolete] == []


def test_translations_keep_every_placeholder_of_the_english():
    placeholder = re.compile(r"%\(\w+\)[-#0 +]*\d*[sdiXxf]|%[sd]|\{\w+\}|</?\w+[^>]*>")
    wrong = []
    for entry in messages(parse_po(CATALOGUE)):
        if entry.msgid_plural is None:
            if sorted(placeholder.findall(entry.msgstr[0])) != sorted(
                placeholder.findall(entry.msgid)
            ):
                wrong.append(entry.msgid)
        else:
            # Forms for one and two may spell the number out ("تعليق واحد", "تعليقان").
            expected = sorted(placeholder.findall(entry.msgid_plural))
            if any(sorted(placeholder.findall(entry.msgstr[n])) != expected for n in (3, 4, 5)):
                wrong.append(entry.msgid)
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file():
    with COMPILED.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    po = {}
    for entry in messages(parse_po(CATALOGUE)):
        prefix = f"{entry.msgctxt}\x04" if entry.msgctxt is not None else ""
        if entry.msgid_plural is None:
            po[prefix + entry.msgid] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                po[(prefix + entry.msgid, index)] = text
    catalog = {key: value for key, value in compiled._catalog.items() if key != ""}  # type: ignore[attr-defined]

    assert catalog == po, "run msgfmt -o django.mo django.po in dateline/locale/ar/LC_MESSAGES"


def test_msgfmt_finds_no_format_errors(tmp_path):
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt is not installed (apt-get install gettext)")
    result = subprocess.run(
        [
            "msgfmt",
            "--check-format",
            "--check-header",
            "-o",
            str(tmp_path / "django.mo"),
            str(CATALOGUE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_catalogue_has_every_string_the_source_marks_for_translation(tmp_path):
    """makemessages on a copy of the package: a string added or changed in the code or a
    template, and not yet translated here, comes out empty or fuzzy. (A string no longer used
    only turns obsolete, which is harmless; the next makemessages run here marks it so.)"""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("gettext is not installed (apt-get install gettext)")
    copy = makemessages_on_a_copy(tmp_path)

    regenerated = parse_po(copy / "locale" / "ar" / "LC_MESSAGES" / "django.po")
    committed = {entry.key for entry in messages(parse_po(CATALOGUE))}
    new = [entry.msgid for entry in messages(regenerated) if entry.key not in committed]
    assert (new, untranslated(regenerated)) == ([], []), (
        "Strings without Arabic: update dateline/locale/ar (docs/architecture.md, Languages)"
    )
