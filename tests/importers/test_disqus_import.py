"""``dateline import-disqus``: a Disqus forum's comments come in under the stories they were
written on — found by the WordPress plugin's identifier, by the story's address on whatever
host, or by an old address a WordPress import redirects — with their threads, statuses and
commenters; what matches nothing is reported; a second import changes nothing."""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dateline.discussion.models import Comment, Commenter, Thread
from dateline.importers import disqus
from dateline.importers.disqus import DisqusError, import_disqus
from dateline.importers.models import ImportedItem
from dateline.newsroom.models import ArticlePage
from dateline.notifications.models import OutboundMessage
from tests.factories import make_article

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "disqus" / "export.xml"
WORDPRESS = FIXTURES / "wordpress" / "newsroom.xml"
SOURCE = "disqus:courier-example"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_disqus", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def wordpress(home) -> None:
    """The Courier's WordPress site, imported first: its stories, their old addresses as
    redirects, and its own comments."""
    call_command("import_wordpress", str(WORDPRESS), stdout=io.StringIO(), stderr=io.StringIO())


def story(slug: str) -> ArticlePage:
    return ArticlePage.objects.get(slug=slug)


def by_key(key: str) -> Comment:
    row = ImportedItem.objects.get(source=SOURCE, kind="comment", source_id=key)
    return Comment.objects.get(pk=row.object_id)


# The import -----------------------------------------------------------------------------------


def test_threads_come_in_under_their_stories_and_the_rest_is_reported(wordpress, tmp_path):
    wordpress_comments = Comment.objects.count()
    report_file = tmp_path / "report.json"
    summary = run(str(EXPORT), "--report", str(report_file))

    assert f"Imported from {SOURCE}:" in summary
    assert "thread: 3 matched, 2 unmatched, 1 without comments" in summary
    # 9001-9005, 9007, 9010, 9011, 9020 are new; 9006 is WordPress's comment 501 already.
    assert "comment: 9 created, 1 matched, 3 skipped" in summary
    # Unmatched threads: their link and how many comments stay behind.
    assert (
        "thread 7004: no story here was at https://courier.example.org/2018/02/11/bridge-tolls/:"
        " its 2 comments were not imported" in summary
    )
    assert "https://blog.partner.example/2020/06/river-festival/" in summary
    assert Comment.objects.count() == wordpress_comments + 9

    ferry, members = story("ferry-service-resumes"), story("members-briefing")
    arabic = ArticlePage.objects.get(url_path__contains="عودة")
    assert by_key("9001").thread.article == ferry  # by identifier
    assert by_key("9010").thread.article == arabic  # by an old, redirected permalink
    assert by_key("9020").thread.article == members  # by its path on a new domain
    assert not ImportedItem.objects.filter(source=SOURCE, source_id__in=["9030", "9031", "9040"])

    report = json.loads(report_file.read_text())
    assert report["counts"]["comment"]["created"] == 9
    assert report["failed"] == 0
    assert not OutboundMessage.objects.exists()  # nobody is emailed about an archive


def test_replies_statuses_and_commenters(wordpress):
    run(str(EXPORT))
    top, reply, deleted, answer = (by_key(k) for k in ("9001", "9002", "9003", "9005"))
    # Replies kept threaded, through a deleted comment.
    assert top.parent is None
    assert reply.parent == top
    assert deleted.parent == reply
    assert answer.parent == deleted
    assert top.body == "Glad the boats are back. The bridge queue was **two hours** last week."
    assert reply.body == "Same here.\nDoes the early boat still run at six?"
    assert str(top.created_at) == "2019-05-05 09:00:00+00:00"
    assert top.ip_address == "198.51.100.7"

    # Deleted on Disqus: in the trash, kept so its reply stays in place; spam stays spam.
    assert deleted.status == Comment.Status.TRASH
    assert deleted.body == "(deleted on Disqus)"
    assert by_key("9004").status == Comment.Status.SPAM
    assert top.status == answer.status == Comment.Status.APPROVED

    # The WordPress comment Disqus's plugin had copied is not shown twice, and the Disqus
    # reply to it hangs under the WordPress one.
    ferry = story("ferry-service-resumes")
    from_wordpress = ImportedItem.objects.get(
        source__startswith="wordpress:", kind="comment", source_id="501"
    )
    assert by_key("9007").parent_id == from_wordpress.object_id
    assert Comment.objects.filter(thread__article=ferry, body__contains="grandmother").count() == 1

    # Same email, one commenter: across Disqus threads, and with the WordPress comments.
    samir = Commenter.objects.get(provider="guest", subject="samir@example.net")
    assert top.commenter == samir
    assert Comment.objects.get(pk=from_wordpress.object_id).commenter == samir
    assert by_key("9003").commenter == by_key("9007").commenter == reply.commenter

    # Anonymous readers without an email: one commenter per name, named as they were.
    east, basra = by_key("9010"), by_key("9011")
    assert (east.author_name, basra.author_name) == ("Reader on the east bank", "Guest from Basra")
    assert east.commenter != basra.commenter
    assert east.commenter.provider == "archive"
    assert east.commenter.email == ""

    # Counters: approved comments only.
    thread = Thread.objects.get(article=story("members-briefing"))
    assert thread.approved_count == 1
    arabic_thread = east.thread
    assert arabic_thread.approved_count == 2


def test_a_page_of_a_site_that_embeds_the_discussion_gets_its_thread(wordpress, settings):
    settings.DATELINE_EMBED_ORIGINS = ["https://blog.partner.example"]
    summary = run(str(EXPORT))
    assert "thread: 3 matched, 1 unmatched, 1 embedded page, 1 without comments" in summary
    comment = by_key("9040")
    assert comment.thread.article is None
    assert comment.thread.url == "https://blog.partner.example/2020/06/river-festival/"
    assert comment.thread.title == "River festival: the programme"
    assert comment.thread.key == "embed:url:https://blog.partner.example/2020/06/river-festival/"


def test_a_second_import_changes_nothing_and_a_newer_export_updates(wordpress, tmp_path):
    run(str(EXPORT))
    comments = {c.pk: (c.status, c.body, c.parent_id) for c in Comment.objects.all()}
    rows = ImportedItem.objects.count()
    commenters = Commenter.objects.count()

    summary = run(str(EXPORT))
    assert "comment: 1 matched, 9 unchanged, 3 skipped" in summary
    assert {c.pk: (c.status, c.body, c.parent_id) for c in Comment.objects.all()} == comments
    assert ImportedItem.objects.count() == rows
    assert Commenter.objects.count() == commenters

    # A newer export: a comment edited, one marked spam since, a new reply.
    newer = tmp_path / "newer.xml"
    text = EXPORT.read_text(encoding="utf-8")
    text = text.replace("Thanks for explaining where the money goes.", "Thanks, very clear.")
    text = text.replace(
        "<isSpam>false</isSpam>\n    <author>\n      <name>Guest from Basra",
        "<isSpam>true</isSpam>\n    <author>\n      <name>Guest from Basra",
    )
    new_post = """  <post dsq:id="9050">
    <message><![CDATA[<p>And on Fridays?</p>]]></message>
    <createdAt>2019-05-06T08:00:00Z</createdAt>
    <isDeleted>false</isDeleted>
    <isSpam>false</isSpam>
    <author><name>Omar</name><email>omar@example.org</email></author>
    <thread dsq:id="7001"/>
    <parent dsq:id="9005"/>
  </post>
</disqus>"""
    newer.write_text(text.replace("</disqus>", new_post), encoding="utf-8")
    summary = run(str(newer))
    assert "comment: 1 created, 1 matched, 2 updated, 7 unchanged, 3 skipped" in summary
    assert by_key("9020").body == "Thanks, very clear."
    assert by_key("9011").status == Comment.Status.SPAM
    assert by_key("9050").parent == by_key("9005")
    assert by_key("9011").thread.approved_count == 1


def test_an_interrupted_import_carries_on(wordpress, monkeypatch):
    """A thread that fails is rolled back and reported; the next run finishes the job."""
    real = disqus._import_thread

    def fail_on_members(run, thread, match, posts):  # type: ignore[no-untyped-def]
        if thread.dsq_id == "7003":
            raise ValueError("the database went away")
        return real(run, thread, match, posts)

    monkeypatch.setattr(disqus, "_import_thread", fail_on_members)
    report = import_disqus(EXPORT)
    assert report.failed == 1
    assert any("thread 7003" in str(w) and "went away" in str(w) for w in report.warnings)
    assert not ImportedItem.objects.filter(source=SOURCE, source_id="9020").exists()

    monkeypatch.setattr(disqus, "_import_thread", real)
    report = import_disqus(EXPORT)
    assert report.failed == 0
    assert report.counts[("comment", "created")] == 1
    assert by_key("9020").thread.article == story("members-briefing")


def test_posts_are_gathered_in_batches(wordpress, monkeypatch):
    """However the posts of a thread are spread through the file, each thread is written
    whole, also when the posts are read in several passes."""
    monkeypatch.setattr(disqus, "BATCH_POSTS", 2)
    report = import_disqus(EXPORT)
    assert report.counts[("comment", "created")] == 9
    assert by_key("9005").parent == by_key("9003")


def test_a_dry_run_writes_nothing(wordpress):
    comments, threads = Comment.objects.count(), Thread.objects.count()
    rows = ImportedItem.objects.count()
    summary = run(str(EXPORT), "--dry-run")
    assert f"Would import from {SOURCE}:" in summary
    assert "comment: 9 created, 1 matched, 3 skipped" in summary
    assert "thread 7004" in summary
    assert (Comment.objects.count(), Thread.objects.count()) == (comments, threads)
    assert ImportedItem.objects.count() == rows


# Files that are not a Disqus export ------------------------------------------------------------


def test_a_malformed_file_is_refused_with_its_line_and_nothing_written(home, tmp_path):
    broken = tmp_path / "export.xml"
    lines = EXPORT.read_text(encoding="utf-8").splitlines()
    # A post cut short near the end: everything before it is fine.
    broken.write_text("\n".join(lines[:-8]) + "\n", encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        run(str(broken))
    assert raised.value.returncode == 2
    assert str(raised.value).startswith(f"{broken}:")
    line = int(str(raised.value).split(":")[1])
    assert line >= len(lines) - 8
    assert "not well-formed" in str(raised.value)
    assert not Comment.objects.exists()
    assert not Thread.objects.exists()
    assert not ImportedItem.objects.exists()


def test_a_file_of_another_kind_is_refused(home, tmp_path):
    with pytest.raises(DisqusError) as raised:
        import_disqus(WORDPRESS)
    assert re.match(
        rf"{re.escape(str(WORDPRESS))}:\d+: this is not a Disqus export", str(raised.value)
    )

    with pytest.raises(CommandError) as missing:
        run(str(tmp_path / "nothing.xml"))
    assert missing.value.returncode == 2


def test_a_compressed_export_is_read_as_it_is(wordpress, tmp_path):
    packed = tmp_path / "export.xml.gz"
    with EXPORT.open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    assert import_disqus(packed).counts[("comment", "created")] == 9


def test_odd_posts_are_reported(home, tmp_path, section):
    article = make_article(section, title="Quay works", slug="quay-works")
    odd = tmp_path / "odd.xml"
    odd.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="1">
    <forum>odd</forum>
    <link>https://example.org{article.url}</link>
  </thread>
  <post dsq:id="11">
    <message><![CDATA[<p>No time.</p>]]></message>
    <createdAt>yesterday</createdAt>
    <author><name>A</name></author>
    <thread dsq:id="1"/>
  </post>
  <post dsq:id="12">
    <message><![CDATA[<p>Fine.</p>]]></message>
    <createdAt>2020-01-01T10:00:00Z</createdAt>
    <author><name>B</name></author>
    <thread dsq:id="1"/>
    <parent dsq:id="11"/>
  </post>
  <post dsq:id="13">
    <message><![CDATA[<p>Where?</p>]]></message>
    <createdAt>2020-01-01T10:00:00Z</createdAt>
    <author><name>C</name></author>
    <thread dsq:id="2"/>
  </post>
</disqus>
""",
        encoding="utf-8",
    )
    report = import_disqus(odd)
    assert report.source == "disqus:odd"
    assert report.failed == 1
    messages = [str(w) for w in report.warnings]
    assert any(m.startswith("line 7: comment 11: it has no readable time") for m in messages)
    assert any(
        "thread 2: 1 comment belongs to a thread the export does not list" in m for m in messages
    )
    # The reply whose parent could not come in stands on its own.
    row = ImportedItem.objects.get(source="disqus:odd", source_id="12")
    reply = Comment.objects.get(pk=row.object_id)
    assert reply.parent is None
    assert reply.thread.article == article
