"""``dateline export-wordpress``: the WXR file a site gives, read back with lxml the way
WordPress's importer reads it (by namespace URI), element by element."""

from __future__ import annotations

import datetime
import io
import json
import subprocess
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree
from wagtail.documents.models import Document
from wagtail.models import PageViewRestriction

from dateline.discussion import actions as discussion_actions
from dateline.discussion.models import Comment
from dateline.importers.wordpress.export import NAMESPACES, cdata, write_wxr
from dateline.newsroom import actions
from dateline.newsroom.models import ArticlePage, StandardPage
from tests.factories import discussion_policy, make_article, make_image, post_guest_comment
from tests.servers import PROJECT_DIR, server_env

pytestmark = pytest.mark.django_db

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
UTC = datetime.UTC


def export(**kwargs: Any) -> bytes:
    out = io.BytesIO()
    write_wxr(out, **kwargs)
    return out.getvalue()


def parse(data: bytes) -> etree._Element:
    # No recovery: a file WordPress's importer would refuse must fail here too.
    return etree.fromstring(data, etree.XMLParser(recover=False, resolve_entities=False))


def items(root: etree._Element, post_type: str) -> dict[int, etree._Element]:
    return {
        int(item.findtext(f"{WP}post_id")): item
        for item in root.iter("item")
        if item.findtext(f"{WP}post_type") == post_type
    }


def meta(item: etree._Element) -> dict[str, str]:
    return {
        m.findtext(f"{WP}meta_key"): m.findtext(f"{WP}meta_value")
        for m in item.findall(f"{WP}postmeta")
    }


@pytest.fixture
def newsroom(home, section, settings):
    """A small site with one of everything the export carries."""
    settings.TIME_ZONE = "Asia/Baghdad"
    sport = actions.create_section(parent=section, title="Sport", description="Games & scores")
    culture = actions.create_section(parent=home, title="Culture")
    # A second "sport" elsewhere: WordPress nicenames are unique, Wagtail slugs per parent.
    culture_sport = actions.create_section(parent=culture, title="Sport")
    rana = actions.get_or_create_author(name="Rana Aziz", bio="Covers the rivers.")
    rana.user = get_user_model().objects.create_user(
        username="rana", email="rana@example.org", password="x"
    )
    rana.save()
    harbour = make_image("Harbour at dawn")
    harbour.description = "Boats moored at dawn"
    harbour.save()
    boat = make_image("A boat")
    audio = Document.objects.create(title="Interview", file=ContentFile(b"ID3", name="a.mp3"))
    other = make_article(section, title="An earlier story")
    published = datetime.datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    body = [
        actions.Block(
            "paragraph",
            f'<p data-block-key="a1">See <a linktype="page" id="{other.pk}">the earlier '
            'story</a> &amp; <b>more</b>.</p><ul><li data-block-key="b">one</li><li>two</li></ul>',
        ),
        actions.Block("heading", "What happened"),
        actions.Block(
            "quote", {"quote": "We will sail.\n\nSoon.", "speaker": "Ali", "role": "Captain"}
        ),
        actions.Block(
            "image", {"image": harbour, "caption": "The harbour", "credit": "Photo: Wire"}
        ),
        actions.Block(
            "gallery",
            {"images": [{"image": boat, "caption": "Boat"}, {"image": harbour}], "caption": "Port"},
        ),
        actions.Block(
            "embed", {"embed": "https://www.youtube.com/watch?v=abc--x", "caption": "Video"}
        ),
        actions.Block("code", {"language": "python", "code": "if a[0] < b: print(']]>')"}),
        actions.Block(
            "table",
            {
                "data": [["City", "Rain"], ["Basra", "2 mm"]],
                "first_row_is_table_header": True,
                "table_caption": "Rain",
            },
        ),
        actions.Block("separator", None),
        actions.Block("media_file", {"kind": "audio", "file": audio, "caption": "Listen"}),
        actions.Block("html", '<div class="kept"><b>kept</b><script>alert(1)</script></div>'),
    ]
    story = actions.create_article(
        section=sport,
        title="Ferry ]]> service resumes\x07\x1b on the Tigris",
        body=body,
        bylines=[rana, "Guest Writer"],
        standfirst="Boats run again ]]> after a week.",
        dateline_place="Baghdad",
        dateline_source="River Wire",
        published_at=published,
        tags=["Rivers", "Transport"],
        lead_image=harbour,
        lead_image_caption="The ferry",
        lead_image_credit="Wire photo",
        publish=True,
    )
    arabic = make_article(
        culture_sport, title="العبّارات تعود إلى دجلة", language="ar", bylines=["ضيف"]
    )
    draft = actions.create_article(
        section=section, title="Unfinished", body=[actions.Block("paragraph", "<p>Draft.</p>")]
    )
    # An editor's later save of the draft goes to a revision, not the page row.
    later = draft.get_latest_revision_as_object()
    later.title = "Unfinished, revised"
    later.save_revision()
    scheduled = make_article(section, title="Tomorrow's story", publish=False)
    scheduled.go_live_at = timezone.now() + datetime.timedelta(days=1)
    scheduled.save_revision().publish()
    locked = make_article(section, title="For subscribers")
    PageViewRestriction.objects.create(
        page=locked, restriction_type="password", password="s3cr]]>t"
    )
    members = make_article(section, title="Members only")
    PageViewRestriction.objects.create(page=members, restriction_type="login")

    policy = discussion_policy(mode="publish", blocked_words="casino")
    first = post_guest_comment(
        story, "First! **bold**", policy=policy, name="Reader One", email="one@example.org"
    )
    reply = post_guest_comment(story, "A reply.", policy=policy, parent=first, ip="2001:db8::1")
    deeper = post_guest_comment(story, "Deeper.", policy=policy, parent=reply)
    held = post_guest_comment(
        story, "Wait for me.", policy=discussion_policy(mode="hold_all"), name="Held"
    )
    spam = post_guest_comment(story, "Cheap casino here", policy=policy)
    binned = post_guest_comment(story, "Binned.", policy=policy)
    discussion_actions.set_status(comments=[binned], status=Comment.Status.TRASH, moderator=None)
    post_guest_comment(arabic, "تعليق", policy=policy)

    about = StandardPage(title="About us", slug="about", body=[("paragraph", "<p>Who.</p>")])
    home.add_child(instance=about)
    about.save_revision().publish()
    team = StandardPage(title="Team", slug="team", body=[("heading", "People")])
    about.add_child(instance=team)
    team.save_revision().publish()
    return {
        "sections": {
            "world": section,
            "sport": sport,
            "culture": culture,
            "c_sport": culture_sport,
        },
        "rana": rana,
        "images": (harbour, boat),
        "audio": audio,
        "story": story,
        "other": other,
        "arabic": arabic,
        "draft": draft,
        "scheduled": scheduled,
        "locked": locked,
        "members": members,
        "comments": {
            "first": first,
            "reply": reply,
            "deeper": deeper,
            "held": held,
            "spam": spam,
            "binned": binned,
        },
        "pages": (about, team),
    }


def test_the_file_is_wxr_with_wordpress_namespaces_and_channel(newsroom):
    data = export()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8" ?>')
    root = parse(data)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    assert root.nsmap == NAMESPACES
    assert NAMESPACES["wp"] == "http://wordpress.org/export/1.2/"
    assert NAMESPACES["excerpt"] == "http://wordpress.org/export/1.2/excerpt/"
    channel = root.find("channel")
    assert channel.findtext("title") == "Test Gazette"
    assert channel.findtext("link") == "http://127.0.0.1:8000"
    assert channel.findtext("language") == "en"
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    assert channel.findtext(f"{WP}base_site_url") == "http://127.0.0.1:8000"
    assert channel.findtext(f"{WP}base_blog_url") == "http://127.0.0.1:8000"
    assert channel.findtext("pubDate").endswith(" +0000")


def test_authors_sections_and_tags(newsroom):
    channel = parse(export()).find("channel")
    authors = {a.findtext(f"{WP}author_login"): a for a in channel.findall(f"{WP}author")}
    rana = authors["rana-aziz"]
    assert rana.findtext(f"{WP}author_email") == "rana@example.org"
    assert rana.findtext(f"{WP}author_display_name") == "Rana Aziz"
    assert rana.findtext(f"{WP}author_description") == "Covers the rivers."
    assert rana.findtext(f"{WP}author_id") == str(newsroom["rana"].pk)

    sections = newsroom["sections"]
    categories = [
        (
            int(c.findtext(f"{WP}term_id")),
            c.findtext(f"{WP}category_nicename"),
            c.findtext(f"{WP}category_parent"),
            c.findtext(f"{WP}cat_name"),
        )
        for c in channel.findall(f"{WP}category")
    ]
    # Tree order, so every parent comes before its children.
    assert categories == [
        (sections["world"].pk, "world", "", "World"),
        (sections["sport"].pk, "sport", "world", "Sport"),
        (sections["culture"].pk, "culture", "", "Culture"),
        (sections["c_sport"].pk, "culture-sport", "culture", "Sport"),
    ]
    sport = channel.findall(f"{WP}category")[1]
    assert sport.findtext(f"{WP}category_description") == "Games & scores"
    termmeta = {
        m.findtext(f"{WP}meta_key"): m.findtext(f"{WP}meta_value")
        for m in channel.findall(f"{WP}category")[3].findall(f"{WP}termmeta")
    }
    assert termmeta == {"_dateline_slug": "sport", "_dateline_comments_enabled": "1"}

    tags = {
        t.findtext(f"{WP}tag_slug"): t.findtext(f"{WP}tag_name")
        for t in channel.findall(f"{WP}tag")
    }
    assert tags == {"rivers": "Rivers", "transport": "Transport"}
    term_ids = [int(e.findtext(f"{WP}term_id")) for e in channel.iter(f"{WP}category", f"{WP}tag")]
    assert len(term_ids) == len(set(term_ids))


def test_a_story_with_every_field(newsroom):
    root = parse(export())
    story = newsroom["story"]
    item = items(root, "post")[story.pk]
    # Control characters are gone, "]]>" survives the CDATA.
    assert item.findtext("title") == "Ferry ]]> service resumes on the Tigris"
    assert item.findtext("link") == f"http://127.0.0.1:8000/world/sport/{story.slug}/"
    assert item.findtext("pubDate") == "Fri, 01 Mar 2024 09:30:00 +0000"
    assert item.findtext(DC_CREATOR) == "rana-aziz"
    assert item.find("guid").get("isPermaLink") == "false"
    assert item.findtext("description") == ""
    assert item.findtext(EXCERPT) == "Boats run again ]]> after a week."
    assert item.findtext(f"{WP}post_date") == "2024-03-01 12:30:00"  # Asia/Baghdad
    assert item.findtext(f"{WP}post_date_gmt") == "2024-03-01 09:30:00"
    assert item.findtext(f"{WP}comment_status") == "open"
    assert item.findtext(f"{WP}post_name") == story.slug
    assert item.findtext(f"{WP}status") == "publish"
    assert item.findtext(f"{WP}post_parent") == "0"
    assert item.findtext(f"{WP}post_password") == ""
    categories = [(c.get("domain"), c.get("nicename"), c.text) for c in item.findall("category")]
    assert categories == [
        ("category", "sport", "Sport"),
        ("post_tag", "rivers", "Rivers"),
        ("post_tag", "transport", "Transport"),
    ]
    attachments = items(root, "attachment")
    harbour_id = next(
        pid
        for pid, a in attachments.items()
        if meta(a)["_dateline_image_id"] == str(newsroom["images"][0].pk)
    )
    values = meta(item)
    assert values["_thumbnail_id"] == str(harbour_id)
    assert values["_dateline_place"] == "Baghdad"
    assert values["_dateline_source"] == "River Wire"
    assert values["_dateline_language"] == "en"
    assert values["_dateline_lead_image_caption"] == "The ferry"
    assert values["_dateline_lead_image_credit"] == "Wire photo"
    assert values["_dateline_published_at"] == "2024-03-01T09:30:00+00:00"
    assert json.loads(values["_dateline_bylines"]) == [
        {"author": "rana-aziz"},
        {"guest": "Guest Writer"},
    ]
    assert json.loads(values["_dateline_guest_bylines"]) == ["Guest Writer"]


def test_the_body_is_block_editor_markup(newsroom):
    root = parse(export())
    item = items(root, "post")[newsroom["story"].pk]
    content = item.findtext(CONTENT)
    attachments = items(root, "attachment")
    by_image = {
        int(meta(a)["_dateline_image_id"]): pid
        for pid, a in attachments.items()
        if "_dateline_image_id" in meta(a)
    }
    harbour, boat = (by_image[i.pk] for i in newsroom["images"])
    other = newsroom["other"]
    expected = [
        '<!-- wp:paragraph -->\n<p>See <a href="http://127.0.0.1:8000/world/'
        f'{other.slug}/">the earlier story</a> &amp; <b>more</b>.</p>\n<!-- /wp:paragraph -->',
        "<!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>one</li>\n<!-- /wp:list-item -->\n\n"
        "<!-- wp:list-item -->\n<li>two</li>\n<!-- /wp:list-item --></ul>\n<!-- /wp:list -->",
        '<!-- wp:heading -->\n<h2 class="wp-block-heading">What happened</h2>\n<!-- /wp:heading -->',
        '<!-- wp:quote {"datelineSpeaker":"Ali","datelineRole":"Captain"} -->\n'
        '<blockquote class="wp-block-quote"><!-- wp:paragraph -->\n<p>We will sail.</p>\n'
        "<!-- /wp:paragraph -->\n\n<!-- wp:paragraph -->\n<p>Soon.</p>\n<!-- /wp:paragraph -->"
        "<cite>Ali, Captain</cite></blockquote>\n<!-- /wp:quote -->",
        f'<!-- wp:image {{"id":{harbour},"sizeSlug":"full","linkDestination":"none",'
        '"datelineCaption":"The harbour","datelineCredit":"Photo: Wire"} -->\n'
        f'<figure class="wp-block-image size-full"><img src="{attachments[harbour].findtext(f"{WP}attachment_url")}" '
        f'alt="Boats moored at dawn" class="wp-image-{harbour}"/>'
        '<figcaption class="wp-element-caption">The harbour — Photo: Wire</figcaption></figure>\n'
        "<!-- /wp:image -->",
    ]
    for part in expected:
        assert part in content
    assert (
        '<!-- wp:gallery {"linkTo":"none"} -->\n<figure class="wp-block-gallery has-nested-images columns-default is-cropped"><!-- wp:image'
        in content
    )
    assert f"wp-image-{boat}" in content
    assert (
        '<figcaption class="blocks-gallery-caption wp-element-caption">Port</figcaption></figure>\n<!-- /wp:gallery -->'
        in content
    )
    # "--" may not appear inside an HTML comment: the block editor's escape.
    assert (
        '<!-- wp:embed {"url":"https://www.youtube.com/watch?v=abc\\u002d\\u002dx"} -->' in content
    )
    assert "https://www.youtube.com/watch?v=abc--x\n</div>" in content
    assert (
        '<!-- wp:code {"className":"language-python"} -->\n<pre class="wp-block-code language-python">'
        "<code>if a&#91;0] &lt; b: print(']]>')</code></pre>\n<!-- /wp:code -->"
    ) in content
    assert (
        '<figure class="wp-block-table"><table><thead><tr><th>City</th><th>Rain</th></tr></thead>'
        "<tbody><tr><td>Basra</td><td>2 mm</td></tr></tbody></table>"
        '<figcaption class="wp-element-caption">Rain</figcaption></figure>'
    ) in content
    assert (
        '<!-- wp:separator -->\n<hr class="wp-block-separator has-alpha-channel-opacity"/>\n<!-- /wp:separator -->'
        in content
    )
    audio = next(
        pid
        for pid, a in attachments.items()
        if meta(a).get("_dateline_document_id") == str(newsroom["audio"].pk)
    )
    assert (
        f'<!-- wp:audio {{"id":{audio}}} -->\n<figure class="wp-block-audio"><audio controls src="http://127.0.0.1:8000/documents/'
        in content
    )
    assert "<!-- wp:html -->\n<div><b>kept</b></div>\n<!-- /wp:html -->" in content
    assert "alert(1)" not in content
    assert "data-block-key" not in content
    # The CDATA was split round "]]>" in the raw file, exactly as WordPress does it.
    raw = export().decode()
    assert "print(']]]]><![CDATA[>')" in raw


def test_attachments_for_every_picture_used_once_each(newsroom, settings):
    root = parse(export())
    attachments = items(root, "attachment")
    harbour, boat = newsroom["images"]
    by_image = {meta(a).get("_dateline_image_id"): a for a in attachments.values()}
    assert set(by_image) == {str(harbour.pk), str(boat.pk), None}  # None: the audio file
    item = by_image[str(harbour.pk)]
    assert (
        item.findtext(f"{WP}attachment_url") == f"http://127.0.0.1:8000/media/{harbour.file.name}"
    )
    assert item.findtext(f"{WP}status") == "inherit"
    assert meta(item)["_wp_attached_file"] == harbour.file.name
    assert meta(item)["_wp_attachment_image_alt"] == "Boats moored at dawn"
    assert item.findtext("title") == "Harbour at dawn"
    # One id space for every item, as in WordPress.
    post_ids = [int(i.findtext(f"{WP}post_id")) for i in root.iter("item")]
    assert len(post_ids) == len(set(post_ids))


def test_statuses_password_schedule_and_arabic(newsroom):
    posts = items(parse(export()), "post")
    assert posts[newsroom["arabic"].pk].findtext("title") == "العبّارات تعود إلى دجلة"
    assert meta(posts[newsroom["arabic"].pk])["_dateline_language"] == "ar"
    assert posts[newsroom["arabic"].pk].findtext(DC_CREATOR) == ""  # a guest byline only

    draft = posts[newsroom["draft"].pk]
    assert draft.findtext(f"{WP}status") == "draft"
    assert draft.findtext("title") == "Unfinished, revised"  # the latest revision
    assert draft.findtext(f"{WP}post_date_gmt") == "0000-00-00 00:00:00"

    scheduled = newsroom["scheduled"]
    scheduled.refresh_from_db()
    item = posts[scheduled.pk]
    assert item.findtext(f"{WP}status") == "future"
    assert item.findtext(f"{WP}post_date_gmt") == scheduled.go_live_at.astimezone(UTC).strftime(
        "%Y-%m-%d %H:%M:%S"
    )

    locked = posts[newsroom["locked"].pk]
    assert locked.findtext(f"{WP}status") == "publish"
    assert locked.findtext(f"{WP}post_password") == "s3cr]]>t"
    assert posts[newsroom["members"].pk].findtext(f"{WP}status") == "private"


def test_comments_threaded_with_statuses(newsroom):
    item = items(parse(export()), "post")[newsroom["story"].pk]
    c = newsroom["comments"]
    comments = {int(e.findtext(f"{WP}comment_id")): e for e in item.findall(f"{WP}comment")}
    assert list(comments) == sorted(x.pk for x in c.values())
    approved = {pk: e.findtext(f"{WP}comment_approved") for pk, e in comments.items()}
    assert approved == {
        c["first"].pk: "1",
        c["reply"].pk: "1",
        c["deeper"].pk: "1",
        c["held"].pk: "0",
        c["spam"].pk: "spam",
        c["binned"].pk: "trash",
    }
    parents = {pk: int(e.findtext(f"{WP}comment_parent")) for pk, e in comments.items()}
    assert parents[c["first"].pk] == 0
    assert parents[c["reply"].pk] == c["first"].pk
    assert parents[c["deeper"].pk] == c["reply"].pk
    first = comments[c["first"].pk]
    assert first.findtext(f"{WP}comment_author") == "Reader One"
    assert first.findtext(f"{WP}comment_author_email") == "one@example.org"
    assert first.findtext(f"{WP}comment_author_IP") == "192.0.2.10"
    assert first.findtext(f"{WP}comment_type") == "comment"
    assert first.findtext(f"{WP}comment_user_id") == "0"
    assert "<strong>bold</strong>" in first.findtext(f"{WP}comment_content")
    local = timezone.localtime(c["first"].created_at, zoneinfo.ZoneInfo("Asia/Baghdad"))
    assert first.findtext(f"{WP}comment_date") == local.strftime("%Y-%m-%d %H:%M:%S")
    commentmeta = {
        m.findtext(f"{WP}meta_key"): m.findtext(f"{WP}meta_value")
        for m in first.findall(f"{WP}commentmeta")
    }
    assert commentmeta == {"_dateline_body": "First! **bold**"}
    assert comments[c["reply"].pk].findtext(f"{WP}comment_author_IP") == "2001:db8::1"
    # Each story carries its own comments only.
    arabic = items(parse(export()), "post")[newsroom["arabic"].pk]
    assert [e.findtext(f"{WP}comment_content") for e in arabic.findall(f"{WP}comment")] == [
        "<p>تعليق</p>"
    ]


def test_plain_pages_keep_their_tree(newsroom):
    pages = items(parse(export()), "page")
    about, team = newsroom["pages"]
    assert set(pages) == {about.pk, team.pk}
    assert pages[about.pk].findtext(f"{WP}post_parent") == "0"
    assert pages[team.pk].findtext(f"{WP}post_parent") == str(about.pk)
    assert pages[team.pk].findtext("link") == "http://127.0.0.1:8000/about/team/"
    assert pages[about.pk].findtext(f"{WP}comment_status") == "closed"
    assert "<p>Who.</p>" in pages[about.pk].findtext(CONTENT)


def test_closed_discussions(newsroom):
    story = newsroom["story"]
    story.discussion_thread.closed = True
    story.discussion_thread.save()
    section = newsroom["sections"]["c_sport"]
    culture = newsroom["sections"]["culture"]
    culture.comments_enabled = False
    culture.save()
    posts = items(parse(export()), "post")
    assert posts[story.pk].findtext(f"{WP}comment_status") == "closed"
    assert meta(posts[story.pk])["_dateline_thread_closed"] == "1"
    # Closed by an enclosing section.
    assert section.get_children().filter(pk=newsroom["arabic"].pk).exists()
    assert posts[newsroom["arabic"].pk].findtext(f"{WP}comment_status") == "closed"


def test_chunks_change_nothing_but_the_queries(newsroom):
    whole = export().decode()
    small = export(chunk_size=2).decode()
    start = whole.index("\t<wp:author>")  # past the creation time in the header
    assert small[start:] == whole[start:]


def test_text_output_is_the_same_as_bytes(newsroom):
    text = io.StringIO()
    write_wxr(text)
    start = text.getvalue().index("\t<wp:author>")
    assert text.getvalue()[start:] == export().decode()[start:]


def test_cdata_splits_its_end_marker_and_drops_what_xml_forbids():
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert cdata("x\x00\x08\x0b\x0c\ufffe\ud800y\t\n") == "<![CDATA[xy\t\n]]>"
    root = etree.fromstring(f"<t>{cdata('a]]>b]]>')}</t>".encode())
    assert root.text == "a]]>b]]>"


def _populate(section, image, n: int) -> None:
    policy = discussion_policy(mode="publish")
    for _ in range(n):
        article = make_article(section, tags=["one", "two"], lead_image=image)
        first = post_guest_comment(article, policy=policy)
        post_guest_comment(article, policy=policy, parent=first)


def _queries() -> list[str]:
    export()  # warm the per-process caches (content types, site root paths)
    with CaptureQueriesContext(connection) as queries:
        export()
    return [q["sql"] for q in queries.captured_queries]


def test_queries_do_not_grow_with_the_number_of_stories(section):
    image = make_image()
    _populate(section, image, 3)
    few = _queries()
    _populate(section, image, 27)
    assert ArticlePage.objects.count() == 30
    many = _queries()
    assert len(many) == len(few), "\n".join(many)


# --- The command ---------------------------------------------------------------------------


def test_the_command_writes_to_stdout_and_counts_on_stderr(newsroom):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_wordpress", stdout=out, stderr=err)
    parse(out.getvalue().encode())
    assert (
        "Exported 7 stories, 2 pages, 4 sections, 2 tags, 6 authors, 3 files and 7 comments."
        in err.getvalue()
    )


def test_output_file_appears_only_when_complete(newsroom, tmp_path, monkeypatch):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    target = tmp_path / "site.xml"
    call_command("export_wordpress", output=str(target), stderr=io.StringIO(), verbosity=0)
    parse(target.read_bytes())

    from dateline.importers.wordpress import export as export_module

    def fail(self, *args):
        self.write("<item>half")
        raise RuntimeError("disk gone")

    monkeypatch.setattr(export_module._Exporter, "items", fail)
    broken = tmp_path / "broken.xml"
    with pytest.raises(RuntimeError):
        call_command("export_wordpress", output=str(broken), stderr=io.StringIO())
    assert not broken.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site.xml"]


# The child process needs committed data, hence a transactional test (see
# test_import_text_command.py for serialized_rollback).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_console_command_to_stdout_to_a_file_and_into_a_closed_pipe(section, tmp_path):
    long = tuple("A long paragraph of the story. " * 40 for _ in range(100))
    for n in range(4):
        make_article(section, title=f"Story {n}", paragraphs=long)
    dateline = Path(sys.executable).with_name("dateline")

    result = subprocess.run(
        [dateline, "export-wordpress"],
        cwd=PROJECT_DIR,
        env=server_env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(items(parse(result.stdout), "post")) == 4
    assert b"Exported 4 stories" in result.stderr

    target = tmp_path / "out" / "site.xml"
    target.parent.mkdir()
    result = subprocess.run(
        [dateline, "export-wordpress", "--output", target],
        cwd=PROJECT_DIR,
        env=server_env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert len(items(parse(target.read_bytes()), "post")) == 4
    assert [p.name for p in target.parent.iterdir()] == ["site.xml"]

    # `| head`: the reader stops after a few bytes; no traceback follows.
    process = subprocess.Popen(
        [dateline, "export-wordpress"],
        cwd=PROJECT_DIR,
        env=server_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.read(100)
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert b"Traceback" not in stderr
    assert b"closed before the export was complete" in stderr
    assert process.returncode == 1
