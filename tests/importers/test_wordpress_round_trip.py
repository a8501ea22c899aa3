"""Leaving and coming back: a site exported with ``dateline export-wordpress`` and imported into
an empty Dateline with ``dateline import-wordpress`` is the same site — stories with every
field and block, sections, tags, authors, pictures, plain pages, and comments with their
threads and statuses."""

from __future__ import annotations

import datetime
import hashlib
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from wagtail.contrib.redirects.models import Redirect
from wagtail.embeds.blocks import EmbedValue
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction

from dateline.discussion.models import Comment, Commenter, Thread
from dateline.importers.models import ImportedItem
from dateline.newsroom import actions
from dateline.newsroom.models import ArticlePage, Author, SectionPage, StandardPage
from tests.factories import discussion_policy, make_image, post_guest_comment

pytestmark = pytest.mark.django_db


def _site(home) -> None:  # type: ignore[no-untyped-def]
    world = actions.create_section(parent=home, title="World", description="Beyond the delta")
    sport = actions.create_section(parent=world, title="Sport")
    culture = actions.create_section(parent=home, title="ثقافة")
    nadia = actions.get_or_create_author(name="Nadia Karim", bio="Ports and rivers.")
    omar = actions.get_or_create_author(name="Omar Haddad")
    lead = make_image("Quay at noon")
    other = make_image("Crowd", size=(300, 200))
    body = [
        actions.Block(
            "paragraph", '<p>First <b>bold</b> and <a href="https://example.org/x">a link</a>.</p>'
        ),
        actions.Block("heading", "What happened next"),
        actions.Block(
            "quote", {"quote": "We will cross again.", "speaker": "Salma", "role": "Captain"}
        ),
        actions.Block("image", {"image": other, "caption": "The crowd", "credit": "Courier staff"}),
        actions.Block(
            "gallery",
            {
                "images": [
                    {"image": other, "caption": "One", "credit": ""},
                    {"image": lead, "caption": "Two", "credit": ""},
                ],
                "caption": "Scenes",
            },
        ),
        actions.Block("code", {"language": "python", "code": "print('tide')"}),
        actions.Block(
            "table",
            {
                "data": [["Town", "Boats"], ["Basra", "12"]],
                "first_row_is_table_header": True,
                "first_col_is_header": False,
                "table_caption": "",
            },
        ),
        actions.Block("separator", None),
        actions.Block(
            "embed",
            {
                "embed": EmbedValue("https://www.youtube.com/watch?v=abc123"),
                "caption": "Video of the crossing",
            },
        ),
        actions.Block("paragraph", "<ul><li>one</li><li>two</li></ul>"),
    ]
    ferry = actions.create_article(
        section=sport,
        title="Ferry crews win the river race",
        standfirst="Three boats, one finish line.",
        dateline_place="Basra",
        dateline_source="Courier",
        body=body,
        bylines=[nadia, "A guest writer", omar],
        tags=["Ferries", "Rowing"],
        lead_image=lead,
        lead_image_caption="At the quay",
        lead_image_credit="N. Karim",
        published_at=datetime.datetime(2021, 6, 1, 9, 30, tzinfo=datetime.UTC),
        publish=True,
    )
    arabic = actions.create_article(
        section=culture,
        title="مهرجان الشعر على ضفاف النهر",
        body=[actions.Block("paragraph", "<p>افتتح المهرجان مساء الخميس.</p>")],
        bylines=[nadia],
        language="ar",
        published_at=datetime.datetime(2021, 7, 2, 18, 0, tzinfo=datetime.UTC),
        publish=True,
    )
    draft = actions.create_article(
        section=world,
        title="Draft about dredging",
        body=[actions.Block("paragraph", "<p>Not yet.</p>")],
    )
    del draft
    scheduled = actions.create_article(
        section=world,
        title="Election night plans",
        body=[actions.Block("paragraph", "<p>Soon.</p>")],
    )
    actions.set_publication(
        page=scheduled,
        publication=actions.Publication(
            "scheduled", datetime.datetime(2040, 1, 1, tzinfo=datetime.UTC)
        ),
    )
    secret = actions.create_article(
        section=world,
        title="Members only",
        body=[actions.Block("paragraph", "<p>Hidden.</p>")],
        publish=True,
    )
    PageViewRestriction.objects.create(
        page=secret, restriction_type=PageViewRestriction.PASSWORD, password="tide-42"
    )
    about = actions.create_page(
        parent=home, title="About us", body=[actions.Block("paragraph", "<p>Since 1987.</p>")]
    )
    actions.set_publication(page=about, publication=actions.Publication("live"))
    contact = actions.create_page(
        parent=about, title="Contact", body=[actions.Block("paragraph", "<p>Write to us.</p>")]
    )
    actions.set_publication(page=contact, publication=actions.Publication("live"))

    discussion_policy(mode="publish", max_depth=5)
    first = post_guest_comment(
        ferry, body="What a *race*!", name="Samir", email="samir@example.net"
    )
    reply = post_guest_comment(
        ferry, body="I was there.", name="Layla", email="layla@example.com", parent=first
    )
    post_guest_comment(
        ferry, body="Me too, on the bank.", name="Samir", email="samir@example.net", parent=reply
    )
    held = post_guest_comment(ferry, body="Held for a look.", name="Rami", email="rami@example.com")
    spam = post_guest_comment(ferry, body="Buy now", name="Spam", email="spam@example.com")
    post_guest_comment(arabic, body="قصيدة جميلة", name="هدى", email="huda@example.com")
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    Comment.objects.filter(pk=spam.pk).update(status=Comment.Status.SPAM)
    _recount()


def _recount() -> None:
    for thread in Thread.objects.all():
        Thread.objects.filter(pk=thread.pk).update(
            approved_count=Comment.objects.filter(thread=thread, status="approved").count(),
            pending_count=Comment.objects.filter(thread=thread, status="pending").count(),
        )


def _file_hash(image: Any) -> str:
    with image.file.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _value(value: Any) -> Any:
    """A block value with pictures as their bytes' hash, so two sites compare."""
    if hasattr(value, "file") and hasattr(value, "get_rendition"):
        return ("image", _file_hash(value))
    if isinstance(value, EmbedValue):
        return ("embed", value.url)
    if hasattr(value, "items"):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ in {"ListValue", "StreamValue"}:
        return [_value(v) for v in value]
    return str(value) if value is not None else None


def _path(page: Page) -> str:
    return "/".join(page.url_path.strip("/").split("/")[1:])


def snapshot() -> dict[str, Any]:
    stories = {}
    for article in ArticlePage.objects.all():
        article = article.get_latest_revision_as_object() if not article.live else article
        stories[_path(article)] = {
            "title": article.title,
            "live": article.live,
            "go_live_at": article.go_live_at,
            "published_at": article.published_at,
            "standfirst": article.standfirst,
            "place": (article.dateline_place, article.dateline_source),
            "language": article.language,
            "bylines": [b.display_name for b in article.bylines.all()],
            "tags": sorted(t.name for t in article.tags.all()),
            "lead": (
                _file_hash(article.lead_image) if article.lead_image else None,
                article.lead_image_caption,
                article.lead_image_credit,
            ),
            "body": [(b.block_type, _value(b.value)) for b in article.body],
            "password": list(
                PageViewRestriction.objects.filter(page=article).values_list(
                    "restriction_type", "password"
                )
            ),
            "comments": sorted(
                (
                    c.body,
                    c.status,
                    c.author_name,
                    c.depth,
                    c.parent.body if c.parent else None,
                    c.commenter.email,
                )
                for c in Comment.objects.filter(thread__article=article).select_related(
                    "parent", "commenter"
                )
            ),
        }
    return {
        "sections": sorted((_path(s), s.title, s.description) for s in SectionPage.objects.all()),
        "pages": sorted(
            (_path(p), p.title, p.live, [(b.block_type, _value(b.value)) for b in p.body])
            for p in StandardPage.objects.all()
        ),
        "authors": sorted((a.name, a.bio) for a in Author.objects.all()),
        "stories": stories,
        "commenters": Commenter.objects.count(),
    }


def _empty_the_site(home) -> None:  # type: ignore[no-untyped-def]
    for child in home.get_children():
        child.delete()
    Comment.objects.all().delete()
    Thread.objects.all().delete()
    Commenter.objects.all().delete()
    Author.objects.all().delete()
    get_image_model().objects.all().delete()
    Redirect.objects.all().delete()
    ImportedItem.objects.all().delete()


def test_export_then_import_gives_back_the_same_site(home, tmp_path: Path):
    _site(home)
    before = snapshot()
    assert len(before["stories"]) == 5
    export = tmp_path / "site.xml"
    call_command("export_wordpress", "--output", str(export), stderr=io.StringIO())
    uploads = tmp_path / "uploads"
    shutil.copytree(settings.MEDIA_ROOT, uploads)

    _empty_the_site(home)
    assert not ArticlePage.objects.exists()
    out = io.StringIO()
    call_command(
        "import_wordpress",
        str(export),
        "--media-dir",
        str(uploads),
        stdout=out,
        stderr=io.StringIO(),
    )
    after = snapshot()
    for key in ("sections", "pages", "authors", "commenters"):
        assert after[key] == before[key], key
    assert after["stories"].keys() == before["stories"].keys()
    for path, story in before["stories"].items():
        assert after["stories"][path] == story, path

    # And once more: the file imported again changes nothing.
    summary = io.StringIO()
    call_command(
        "import_wordpress",
        str(export),
        "--media-dir",
        str(uploads),
        stdout=summary,
        stderr=io.StringIO(),
    )
    assert "post: 5 unchanged" in summary.getvalue()
    assert snapshot() == after
