"""``set_publication`` for a page just created (an import's archive): published in place,
without Wagtail rebuilding and re-saving it, it must stand exactly as Wagtail's own publish
leaves a page, at the archive's time."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageLogEntry
from wagtail.signals import page_published

from dateline.newsroom import actions
from dateline.newsroom.models import ArticlePage

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2019, 3, 4, 18, 30, tzinfo=datetime.UTC)


def _create(section, title: str) -> ArticlePage:
    return actions.create_article(
        section=section,
        title=title,
        body=[actions.Block("paragraph", "<p>The ferry ran late again.</p>")],
        bylines=["Desk"],
        tags=["ferries"],
    )


def _state(page: ArticlePage) -> dict[str, object]:
    page = ArticlePage.objects.get(pk=page.pk)
    return {
        "live": page.live,
        "expired": page.expired,
        "has_unpublished_changes": page.has_unpublished_changes,
        "live_revision_is_latest": page.live_revision_id == page.latest_revision_id,
        "revisions": page.revisions.count(),
        "log": list(
            PageLogEntry.objects.filter(page=page).order_by("pk").values_list("action", flat=True)
        ),
        "bylines": [b.guest_name for b in page.bylines.all()],
        "tags": [t.name for t in page.tags.all()],
    }


def test_a_created_page_is_published_in_place_as_wagtail_would(section):
    signals = []

    def receiver(sender, instance, revision, **kwargs):
        signals.append((sender, instance.pk, revision.pk))

    page_published.connect(receiver)
    try:
        by_wagtail = _create(section, "Ferry by Wagtail")
        with CaptureQueriesContext(connection) as wagtails:
            actions.publish_article(article=by_wagtail)
        archived = _create(section, "Ferry from the archive")
        with CaptureQueriesContext(connection) as in_place:
            actions.set_publication(page=archived, publication=actions.Publication("live", AT))
    finally:
        page_published.disconnect(receiver)
    # Both announce the story to subscribers (nobody here): the same receivers ran.
    # 31 and 55 when written.
    assert len(in_place) <= 32 < len(wagtails), (len(in_place), len(wagtails))

    assert _state(archived) == _state(by_wagtail)
    archived.refresh_from_db()
    assert (archived.first_published_at, archived.last_published_at) == (AT, AT)
    assert signals[-1] == (ArticlePage, archived.pk, archived.latest_revision_id)
    assert Client().get(archived.url).status_code == 200


def test_a_page_edited_after_creation_is_published_from_its_latest_revision(section):
    page = _create(section, "First headline")
    actions.update_article(
        article=page, title="Second headline", body=[actions.Block("paragraph", "<p>New.</p>")]
    )
    actions.set_publication(page=page, publication=actions.Publication("live", AT))
    page = ArticlePage.objects.get(pk=page.pk)
    assert (page.live, page.title, page.first_published_at) == (True, "Second headline", AT)
    assert "Second headline" in Client().get(page.url).content.decode()
