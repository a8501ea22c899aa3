"""``dateline import-wordpress``: a WordPress site moves in whole — sections, authors, stories at
their own times and states, pages, media, comments with their threads and statuses, and every
old address — and a second import changes nothing."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils.text import slugify
from PIL import Image as PILImage
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.models import PageViewRestriction, Revision

from dateline.discussion.models import Comment, Commenter, Mention, Thread
from dateline.importers.models import ImportedItem
from dateline.importers.wordpress.importer import import_wordpress
from dateline.newsroom.models import ArticlePage, Author, SectionPage, StandardPage
from dateline.notifications.models import FanOut, OutboundMessage

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "wordpress" / "newsroom.xml"


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    """A copy of wp-content/uploads holding one of the export's two pictures."""
    folder = tmp_path / "uploads" / "2019" / "05"
    folder.mkdir(parents=True)
    PILImage.new("RGB", (64, 48), (20, 90, 160)).save(folder / "harbour.jpg", "JPEG")
    return tmp_path / "uploads"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_wordpress", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def story(slug: str) -> ArticlePage:
    return ArticlePage.objects.get(slug=slug)


def test_posts_arrive_in_their_sections_at_their_own_time_and_state(home, uploads):
    summary = run(str(FIXTURE), "--media-dir", str(uploads))
    assert "post: 6 created" in summary

    news = SectionPage.objects.get(slug="news")
    ports = SectionPage.objects.get(slug="ports")
    assert ports.get_parent().pk == news.pk  # the category's hierarchy
    assert news.get_parent().pk == home.pk

    ferry = story("ferry-service-resumes")
    assert ferry.get_parent().pk == ports.pk  # the most specific of its categories
    assert ferry.live
    when = datetime.datetime(2019, 5, 4, 7, 15, tzinfo=datetime.UTC)
    assert ferry.published_at == when
    # Not "updated today": an archive item was last published when it was published.
    assert ferry.first_published_at == when
    assert ferry.last_published_at == when
    assert ferry.updated_time is None
    assert ferry.standfirst == "The first crossing since March carried forty passengers."
    assert sorted(t.name for t in ferry.tags.all()) == ["Ferries", "News"]
    assert [b.display_name for b in ferry.bylines.all()] == ["Nadia Karim"]
    assert Author.objects.get(name="Nadia Karim").bio.startswith("Covers the river ports")

    image = ferry.lead_image
    assert image is not None
    assert image.description == "Fishing boats tied up at first light"
    body_images = [b.value["image"] for b in ferry.body if b.block_type == "image"]
    assert body_images == [image]

    council = story("council-vote")
    assert not council.live
    assert council.go_live_at == datetime.datetime(2040, 1, 5, 6, 0, tzinfo=datetime.UTC)
    assert Revision.objects.filter(
        object_id=str(council.pk), approved_go_live_at__isnull=False
    ).exists()

    draft = ArticlePage.objects.get(title="Notes for a longer piece on silt")
    assert not draft.live

    arabic = ArticlePage.objects.get(title="عودة العبّارة إلى الضفة الشرقية")
    assert arabic.slug == slugify("عودة-العبّارة", allow_unicode=True)
    assert arabic.live

    # Nobody is emailed about stories from an archive.
    assert not OutboundMessage.objects.exists()
    assert all(f.finished_at is not None for f in FanOut.objects.all())


def test_protected_and_private_posts_stay_so(home, uploads, client: Client):
    run(str(FIXTURE), "--media-dir", str(uploads))
    members = story("members-briefing")
    restriction = PageViewRestriction.objects.get(page=members)
    assert restriction.restriction_type == PageViewRestriction.PASSWORD
    assert restriction.password == "river42"
    assert not members.comments_enabled  # comment_status closed

    memo = story("staff-memo")
    assert PageViewRestriction.objects.get(page=memo).restriction_type == PageViewRestriction.LOGIN

    page = client.get(members.url)
    assert b"forty-two thousand" not in page.content
    memo_page = client.get(memo.url)
    assert memo_page.status_code in {302, 403} or b"Internal only" not in memo_page.content
    for address in ("/feed/rss/", "/feed/atom/", "/sitemap.xml", "/news/feed/rss/"):
        response = client.get(address)
        assert response.status_code == 200, address
        assert b"members-briefing" not in response.content, address
        assert b"staff-memo" not in response.content, address
        assert b"forty-two" not in response.content, address


def test_comments_keep_their_threads_statuses_and_people(home, uploads):
    run(str(FIXTURE), "--media-dir", str(uploads))
    ferry = story("ferry-service-resumes")
    thread = Thread.objects.get(article=ferry)
    comments = {c.body.split()[0]: c for c in Comment.objects.filter(thread=thread)}
    assert len(comments) == 6
    first, answer, thanks = comments["At"], comments["The"], comments["Thank"]
    assert answer.parent_id == first.pk
    assert thanks.parent_id == answer.pk
    assert thanks.depth == 2
    assert first.body == "At last! My grandmother can visit the **market** again."
    assert "<strong>market</strong>" in first.body_html
    assert first.created_at == datetime.datetime(2019, 5, 4, 8, 0, tzinfo=datetime.UTC)
    assert first.ip_address == "203.0.113.7"
    assert first.author_website == "https://samir.example.net"
    assert comments["Will"].status == Comment.Status.PENDING
    assert comments["Great"].status == Comment.Status.SPAM
    assert comments["Posted"].status == Comment.Status.TRASH
    # The same person under two spellings of one address is one commenter.
    assert first.commenter_id == thanks.commenter_id == comments["Posted"].commenter_id
    samir = Commenter.objects.get(pk=first.commenter_id)
    assert samir.approved_comment_count == 2
    thread.refresh_from_db()
    assert thread.approved_count == 3
    assert thread.pending_count == 1
    assert thread.last_comment_at == thanks.created_at
    first.refresh_from_db()
    assert first.approved_reply_count == 2
    mention = Mention.objects.get(thread=thread)
    assert mention.kind == "pingback"
    assert mention.source_url == "https://delta-weekly.example/crossings/"


def test_deeper_replies_than_the_site_allows_hang_at_the_deepest_level(home, uploads):
    from dateline.discussion.models import DiscussionSettings

    policy = DiscussionSettings.load() if hasattr(DiscussionSettings, "load") else None
    from wagtail.models import Site

    settings_row = DiscussionSettings.for_site(Site.objects.get(is_default_site=True))
    settings_row.max_depth = 2
    settings_row.save()
    del policy
    run(str(FIXTURE), "--media-dir", str(uploads))
    thanks = Comment.objects.get(body__startswith="Thank you")
    assert thanks.depth == 1  # asked for 2, the site shows 2 levels: at the deepest


def test_pages_keep_their_hierarchy_and_other_types_are_counted(home, uploads):
    summary = run(str(FIXTURE), "--media-dir", str(uploads))
    about = StandardPage.objects.get(slug="about")
    contact = StandardPage.objects.get(slug="contact")
    assert contact.get_parent().pk == about.pk
    assert about.get_parent().pk == home.pk
    assert about.live
    assert "nav_menu_item 1" in summary


def test_every_old_address_answers_301_to_the_new_one(home, uploads, client: Client):
    run(str(FIXTURE), "--media-dir", str(uploads))
    ferry = story("ferry-service-resumes")
    contact = StandardPage.objects.get(slug="contact")
    ports = SectionPage.objects.get(slug="ports")
    expected = {
        "/2019/05/04/ferry-service-resumes/": ferry.url,
        "/2019/05/04/ferry-service-resumes/feed/": ferry.url,
        "/?p=101": ferry.url,
        "/?page_id=3": contact.url,
        "/about/contact/": None,  # the same address here: served, not redirected
        "/category/news/ports/": ports.url,
        "/category/news/ports/feed/": ports.url + "feed/rss/",
        "/?cat=12": ports.url,
        "/tag/ferries/": "/tags/ferries/",
        "/feed/": "/feed/rss/",
    }
    for old, new in expected.items():
        response = client.get(old)
        if new is None:
            assert response.status_code == 200, old
            continue
        assert response.status_code == 301, old
        assert response["Location"] == new, old
        assert client.get(response["Location"]).status_code == 200, new


def test_a_second_import_changes_nothing(home, uploads):
    run(str(FIXTURE), "--media-dir", str(uploads))
    before = {
        "pages": ArticlePage.objects.count() + StandardPage.objects.count(),
        "sections": SectionPage.objects.count(),
        "revisions": Revision.objects.count(),
        "comments": Comment.objects.count(),
        "commenters": Commenter.objects.count(),
        "images": get_image_model().objects.count(),
        "redirects": Redirect.objects.count(),
        "items": ImportedItem.objects.count(),
        "mentions": Mention.objects.count(),
    }
    summary = run(str(FIXTURE), "--media-dir", str(uploads))
    assert "post: 6 unchanged" in summary
    assert "comment: 6 unchanged" in summary
    after = {
        "pages": ArticlePage.objects.count() + StandardPage.objects.count(),
        "sections": SectionPage.objects.count(),
        "revisions": Revision.objects.count(),
        "comments": Comment.objects.count(),
        "commenters": Commenter.objects.count(),
        "images": get_image_model().objects.count(),
        "redirects": Redirect.objects.count(),
        "items": ImportedItem.objects.count(),
        "mentions": Mention.objects.count(),
    }
    assert after == before


def test_a_newer_export_updates_what_changed(home, uploads, tmp_path):
    run(str(FIXTURE), "--media-dir", str(uploads))
    newer = FIXTURE.read_text()
    newer = newer.replace("Ferry service resumes after the spring floods", "Ferry service resumes")
    # The held comment was approved meanwhile, and a new reply came in.
    newer = newer.replace(
        "<wp:comment_approved><![CDATA[0]]></wp:comment_approved>",
        "<wp:comment_approved><![CDATA[1]]></wp:comment_approved>",
    )
    newer = newer.replace(
        "\t\t<wp:comment>\n\t\t\t<wp:comment_id>507</wp:comment_id>",
        "\t\t<wp:comment>\n\t\t\t<wp:comment_id>508</wp:comment_id>\n"
        "\t\t\t<wp:comment_author>Omar</wp:comment_author>\n"
        "\t\t\t<wp:comment_author_email>omar@courier.example.org</wp:comment_author_email>\n"
        "\t\t\t<wp:comment_date>2019-05-07 09:00:00</wp:comment_date>\n"
        "\t\t\t<wp:comment_content>Yes, from June.</wp:comment_content>\n"
        "\t\t\t<wp:comment_approved>1</wp:comment_approved>\n"
        "\t\t\t<wp:comment_parent>504</wp:comment_parent>\n"
        "\t\t</wp:comment>\n"
        "\t\t<wp:comment>\n\t\t\t<wp:comment_id>507</wp:comment_id>",
    )
    newer_file = tmp_path / "newer.xml"
    newer_file.write_text(newer)
    summary = run(str(newer_file), "--media-dir", str(uploads))
    assert "post: 1 updated, 5 unchanged" in summary
    assert "comment: 1 created, 1 updated, 5 unchanged" in summary
    ferry = story("ferry-service-resumes")
    assert ferry.title == "Ferry service resumes"
    assert ArticlePage.objects.filter(slug__startswith="ferry-service-resumes").count() == 1
    evening = Comment.objects.get(body__startswith="Will there")
    assert evening.status == Comment.Status.APPROVED
    reply = Comment.objects.get(body="Yes, from June.")
    assert reply.parent_id == evening.pk
    thread = Thread.objects.get(article=ferry)
    assert (thread.approved_count, thread.pending_count) == (5, 0)


def test_a_missing_picture_is_a_warning_and_comes_with_a_later_import(home, tmp_path):
    empty = tmp_path / "empty-uploads"
    empty.mkdir()
    summary = run(str(FIXTURE), "--media-dir", str(empty))
    assert "2019/05/harbour.jpg was not found in" in summary
    ferry = story("ferry-service-resumes")
    assert ferry.lead_image is None
    assert [b.block_type for b in ferry.body].count("image") == 1  # its place is kept

    folder = empty / "2019" / "05"
    folder.mkdir(parents=True)
    PILImage.new("RGB", (32, 32)).save(folder / "harbour.jpg", "JPEG")
    summary = run(str(FIXTURE), "--media-dir", str(empty))
    ferry = story("ferry-service-resumes")
    assert ferry.lead_image is not None
    assert "post: 1 updated, 5 unchanged" in summary


def test_a_dry_run_writes_nothing_and_says_what_would_happen(home, uploads):
    before = (ArticlePage.objects.count(), Comment.objects.count(), ImportedItem.objects.count())
    summary = run(str(FIXTURE), "--media-dir", str(uploads), "--dry-run")
    assert summary.startswith("Would import from wordpress:courier.example.org")
    assert "post: 6 created" in summary
    assert "comment: 6 created" in summary
    assert (
        ArticlePage.objects.count(),
        Comment.objects.count(),
        ImportedItem.objects.count(),
    ) == before


def test_an_interrupted_import_resumes_without_duplicates(home, uploads):
    calls = []

    def stop_after_three(done: int, total: int) -> None:
        calls.append(done)
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_wordpress(FIXTURE, media_dir=uploads, progress=stop_after_three)
    assert ArticlePage.objects.count() == 3
    report = import_wordpress(FIXTURE, media_dir=uploads)
    assert report.failed == 0
    assert report.counts[("post", "unchanged")] == 3
    assert report.counts[("post", "created")] == 3
    assert ArticlePage.objects.count() == 6
    assert Comment.objects.count() == 6


@pytest.mark.parametrize(
    ("broken", "line", "why"),
    [
        (lambda s: s.replace("</item>", "", 1), None, "not well-formed"),
        (lambda s: "<html><body>Not an export</body></html>", 1, "not a WordPress export"),
        (
            lambda s: s.replace("https://wordpress.org/export/1.2/", "urn:other"),
            None,
            "not a WordPress export",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_file_and_line_and_nothing_written(
    home, tmp_path, broken, line, why
):
    bad = tmp_path / "bad.xml"
    bad.write_text(broken(FIXTURE.read_text()))
    with pytest.raises(CommandError) as refused:
        run(str(bad))
    message = str(refused.value)
    assert re.match(rf"{re.escape(str(bad))}:\d+: ", message), message
    assert why in message
    if line is not None:
        assert message.startswith(f"{bad}:{line}:")
    assert refused.value.returncode == 2
    assert not ArticlePage.objects.exists()
    assert not ImportedItem.objects.exists()


def test_older_and_hand_made_exports_read_the_same(home, tmp_path, uploads):
    """WXR 1.0 with the http namespace, text escaped instead of CDATA, and no GMT dates."""
    text = FIXTURE.read_text()
    text = text.replace("https://wordpress.org/export/1.2/", "http://wordpress.org/export/1.0/")
    text = re.sub(r"<wp:post_date_gmt>.*?</wp:post_date_gmt>", "", text)

    def unwrap(match: re.Match[str]) -> str:
        inner = match.group(1)
        return inner.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    text = re.sub(r"<!\[CDATA\[(.*?)\]\]>", unwrap, text, flags=re.S)
    old = tmp_path / "old.xml"
    old.write_text(text)
    run(str(old), "--media-dir", str(uploads))
    ferry = story("ferry-service-resumes")
    # Without a GMT date, the local time is read in the site's time zone.
    from django.utils import timezone

    assert ferry.published_at == timezone.make_aware(datetime.datetime(2019, 5, 4, 10, 15))
    assert Comment.objects.filter(thread__article=ferry).count() == 6
    assert "<strong>market</strong>" in Comment.objects.get(body__startswith="At last").body_html


def test_the_report_is_written_as_json(home, uploads, tmp_path):
    import json

    report_file = tmp_path / "report.json"
    run(str(FIXTURE), "--media-dir", str(uploads), "--report", str(report_file))
    report = json.loads(report_file.read_text())
    assert report["counts"]["post"]["created"] == 6
    assert report["skipped_types"] == {"nav_menu_item": 1}
    assert report["failed"] == 0


@pytest.mark.parametrize("name", ["64-block-test-data.xml", "theme-preview.xml"])
def test_wordpress_s_own_test_exports_import_cleanly(home, shared_dir, name, client: Client):
    export = shared_dir / "data" / "wordpress" / name
    if not export.exists():
        pytest.skip(f"{export} is not here")
    report = import_wordpress(export)
    assert report.failed == 0, report.warnings
    posts = 61 if name.startswith("64") else 7
    assert report.counts[("post", "created")] == posts
    assert ArticlePage.objects.filter(live=True).count() == posts
    assert Comment.objects.count() == 2
    again = import_wordpress(export)
    assert again.counts[("post", "unchanged")] == posts
    assert ArticlePage.objects.count() == posts
    # Every story and page reads; none is shadowed by the site's own addresses (a category
    # called "Media" must not sit at /media/).
    for page in [*ArticlePage.objects.live(), *StandardPage.objects.live()]:
        assert client.get(page.url).status_code == 200, page.url
    threaded = Comment.objects.filter(parent__isnull=False)
    if name.startswith("64"):
        assert threaded.count() == 1


def test_a_section_never_takes_an_address_the_site_answers_itself(home):
    from dateline.newsroom import actions as newsroom

    for title in ("Media", "Admin", "Tags", "Static", "Comments"):
        section = newsroom.create_section(parent=home, title=title)
        assert section.slug == f"{title.lower()}-2"
    assert newsroom.create_section(parent=home, title="Ports").slug == "ports"


def test_moderators_see_pingbacks_in_the_admin_but_cannot_make_one(home, uploads):
    from django.contrib.auth.models import User

    run(str(FIXTURE), "--media-dir", str(uploads))
    admin = User.objects.create_superuser("editor", "editor@example.org", "x")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/discussion/mentions/")
    assert listing.status_code == 200
    assert b"https://delta-weekly.example/crossings/" in listing.content
    assert b"/admin/discussion/mentions/new/" not in listing.content
    assert client.get("/admin/discussion/mentions/new/").status_code in {302, 403}
