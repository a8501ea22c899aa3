"""Parse wire copy in the plain-text shape of a scraped news page. Django-free on purpose: the
parser is pure, so it can be tested and reused without a database or settings.

The shape, line by line::

    Headline on the first non-empty line

    Time: 2020/11/20 21:28:39

    (Place: Source) First paragraph of the story ...

    More paragraphs, separated by blank lines ...

    Byline Name

    Leave a Reply              <- the scraped page's comment form, dropped
    ...
    Connecting to %s

Text is normalised before parsing: an optional UTF-8 byte-order mark is dropped, CRLF, LF and a
lone CR all end a line, and every run of whitespace inside a line (tabs, non-breaking spaces,
doubled spaces) becomes one space. Line numbers in errors count lines as an editor shows them.

Messages are English here, marked with ``gettext_noop`` so ``makemessages`` still collects
them; the Django side translates them when it shows an error (see ``WireTextError``).
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Bigger files are refused before they are read: a story is a few kilobytes, and a cap keeps a
#: wrong file (a log, a database dump) from being loaded into memory and parsed.
MAX_FILE_BYTES = 1024 * 1024
#: The database columns these values go to (Wagtail's page title, ``ArticlePage`` and byline
#: fields): longer values are refused here rather than truncated or failing on save.
MAX_HEADLINE_CHARS = 255
MAX_PLACE_CHARS = 100
MAX_SOURCE_CHARS = 150
MAX_BYLINE_CHARS = 150
#: How much of an offending line an error message quotes.
QUOTE_CHARS = 60


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (``makemessages`` finds it)."""
    return message


class WireTextError(ValueError):
    """A file that is not wire copy: where (``filename``, ``line``; ``None`` for the file as a
    whole), what was ``expected`` and what was ``found``.

    ``expected`` and ``found`` are English message templates with ``%(name)s`` placeholders
    filled from ``params``, so a caller can translate the templates before filling them in;
    ``str(error)`` gives the English message, e.g. ``bad.txt:3: expected a line "Time:
    YYYY/MM/DD HH:MM:SS", found "Tme: 2020/11/20"``.
    """

    def __init__(
        self,
        filename: str,
        line: int | None,
        expected: str,
        found: str = "",
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.filename = filename
        self.line = line
        self.expected = expected
        self.found = found
        self.params: Mapping[str, object] = dict(params or {})
        super().__init__(self.message())

    @property
    def location(self) -> str:
        return self.filename if self.line is None else f"{self.filename}:{self.line}"

    def message(self, translate: Callable[[str], str] | None = None) -> str:
        """The message, its templates passed through ``translate`` (e.g. Django's gettext)."""
        tr = translate or _identity
        expected = tr(self.expected) % self.params
        if not self.found:
            return tr(_EXPECTED) % {"location": self.location, "expected": expected}
        return tr(_EXPECTED_FOUND) % {
            "location": self.location,
            "expected": expected,
            "found": tr(self.found) % self.params,
        }


def _identity(message: str) -> str:
    return message


_EXPECTED = gettext_noop("%(location)s: expected %(expected)s")
_EXPECTED_FOUND = gettext_noop("%(location)s: expected %(expected)s, found %(found)s")


# The found text quoted from the file. Not translated: the template holds no words.
_QUOTED = '"%(text)s"'


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class WireStory:
    """One parsed story. ``local_time`` is the time as printed, without a zone: the importer
    reads it in the site's time zone."""

    filename: str
    headline: str
    local_time: datetime.datetime
    dateline_place: str
    dateline_source: str
    paragraphs: tuple[str, ...]
    byline: str

    @property
    def wire_key(self) -> str:
        return make_wire_key(self.headline, self.local_time)


def make_wire_key(headline: str, local_time: datetime.datetime) -> str:
    """The story's identity across imports: SHA-256 of the normalised headline and the time as
    printed. Casing, Unicode form and spacing of the headline do not matter, so a re-sent story
    finds its article again; a re-worded headline or a new time is a new story. The printed time
    is used (not the instant in UTC) so that changing the site's time zone later does not orphan
    stories imported before."""
    headline = " ".join(unicodedata.normalize("NFKC", headline).casefold().split())
    material = f"{headline}\n{local_time.strftime('%Y-%m-%d %H:%M:%S')}"
    return hashlib.sha256(material.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# Files and bytes to text


def parse_wire_file(path: Path | str) -> WireStory:
    """Read and parse a file on disk; the path as given names it in errors."""
    return parse_wire_text(read_wire_file(path), filename=str(path))


def parse_wire_bytes(data: bytes, *, filename: str) -> WireStory:
    """Decode and parse an uploaded file's bytes."""
    return parse_wire_text(decode_wire_bytes(data, filename=filename), filename=filename)


def read_wire_file(path: Path | str) -> str:
    """The text of a file on disk, with the same checks as ``decode_wire_bytes``."""
    filename = str(path)
    path = Path(path)
    try:
        if path.is_dir():
            raise WireTextError(filename, None, gettext_noop("a file"), gettext_noop("a directory"))
        with path.open("rb") as handle:
            # One byte over the cap is enough to know the file is too big.
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise WireTextError(
            filename, None, gettext_noop("a file"), gettext_noop("nothing at that path")
        ) from None
    except PermissionError:
        raise WireTextError(
            filename,
            None,
            gettext_noop("a file this user may read"),
            gettext_noop("a file without read permission"),
        ) from None
    except OSError as error:
        raise WireTextError(
            filename,
            None,
            gettext_noop("a readable file"),
            gettext_noop("an error: %(error)s"),
            {"error": error.strerror or str(error)},
        ) from None
    return decode_wire_bytes(data, filename=filename)


def decode_wire_bytes(data: bytes, *, filename: str) -> str:
    """UTF-8 text, with or without a byte-order mark. Refuses files over ``MAX_FILE_BYTES`` and
    bytes that are not UTF-8, naming the line of the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        raise WireTextError(
            filename,
            None,
            gettext_noop("a file of at most %(limit)s bytes"),
            gettext_noop("a bigger file"),
            {"limit": f"{MAX_FILE_BYTES:,}"},
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise WireTextError(
            filename,
            line,
            gettext_noop("UTF-8 text"),
            gettext_noop("the byte 0x%(byte)s, which is not UTF-8 (save the file as UTF-8)"),
            {"byte": f"{data[error.start]:02X}"},
        ) from None


# --------------------------------------------------------------------------------------------
# Text to story

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Control characters other than whitespace, and unpaired surrogates, mean a binary or
# mis-encoded file (UTF-16 read as UTF-8 is full of NULs); they cannot be stored as text either.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_TIME = re.compile(
    r"Time\s*:\s*(?P<value>(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})"
    r" (?P<hour>\d{1,2}):(?P<minute>\d{2}):(?P<second>\d{2}))",
    re.IGNORECASE,
)
_TIME_LABEL = re.compile(r"time\s*:", re.IGNORECASE)
_DATELINE = re.compile(r"\(\s*(?P<place>[^():]+?)\s*:\s*(?P<source>[^()]+?)\s*\)\s*(?P<rest>.*)")
_BY = re.compile(r"by\s+", re.IGNORECASE)

# The comment form of the scraped page, line by line. A *strong* line only ever appears in that
# form; a *weak* one (a provider's icon, "Name", "Website") could end a story too, so it is only
# dropped when a strong line comes before it. Lines are matched whole, after normalising
# whitespace, so a paragraph that merely mentions these words is never touched.
_STRONG_BOILERPLATE = re.compile(
    r"leave a (?:reply|comment)(?: to .{1,150}?)?(?: cancel reply)?"
    r"|fill in your details below or click an icon to log in\b.*"
    r"|you are commenting using your\b.*\baccount\b.*"
    r"|connecting to (?:%s|[\w.]+)(?:\.{3}|…)?",
    re.IGNORECASE,
)
_WEAK_BOILERPLATE = re.compile(
    r"(?:[\w.\-]+ ){0,2}(?:logo|photo|picture|image|avatar|icon)"
    r"|gravatar"
    r"|\(?log ?out / change \)?"
    r"|notify me of (?:new|follow-up) (?:comments|posts)(?: via| by) email\.?"
    r"|cancel(?: reply)?|post (?:comment|reply)|comment"
    r"|(?:email|name|website)\*?(?: ?\((?:required|address never made public)\))*\*?"
    r"|\(address never made public\)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


def _lines(text: str, *, filename: str) -> list[_Line]:
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff"))
    raws = _LINE_BREAK.split(text)
    if len(raws) > 1 and not raws[-1]:
        raws.pop()  # a final line break ends the last line; it does not start another
    lines = []
    for number, raw in enumerate(raws, start=1):
        if bad := _CONTROL.search(raw):
            raise WireTextError(
                filename,
                number,
                gettext_noop("text"),
                gettext_noop("the control character U+%(code)s (is this a text file?)"),
                {"code": f"{ord(bad.group()):04X}"},
            )
        lines.append(_Line(number, " ".join(raw.split())))
    return lines


def _boilerplate_start(lines: list[_Line]) -> int:
    """Index of the first line of the trailing comment form, or ``len(lines)`` if there is none:
    the longest run of form lines (blank lines aside) at the end, trimmed to open on a strong
    one."""
    strong_at = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        text = lines[index].text
        if not text:
            continue
        if _STRONG_BOILERPLATE.fullmatch(text):
            strong_at = index
        elif not _WEAK_BOILERPLATE.fullmatch(text):
            break
    return strong_at


def _paragraphs(lines: list[_Line]) -> list[list[_Line]]:
    groups: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        if line.text:
            current.append(line)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _join(group: list[_Line]) -> str:
    # A hard-wrapped paragraph reads as one paragraph.
    return " ".join(line.text for line in group)


def _parse_time(line: _Line, *, filename: str) -> datetime.datetime:
    match = _TIME.fullmatch(line.text)
    if not match:
        raise WireTextError(
            filename,
            line.number,
            gettext_noop('a line "Time: YYYY/MM/DD HH:MM:SS"'),
            _QUOTED,
            {"text": _quote(line.text)},
        )
    year, month, day, hour, minute, second = (
        int(match.group(name)) for name in ("year", "month", "day", "hour", "minute", "second")
    )
    try:
        # The time as printed; the importer attaches the site's zone (this module knows none).
        return datetime.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError:
        raise WireTextError(
            filename,
            line.number,
            gettext_noop('a real date and time after "Time:"'),
            gettext_noop('"%(text)s", which is not on the calendar or the clock'),
            {"text": match.group("value")},
        ) from None


def parse_wire_text(text: str, *, filename: str) -> WireStory:
    """Parse one story, or raise ``WireTextError`` naming the first line that does not fit."""
    lines = _lines(text, filename=filename)
    filled = [line for line in lines if line.text]
    if not filled:
        raise WireTextError(
            filename,
            1,
            gettext_noop("a headline"),
            gettext_noop("an empty file") if not text else gettext_noop("only blank lines"),
        )

    headline = filled[0]
    if _TIME_LABEL.match(headline.text):
        raise WireTextError(
            filename,
            headline.number,
            gettext_noop('a headline before the "Time:" line'),
            _QUOTED,
            {"text": _quote(headline.text)},
        )
    if len(headline.text) > MAX_HEADLINE_CHARS:
        raise WireTextError(
            filename,
            headline.number,
            gettext_noop("a headline of at most %(limit)d characters"),
            gettext_noop("%(count)d characters"),
            {"limit": MAX_HEADLINE_CHARS, "count": len(headline.text)},
        )
    if len(filled) < 2:
        raise WireTextError(
            filename,
            _line_after(headline, lines),
            gettext_noop('a line "Time: YYYY/MM/DD HH:MM:SS" after the headline'),
            gettext_noop("the end of the file"),
        )
    time_line = filled[1]
    local_time = _parse_time(time_line, filename=filename)

    after_time = lines[time_line.number :]  # line numbers are 1-based indexes into ``lines``
    form_start = _boilerplate_start(after_time)
    story, form = after_time[:form_start], after_time[form_start:]
    _refuse_unrecognised_form(story, filename=filename)
    groups = _paragraphs(story)
    # Where the story stops: the comment form's first line, or the line after the last text.
    if form:
        end, end_found = form[0].number, gettext_noop("the comment form")
    else:
        end = _line_after(groups[-1][-1] if groups else time_line, lines)
        end_found = gettext_noop("the end of the file")
    if not groups:
        raise WireTextError(
            filename, end, gettext_noop('the story, opening with "(Place: Source)"'), end_found
        )

    first = groups[0]
    dateline = _DATELINE.fullmatch(_join(first))
    if not dateline:
        raise WireTextError(
            filename,
            first[0].number,
            gettext_noop('the first paragraph to open with a dateline "(Place: Source)"'),
            _QUOTED,
            {"text": _quote(_join(first))},
        )
    place, source = dateline.group("place"), dateline.group("source")
    if len(place) > MAX_PLACE_CHARS:
        raise WireTextError(
            filename,
            first[0].number,
            gettext_noop("a dateline place of at most %(limit)d characters"),
            gettext_noop("%(count)d characters"),
            {"limit": MAX_PLACE_CHARS, "count": len(place)},
        )
    if len(source) > MAX_SOURCE_CHARS:
        raise WireTextError(
            filename,
            first[0].number,
            gettext_noop("a dateline source of at most %(limit)d characters"),
            gettext_noop("%(count)d characters"),
            {"limit": MAX_SOURCE_CHARS, "count": len(source)},
        )

    if len(groups) < 2:
        # The format always ends with the writer's name. A story without one is more likely cut
        # short than complete, so it is refused rather than published without a byline.
        raise WireTextError(filename, end, _EXPECTED_BYLINE, end_found)
    byline = _parse_byline(groups[-1], filename=filename)

    paragraphs = [dateline.group("rest"), *(_join(group) for group in groups[1:-1])]
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    if not paragraphs:
        raise WireTextError(
            filename,
            first[0].number,
            gettext_noop("story text after the dateline"),
            gettext_noop("only the dateline and the byline"),
        )
    return WireStory(
        filename=filename,
        headline=headline.text,
        local_time=local_time,
        dateline_place=place,
        dateline_source=source,
        paragraphs=tuple(paragraphs),
        byline=byline,
    )


def _line_after(line: _Line, lines: list[_Line]) -> int:
    # "Found the end of the file" points at the line after the last text, when there is one.
    return min(line.number + 1, len(lines))


_EXPECTED_BYLINE = gettext_noop("a byline (the writer's name on its own line) after the story")


def _reads_as_sentence(text: str) -> bool:
    """A last paragraph that ends like a sentence is the story's end, not a name: the byline is
    missing. A name may still end in an initial or an abbreviation ("Ali H.", "Jr.")."""
    if text[-1] in '!?…"”»:;':
        return True
    return text.endswith(".") and len(text.split()[-1].replace(".", "")) > 3


def _parse_byline(group: list[_Line], *, filename: str) -> str:
    line = group[0]
    if len(group) > 1:
        raise WireTextError(
            filename,
            line.number,
            _EXPECTED_BYLINE,
            gettext_noop("a paragraph of %(count)d lines"),
            {"count": len(group)},
        )
    if len(line.text) > MAX_BYLINE_CHARS:
        raise WireTextError(
            filename,
            line.number,
            gettext_noop("a byline (the writer's name) of at most %(limit)d characters"),
            gettext_noop("%(count)d characters"),
            {"limit": MAX_BYLINE_CHARS, "count": len(line.text)},
        )
    if _reads_as_sentence(line.text):
        raise WireTextError(
            filename,
            line.number,
            _EXPECTED_BYLINE,
            gettext_noop('"%(text)s", which reads as the end of a sentence'),
            {"text": _quote(line.text)},
        )
    by = _BY.match(line.text)
    return line.text[by.end() :] if by and line.text[by.end() :] else line.text


def _refuse_unrecognised_form(story: list[_Line], *, filename: str) -> None:
    """A strong comment-form line left in the story means the form holds a line this parser
    does not know: refuse, naming that line, rather than publish the form as story text."""
    markers = [line for line in story if _STRONG_BOILERPLATE.fullmatch(line.text)]
    if not markers:
        return
    marker = markers[-1]
    for line in story[story.index(marker) + 1 :]:
        if line.text and not _WEAK_BOILERPLATE.fullmatch(line.text):
            raise WireTextError(
                filename,
                line.number,
                gettext_noop('only comment-form lines after "%(marker)s"'),
                _QUOTED,
                {"marker": _quote(marker.text), "text": _quote(line.text)},
            )
