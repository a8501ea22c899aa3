"""``dateline import-text``: what it writes, what it says, and its exit status."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
import zoneinfo
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from dateline.importers import actions as importer_actions
from dateline.newsroom import actions as newsroom_actions
from dateline.newsroom.models import ArticlePage
from tests.factories import AuthorFactory
from tests.importers.conftest import STORY
from tests.servers import PROJECT_DIR, server_env

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    """Run the command as ``call_command`` does; return what it wrote to stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_text", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[str, str, CommandError]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_text", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), caught.value


def paragraphs(article: ArticlePage) -> list[str]:
    return [str(block.value.source) for block in article.body]


# --- Creating ------------------------------------------------------------------------------


def test_a_story_is_created_as_a_draft_in_the_first_section_with_every_field(
    section, fixture_path, settings
):
    settings.TIME_ZONE = "Asia/Baghdad"
    newsroom_actions.create_section(parent=section.get_parent(), title="Business", slug="business")

    out, err = run(fixture_path("ferry.txt"))

    article = ArticlePage.objects.get()
    assert out == (
        f'{fixture_path("ferry.txt")}: created draft "Ferry service resumes on the Tigris" '
        "(/world/ferry-service-resumes-on-the-tigris/)\n"
    )
    assert err == ""
    assert article.get_parent().pk == section.pk
    assert not article.live
    assert article.title == "Ferry service resumes on the Tigris"
    assert article.published_at == datetime.datetime(
        2020, 11, 20, 21, 28, 39, tzinfo=zoneinfo.ZoneInfo("Asia/Baghdad")
    )
    assert (article.dateline_place, article.dateline_source) == ("Baghdad", "River Wire")
    assert len(article.wire_key) == 64


def test_paragraphs_become_escaped_paragraph_blocks_without_the_dateline(section, fixture_path):
    run(fixture_path("ferry.txt"))

    article = ArticlePage.objects.get()
    assert [block.block_type for block in article.body] == ["paragraph"] * 3
    assert paragraphs(article) == [
        "<p>The ferry company said on Friday that its boats would run again between the two banks of the old city from Sunday morning, after three weeks tied up at the quay.</p>",
        "<p>The company&#x27;s director said the engines had been overhauled &amp; that every boat now carries twice as many life jackets as before &lt;as the new rules require&gt;.</p>",
        "<p>The spokesman added: “We only ask passengers to be patient while the timetable settles.”</p>",
    ]


def test_the_comment_form_does_not_reach_the_article(section, fixture_path):
    run(fixture_path("ferry.txt"), fixture_path("variant_form.txt"))

    for article in ArticlePage.objects.all():
        body = " ".join(paragraphs(article))
        for boilerplate in (
            "Leave a Reply",
            "Connecting to",
            "You are commenting",
            "Notify me",
            "picture",
        ):
            assert boilerplate not in body
        assert "Logo" not in body


def test_publish_creates_a_live_article_readers_can_open(client, section, fixture_path):
    out, _ = run("--publish", fixture_path("ferry.txt"))

    article = ArticlePage.objects.get()
    assert 'created and published "Ferry service resumes on the Tigris"' in out
    assert article.live
    response = client.get(article.url)
    assert response.status_code == HTTPStatus.OK
    assert (
        '<span class="dateline">(Baghdad: River Wire)</span> The ferry company said on Friday'
        in response.content.decode()
    )


def test_section_chooses_where_new_articles_go(section, fixture_path):
    business = newsroom_actions.create_section(
        parent=section.get_parent(), title="Business", slug="business"
    )

    out, _ = run("--section", "business", fixture_path("orchard.txt"))

    assert ArticlePage.objects.get().get_parent().pk == business.pk
    assert "(/business/orchard-growers-count-the-cost-of-a-late-frost/)" in out


def test_section_also_takes_a_path_when_a_slug_is_used_twice(section, fixture_path):
    home = section.get_parent()
    business = newsroom_actions.create_section(parent=home, title="Business", slug="business")
    newsroom_actions.create_section(parent=section, title="Markets", slug="markets")
    business_markets = newsroom_actions.create_section(
        parent=business, title="Markets", slug="markets"
    )

    _, _, error = run_failing("--section", "markets", fixture_path("orchard.txt"))
    assert (
        str(error)
        == 'Several sections answer to "markets": world/markets, business/markets. Give more of the path.'
    )

    run("--section", "business/markets", fixture_path("orchard.txt"))
    assert ArticlePage.objects.get().get_parent().pk == business_markets.pk


def test_an_unknown_section_is_a_clear_error_and_nothing_is_imported(section, fixture_path):
    _, _, error = run_failing("--section", "sport", fixture_path("ferry.txt"))

    assert str(error) == 'There is no section "sport". Sections: world.'
    assert not ArticlePage.objects.exists()


def test_without_any_section_the_command_says_to_create_one(home, fixture_path):
    _, _, error = run_failing(fixture_path("ferry.txt"))

    assert str(error) == "There is no section to import into yet: create one in the admin first."


# --- Bylines -------------------------------------------------------------------------------


def test_a_byline_naming_a_staff_author_links_to_them_ignoring_case_and_spacing(
    section, story_file
):
    author = AuthorFactory(name="Rana Aziz", slug="rana-aziz")

    run(story_file(STORY.replace("Rana Aziz", "RANA\t aziz")))

    byline = ArticlePage.objects.get().bylines.get()
    assert byline.author == author
    assert byline.guest_name == ""


def test_a_byline_naming_nobody_on_staff_is_kept_as_a_guest_byline(section, fixture_path):
    AuthorFactory(name="Rana Aziz", slug="rana-aziz")

    run(fixture_path("orchard.txt"))

    byline = ArticlePage.objects.get().bylines.get()
    assert byline.author is None
    assert byline.guest_name == "Omar Khalil"


# --- Importing again -----------------------------------------------------------------------


def test_importing_the_same_file_twice_updates_the_article_instead_of_duplicating_it(
    section, fixture_path
):
    run(fixture_path("ferry.txt"))
    article = ArticlePage.objects.get()

    out, _ = run(fixture_path("ferry.txt"))

    assert ArticlePage.objects.get().pk == article.pk
    assert out.startswith(
        f'{fixture_path("ferry.txt")}: unchanged "Ferry service resumes on the Tigris"'
    )
    assert article.revisions.count() == 1


def test_a_changed_story_is_saved_as_a_new_revision_of_the_same_article(section, story_file):
    run(story_file())
    article = ArticlePage.objects.get()

    out, _ = run(
        story_file(
            STORY.replace("be patient", "be patient this week").replace("Rana Aziz", "Sami Yousef")
        )
    )

    article.refresh_from_db()
    assert ArticlePage.objects.count() == 1
    assert out.startswith(f'{story_file()}: updated "Ferry service resumes on the Tigris"')
    assert article.revisions.count() == 2
    latest = article.get_latest_revision_as_object()
    assert (
        paragraphs(latest)[-1] == "<p>The spokesman asked passengers to be patient this week.</p>"
    )
    assert latest.bylines.get().guest_name == "Sami Yousef"


def test_the_same_story_with_different_spacing_and_line_endings_is_still_the_same_story(
    section, story_file
):
    run(story_file())

    out, _ = run(
        story_file(
            ("\ufeff" + STORY.replace("Ferry service", "Ferry  service")).replace("\n", "\r\n")
        )
    )

    assert ArticlePage.objects.count() == 1
    assert ": unchanged " in out


def test_an_update_of_a_live_article_stays_a_draft_until_published_again(section, story_file):
    run("--publish", story_file())
    article = ArticlePage.objects.get()

    out, _ = run(story_file(STORY.replace("be patient", "be very patient")))
    article.refresh_from_db()
    assert ": updated " in out
    assert article.live
    assert article.has_unpublished_changes
    assert "be very patient" not in str(article.body)

    out, _ = run("--publish", story_file(STORY.replace("be patient", "be very patient")))
    article.refresh_from_db()
    assert ": published " in out
    assert not article.has_unpublished_changes
    assert "be very patient" in str(article.body)


def test_a_changed_story_imported_with_publish_is_updated_and_published(section, story_file):
    run("--publish", story_file())

    out, _ = run("--publish", story_file(STORY.replace("be patient", "be very patient")))

    article = ArticlePage.objects.get()
    assert ": updated and published " in out
    assert "be very patient" in str(article.body)
    assert not article.has_unpublished_changes


def test_what_editors_added_that_the_wire_does_not_carry_survives_a_reimport(section, story_file):
    run(story_file())
    article = ArticlePage.objects.get()
    newsroom_actions.update_article(
        article=article,
        title=article.title,
        body=[newsroom_actions.Block("paragraph", "<p>Edited in the admin.</p>")],
        bylines=["Rana Aziz"],
        standfirst="Boats run again from Sunday.",
        tags=["transport"],
        dateline_place="Baghdad",
        dateline_source="River Wire",
        published_at=article.published_at,
    )

    out, _ = run(story_file())

    latest = ArticlePage.objects.get().get_latest_revision_as_object()
    assert ": updated " in out
    assert latest.standfirst == "Boats run again from Sunday."
    assert [tag.name for tag in latest.tags.all()] == ["transport"]
    assert (
        paragraphs(latest)[0]
        == "<p>The ferry company said on Friday that its boats would run again.</p>"
    )


def test_a_story_moved_to_another_section_by_an_editor_is_updated_where_it_now_is(
    section, story_file
):
    run(story_file())
    business = newsroom_actions.create_section(
        parent=section.get_parent(), title="Business", slug="business"
    )
    ArticlePage.objects.get().move(business, pos="last-child")

    out, _ = run(story_file(STORY.replace("be patient", "be very patient")))

    assert ArticlePage.objects.get().get_parent().pk == business.pk
    assert "(/business/ferry-service-resumes-on-the-tigris/)" in out


# --- Errors --------------------------------------------------------------------------------


def test_a_malformed_file_is_reported_with_file_and_line_and_the_command_fails(
    section, fixture_path
):
    out, err, error = run_failing(fixture_path("bad_time.txt"))

    assert out == ""
    assert err == (
        f'{fixture_path("bad_time.txt")}:3: expected a line "Time: YYYY/MM/DD HH:MM:SS", found "Tme: 2020/11/20"\n'
    )
    assert str(error) == "1 of 1 file was not imported."
    assert not ArticlePage.objects.exists()


def test_every_bad_file_is_reported_and_the_good_ones_are_still_imported(
    section, fixture_path, tmp_path
):
    (tmp_path / "empty.txt").write_bytes(b"")

    out, err, error = run_failing(
        fixture_path("ferry.txt"),
        fixture_path("bad_time.txt"),
        tmp_path / "empty.txt",
        tmp_path / "missing.txt",
        tmp_path,
        fixture_path("orchard.txt"),
    )

    assert str(error) == "4 of 6 files were not imported."
    assert out.count("created draft") == 2
    assert err.splitlines() == [
        f'{fixture_path("bad_time.txt")}:3: expected a line "Time: YYYY/MM/DD HH:MM:SS", found "Tme: 2020/11/20"',
        f"{tmp_path / 'empty.txt'}:1: expected a headline, found an empty file",
        f"{tmp_path / 'missing.txt'}: expected a file, found nothing at that path",
        f"{tmp_path}: expected a file, found a directory",
    ]
    assert ArticlePage.objects.count() == 2


def test_every_file_is_parsed_before_anything_is_written(section, fixture_path, monkeypatch):
    calls = []
    real_parse = importer_actions.import_stories

    def spy(**kwargs):
        calls.append([type(item).__name__ for item in kwargs["stories"]])
        return real_parse(**kwargs)

    monkeypatch.setattr(importer_actions, "import_stories", spy)

    run_failing(fixture_path("ferry.txt"), fixture_path("bad_time.txt"))

    assert calls == [["WireStory", "WireTextError"]]


def test_a_file_that_fails_to_save_leaves_nothing_behind_and_the_others_are_imported(
    section, fixture_path, monkeypatch
):
    real_create = newsroom_actions.create_article

    def create_then_fail(**kwargs):
        article = real_create(**kwargs)
        if kwargs["title"].startswith("Ferry"):
            raise IntegrityError("simulated failure after the page was added")
        return article

    monkeypatch.setattr(importer_actions.newsroom, "create_article", create_then_fail)

    out, err, error = run_failing(fixture_path("ferry.txt"), fixture_path("orchard.txt"))

    assert (
        err
        == f"{fixture_path('ferry.txt')}: not imported: it could not be saved (IntegrityError).\n"
    )
    assert "created draft" in out
    assert list(ArticlePage.objects.values_list("title", flat=True)) == [
        "Orchard growers count the cost of a late frost"
    ]
    assert str(error) == "1 of 2 files were not imported."


def test_quiet_verbosity_reports_only_failures(section, fixture_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_text", str(fixture_path("ferry.txt")), verbosity=0, stdout=out, stderr=err)

    assert out.getvalue() == ""
    assert ArticlePage.objects.count() == 1


# --- The real console command --------------------------------------------------------------


# The child process needs committed data, hence a transactional test. serialized_rollback keeps
# the flush afterwards from recreating content types under new ids, which breaks later tests
# that restore the migrated data (tests/server/test_page_cache.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dateline_console_command_imports_and_exits_non_zero_when_a_file_is_bad(
    section, fixture_path
):
    dateline = Path(sys.executable).with_name("dateline")

    result = subprocess.run(
        [
            dateline,
            "import-text",
            "--publish",
            fixture_path("ferry.txt"),
            fixture_path("bad_time.txt"),
        ],
        cwd=PROJECT_DIR,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert result.stdout == (
        f'{fixture_path("ferry.txt")}: created and published "Ferry service resumes on the Tigris" '
        "(/world/ferry-service-resumes-on-the-tigris/)\n"
    )
    assert (
        f'{fixture_path("bad_time.txt")}:3: expected a line "Time: YYYY/MM/DD HH:MM:SS"'
        in result.stderr
    )
    assert "1 of 2 files were not imported." in result.stderr
    assert ArticlePage.objects.get().live


# --- The model page ------------------------------------------------------------------------


def test_the_model_page_imports_with_its_dateline_time_and_byline_and_without_its_comment_form(
    client, section, seed_file, settings
):
    settings.TIME_ZONE = "Asia/Baghdad"
    # The expected headline is read from the file rather than copied into the repository.
    first_line = seed_file.read_text(encoding="utf-8").splitlines()[0]

    out, _ = run(seed_file)

    article = ArticlePage.objects.get()
    assert ": created draft " in out
    assert article.title == " ".join(first_line.split())
    assert "\xa0" not in article.title
    assert article.published_at == datetime.datetime(
        2020, 11, 20, 21, 28, 39, tzinfo=zoneinfo.ZoneInfo("Asia/Baghdad")
    )
    assert (article.dateline_place, article.dateline_source) == ("Baghdad", "Al Furat News")
    assert article.bylines.get().display_name == "Raghad Daham"
    body = " ".join(paragraphs(article))
    for boilerplate in (
        "Leave a Reply",
        "Connecting to",
        "You are commenting",
        "Raghad Daham",
        "(Baghdad",
    ):
        assert boilerplate not in body
    assert len(paragraphs(article)) == 7

    out, _ = run("--publish", seed_file)

    assert ": published " in out
    response = client.get(ArticlePage.objects.get().url)
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert '<span class="dateline">(Baghdad: Al Furat News)</span> ' in html
    assert '<time datetime="2020-11-20T21:28:39+03:00">2020/11/20 21:28:39</time>' in html
    assert "Raghad Daham" in html
