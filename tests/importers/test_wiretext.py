"""The parser on its own: no database, no Django."""

from __future__ import annotations

import datetime

import pytest

from dateline.importers.wiretext import (
    MAX_FILE_BYTES,
    WireTextError,
    decode_wire_bytes,
    make_wire_key,
    parse_wire_bytes,
    parse_wire_file,
    parse_wire_text,
)
from tests.importers.conftest import STORY

FORM = """Leave a Reply

Fill in your details below or click an icon to log in: Logo

You are commenting using your account. Log Out /  Change )

Connecting to %s"""


def error_for(text: str, name: str = "bad.txt") -> str:
    with pytest.raises(WireTextError) as caught:
        parse_wire_text(text, filename=name)
    return str(caught.value)


# --- Good files ------------------------------------------------------------------------------


def test_a_story_with_the_scraped_comment_form_is_read_field_by_field(fixture_path):
    story = parse_wire_file(fixture_path("ferry.txt"))

    assert story.headline == "Ferry service resumes on the Tigris"
    assert story.local_time == datetime.datetime(2020, 11, 20, 21, 28, 39)
    assert (story.dateline_place, story.dateline_source) == ("Baghdad", "River Wire")
    assert story.paragraphs[0].startswith("The ferry company said on Friday")
    assert story.paragraphs[-1].startswith("The spokesman added: “We only ask")
    assert len(story.paragraphs) == 3
    assert story.byline == "Rana Aziz"


def test_the_comment_form_never_reaches_the_story(fixture_path):
    story = parse_wire_file(fixture_path("ferry.txt"))

    text = "\n".join(story.paragraphs)
    for boilerplate in (
        "Leave a Reply",
        "Fill in your details",
        "You are commenting",
        "Connecting to",
        "photo",
    ):
        assert boilerplate not in text


def test_a_variant_comment_form_with_other_providers_lines_missing_and_stray_spaces_is_dropped(
    fixture_path,
):
    story = parse_wire_file(fixture_path("variant_form.txt"))

    assert story.headline == "Night buses added for the book fair"
    assert story.local_time == datetime.datetime(2022, 3, 15, 18, 40)
    assert story.dateline_source == "Gulf Desk"
    assert story.paragraphs == (
        "The transport office said extra buses would leave the fairground every half hour after nine in the evening until the fair closes.",
        "Tickets bought for the day buses are valid on the night ones as well.",
    )
    assert story.byline == "Layla Hassan"  # "By " is not part of the name


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(FORM, id="as-on-the-model-page"),
        pytest.param(FORM.rsplit("\n", 1)[0], id="last-line-missing"),
        pytest.param("Leave a Reply\n", id="heading-only"),
        pytest.param(FORM.replace("Leave a Reply\n\n", ""), id="heading-missing"),
        pytest.param(FORM.replace("\n", "  \t\n") + "   \n\n\n", id="trailing-whitespace"),
        pytest.param(
            FORM.replace("your account", "your WordPress.com account").replace(
                "Logo", "WordPress.com Logo"
            ),
            id="other-provider",
        ),
        pytest.param(
            "Leave a Reply to Sami Cancel reply\n\nName (required)\n\nEmail (Address never made public)\n\nWebsite\n\nNotify me of new comments via email.\n\nPost Comment\n",
            id="wordpress-reply-form",
        ),
    ],
)
def test_the_comment_form_is_dropped_in_its_variants(form):
    story = parse_wire_text(STORY + "\n" + form, filename="story.txt")

    assert story.byline == "Rana Aziz"
    assert story.paragraphs == (
        "The ferry company said on Friday that its boats would run again.",
        "The spokesman asked passengers to be patient.",
    )


def test_story_text_that_mentions_the_comment_form_words_mid_paragraph_is_kept(fixture_path):
    story = parse_wire_file(fixture_path("orchard.txt"))

    assert "a notice headed Leave a Reply, asking members" in story.paragraphs[1]
    assert story.paragraphs[1].endswith("kept showing Connecting to %s.")
    assert story.byline == "Omar Khalil"


def test_a_hard_wrapped_paragraph_is_joined_into_one(fixture_path):
    story = parse_wire_file(fixture_path("orchard.txt"))

    assert story.paragraphs[0] == (
        "Apricot growers in the hills north of the city said on Thursday that a single night of "
        "frost had cost them half of this year's blossom."
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(STORY.encode(), id="LF"),
        pytest.param(STORY.replace("\n", "\r\n").encode(), id="CRLF"),
        pytest.param(STORY.replace("\n", "\r").encode(), id="lone-CR"),
        pytest.param(b"\xef\xbb\xbf" + STORY.encode(), id="BOM"),
        pytest.param(b"\xef\xbb\xbf" + STORY.replace("\n", "\r\n").encode(), id="BOM-and-CRLF"),
    ],
)
def test_line_endings_and_a_byte_order_mark_make_no_difference(data):
    story = parse_wire_bytes(data, filename="story.txt")

    assert story == parse_wire_text(STORY, filename="story.txt")
    assert story.headline == "Ferry service resumes on the Tigris"


def test_tabs_non_breaking_and_doubled_spaces_become_single_spaces():
    text = STORY.replace("Ferry service", "Ferry\tservice\xa0\xa0").replace(
        "said on", "said  \u2009on"
    )

    story = parse_wire_text(text, filename="story.txt")

    assert story.headline == "Ferry service resumes on the Tigris"
    assert story.paragraphs[0].startswith("The ferry company said on Friday")


def test_a_place_only_dateline_is_not_enough_and_a_dateline_alone_on_its_line_is_accepted():
    alone = STORY.replace("(Baghdad: River Wire) ", "(Baghdad: River Wire)\n\n")

    story = parse_wire_text(alone, filename="story.txt")

    assert story.dateline_place == "Baghdad"
    assert story.paragraphs[0] == "The ferry company said on Friday that its boats would run again."
    assert "expected the first paragraph to open with a dateline" in error_for(
        STORY.replace("(Baghdad: River Wire)", "(Baghdad)")
    )


def test_the_wire_key_ignores_case_spacing_and_unicode_form_but_not_the_time():
    when = datetime.datetime(2020, 11, 20, 21, 28, 39)

    assert make_wire_key("Ferry  service resumes", when) == make_wire_key(
        "ferry service RESUMES", when
    )
    assert make_wire_key("Café reopens", when) == make_wire_key("Cafe\u0301 reopens", when)
    assert make_wire_key("Ferry service resumes", when) != make_wire_key(
        "Ferry service resumes", when + datetime.timedelta(seconds=1)
    )
    assert len(make_wire_key("x", when)) == 64


# --- Malformed files -------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    assert error_for("") == "bad.txt:1: expected a headline, found an empty file"


def test_a_file_of_only_whitespace_is_refused():
    assert error_for(" \n\t\n\xa0\r\n") == "bad.txt:1: expected a headline, found only blank lines"


def test_a_file_that_starts_with_the_time_line_is_refused_for_its_missing_headline():
    text = STORY.split("\n", 2)[2]

    assert error_for(text) == (
        'bad.txt:1: expected a headline before the "Time:" line, found "Time: 2020/11/20 21:28:39"'
    )


def test_a_story_of_only_a_dateline_and_a_byline_is_refused_for_its_missing_text():
    text = (
        "Ferry service resumes\n\nTime: 2020/11/20 21:28:39\n\n(Baghdad: River Wire)\n\nRana Aziz\n"
    )

    assert error_for(text) == (
        "bad.txt:5: expected story text after the dateline, found only the dateline and the byline"
    )


def test_a_file_with_only_a_headline_is_refused_at_the_end():
    assert error_for("Ferry service resumes\n") == (
        'bad.txt:1: expected a line "Time: YYYY/MM/DD HH:MM:SS" after the headline, found the end of the file'
    )


def test_a_missing_time_line_is_refused_naming_what_came_instead():
    text = STORY.replace("Time: 2020/11/20 21:28:39\n\n", "")

    assert error_for(text) == (
        'bad.txt:3: expected a line "Time: YYYY/MM/DD HH:MM:SS", '
        'found "(Baghdad: River Wire) The ferry company said on Friday that…"'
    )


def test_a_misspelt_time_line_is_refused_with_its_line_number(fixture_path):
    with pytest.raises(WireTextError) as caught:
        parse_wire_file(fixture_path("bad_time.txt"))

    assert caught.value.line == 3
    assert str(caught.value).endswith(
        'bad_time.txt:3: expected a line "Time: YYYY/MM/DD HH:MM:SS", found "Tme: 2020/11/20"'
    )


@pytest.mark.parametrize(
    "value", ["2020/11/20", "2020-11-20 21:28:39", "20/11/2020 21:28:39", "2020/11/20 21:28"]
)
def test_a_time_line_in_another_format_is_refused(value):
    assert error_for(STORY.replace("2020/11/20 21:28:39", value)) == (
        f'bad.txt:3: expected a line "Time: YYYY/MM/DD HH:MM:SS", found "Time: {value}"'
    )


@pytest.mark.parametrize(
    "value", ["2020/13/45 21:28:39", "2021/02/29 10:00:00", "2020/11/20 24:00:00"]
)
def test_an_impossible_date_or_time_is_refused(value):
    assert error_for(STORY.replace("2020/11/20 21:28:39", value)) == (
        f'bad.txt:3: expected a real date and time after "Time:", found "{value}", '
        "which is not on the calendar or the clock"
    )


def test_a_file_that_ends_after_the_time_line_is_refused_for_its_missing_body():
    assert error_for("Ferry service resumes\n\nTime: 2020/11/20 21:28:39\n") == (
        'bad.txt:3: expected the story, opening with "(Place: Source)", found the end of the file'
    )


def test_a_file_with_only_the_comment_form_after_the_time_is_refused_for_its_missing_body():
    assert error_for("Ferry service resumes\n\nTime: 2020/11/20 21:28:39\n\n" + FORM) == (
        'bad.txt:5: expected the story, opening with "(Place: Source)", found the comment form'
    )


def test_a_first_paragraph_without_a_dateline_is_refused():
    text = STORY.replace("(Baghdad: River Wire) ", "")

    assert error_for(text) == (
        'bad.txt:5: expected the first paragraph to open with a dateline "(Place: Source)", '
        'found "The ferry company said on Friday that its boats would run a…"'
    )


def test_a_story_of_one_paragraph_without_a_byline_is_refused():
    text = STORY.split("\n\nThe spokesman")[0] + "\n\n" + FORM

    assert error_for(text) == (
        "bad.txt:7: expected a byline (the writer's name on its own line) after the story, "
        "found the comment form"
    )


def test_a_last_paragraph_that_reads_as_a_sentence_is_not_taken_for_a_byline():
    text = STORY.replace("\nRana Aziz\n", "")

    assert error_for(text) == (
        "bad.txt:7: expected a byline (the writer's name on its own line) after the story, "
        'found "The spokesman asked passengers to be patient.", which reads as the end of a sentence'
    )


def test_a_byline_joined_to_the_paragraph_above_is_refused():
    text = STORY.replace("patient.\n\nRana Aziz", "patient.\nRana Aziz")

    assert error_for(text) == (
        "bad.txt:7: expected a byline (the writer's name on its own line) after the story, "
        "found a paragraph of 2 lines"
    )


def test_a_headline_longer_than_a_page_title_may_be_is_refused():
    text = STORY.replace("Ferry service resumes on the Tigris", "Ferry " * 50)

    assert error_for(text) == (
        "bad.txt:1: expected a headline of at most 255 characters, found 299 characters"
    )


def test_an_over_long_dateline_place_is_refused_rather_than_truncated():
    text = STORY.replace("Baghdad", "B" * 101)

    assert error_for(text) == (
        "bad.txt:5: expected a dateline place of at most 100 characters, found 101 characters"
    )


def test_a_comment_form_line_the_parser_does_not_know_is_named_instead_of_published():
    text = STORY + "\n" + FORM.replace("Reply\n", "Reply\n\nPowered by Example Blogs\n")

    assert error_for(text) == (
        'bad.txt:13: expected only comment-form lines after "Leave a Reply", '
        'found "Powered by Example Blogs"'
    )


def test_invalid_utf8_is_refused_with_the_line_of_the_bad_byte():
    data = STORY.replace("\n", "\r\n").encode().replace(b"Friday", b"Fr\xe9day")

    with pytest.raises(WireTextError) as caught:
        parse_wire_bytes(data, filename="latin1.txt")

    assert str(caught.value) == (
        "latin1.txt:5: expected UTF-8 text, found the byte 0xE9, which is not UTF-8 (save the file as UTF-8)"
    )


def test_a_utf16_file_is_refused_rather_than_read_as_noise():
    with pytest.raises(WireTextError) as caught:
        parse_wire_bytes(STORY.encode("utf-16-le"), filename="utf16.txt")

    assert str(caught.value) == (
        "utf16.txt:1: expected text, found the control character U+0000 (is this a text file?)"
    )


def test_a_file_over_the_size_cap_is_refused_before_it_is_parsed():
    with pytest.raises(WireTextError) as caught:
        decode_wire_bytes(b"x" * (MAX_FILE_BYTES + 1), filename="huge.txt")

    assert (
        str(caught.value)
        == "huge.txt: expected a file of at most 1,048,576 bytes, found a bigger file"
    )


def test_a_big_file_on_disk_is_refused_too(story_file):
    path = story_file(STORY + "\n" * MAX_FILE_BYTES)

    with pytest.raises(WireTextError, match="expected a file of at most 1,048,576 bytes"):
        parse_wire_file(path)


def test_a_file_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(WireTextError) as caught:
        parse_wire_file(tmp_path / "missing.txt")

    assert (
        str(caught.value)
        == f"{tmp_path / 'missing.txt'}: expected a file, found nothing at that path"
    )


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(WireTextError) as caught:
        parse_wire_file(tmp_path)

    assert str(caught.value) == f"{tmp_path}: expected a file, found a directory"


def test_an_error_is_translated_part_by_part_with_the_file_and_line_kept():
    french = {
        "%(location)s: expected %(expected)s, found %(found)s": "%(location)s : attendu %(expected)s, trouvé %(found)s",
        "a headline": "un titre",
        "an empty file": "un fichier vide",
    }
    with pytest.raises(WireTextError) as caught:
        parse_wire_text("", filename="empty.txt")

    assert caught.value.message(lambda m: french.get(m, m)) == (
        "empty.txt:1 : attendu un titre, trouvé un fichier vide"
    )
