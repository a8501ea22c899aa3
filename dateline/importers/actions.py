"""Writes for the wire-copy importer. The ``import-text`` command and the admin upload form both
call ``import_stories``, so they create, update and report in exactly the same way.

A story's identity is ``ArticlePage.wire_key`` (see ``wiretext.make_wire_key``: a hash of the
normalised headline and the time as printed). Importing a story again finds its article, wherever
editors have moved it since, and saves a new revision only when the wire copy changed.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from wagtail.models import Page

from dateline.importers import selectors
from dateline.importers.wiretext import WireStory, WireTextError
from dateline.newsroom import actions as newsroom
from dateline.newsroom.models import ArticlePage, Author, SectionPage

logger = logging.getLogger(__name__)


class Outcome(models.TextChoices):
    CREATED_DRAFT = "created-draft", gettext_lazy("created draft")
    CREATED_AND_PUBLISHED = "created-published", gettext_lazy("created and published")
    UPDATED = "updated", gettext_lazy("updated")
    UPDATED_AND_PUBLISHED = "updated-published", gettext_lazy("updated and published")
    PUBLISHED = "published", gettext_lazy("published")
    UNCHANGED = "unchanged", gettext_lazy("unchanged")
    FAILED = "failed", gettext_lazy("not imported")


class ImportRefused(Exception):
    """The user may not make this change (add to the section, edit or publish the article)."""


@dataclass(frozen=True)
class FileReport:
    """What happened to one file: an outcome and the article, or why it was not imported."""

    filename: str
    outcome: Outcome
    article: ArticlePage | None = None
    problem: str | Promise = ""

    @property
    def failed(self) -> bool:
        return self.outcome == Outcome.FAILED

    @property
    def message(self) -> str:
        """One line for a terminal or the admin, in the active language, e.g. ``story.txt:
        created draft "Headline" (/world/headline/)``."""
        if self.article is None:
            return str(self.problem)
        return gettext('%(file)s: %(outcome)s "%(title)s" (%(url)s)') % {
            "file": self.filename,
            "outcome": self.outcome.label,
            "title": self.article.title,
            "url": self.article.get_url() or self.article.url_path,
        }

    @classmethod
    def refused(cls, error: WireTextError) -> FileReport:
        return cls(error.filename, Outcome.FAILED, problem=error.message(gettext))


def import_stories(
    *,
    stories: Sequence[WireStory | WireTextError],
    section: SectionPage,
    publish: bool = False,
    user: AbstractBaseUser | None = None,
) -> list[FileReport]:
    """Import parsed files in order, each in its own transaction, and report on every one. Files
    that failed to parse are reported as they are; one file failing to save does not stop the
    others. ``user`` (the admin) is held to Wagtail's page permissions; ``None`` (the command
    line, run by whoever runs the site) is not."""
    reports = []
    for item in stories:
        if isinstance(item, WireTextError):
            reports.append(FileReport.refused(item))
            continue
        try:
            reports.append(import_story(story=item, section=section, publish=publish, user=user))
        except ImportRefused as refusal:
            reports.append(_failed(item, str(refusal)))
        except (ValidationError, DatabaseError) as error:
            # The story's transaction is rolled back; the message is for the log, not the page.
            logger.exception("Wire import of %s failed", item.filename)
            reports.append(
                _failed(item, gettext("it could not be saved (%s).") % type(error).__name__)
            )
    return reports


def _failed(story: WireStory, reason: str) -> FileReport:
    return FileReport(
        story.filename,
        Outcome.FAILED,
        problem=gettext("%(file)s: not imported: %(reason)s")
        % {"file": story.filename, "reason": reason},
    )


@transaction.atomic
def import_story(
    *,
    story: WireStory,
    section: SectionPage,
    publish: bool = False,
    user: AbstractBaseUser | None = None,
) -> FileReport:
    """Create the story's article as a draft (published when ``publish``), or update the article
    a previous import made. The wire copy decides the headline, time, dateline, body and byline;
    what editors added that the wire does not carry (standfirst, tags, lead image, language,
    corrections) is kept."""
    # Lock the section row so two imports of the same new story (two editors, or the command and
    # the admin) queue here instead of both finding no article and both creating one.
    list(Page.objects.select_for_update().filter(pk=section.pk).values_list("pk", flat=True))
    fields = _wire_fields(story)
    article = ArticlePage.objects.filter(wire_key=story.wire_key).order_by("pk").first()

    if article is None:
        _check_may_create(section=section, publish=publish, user=user)
        article = newsroom.create_article(
            section=section, wire_key=story.wire_key, publish=publish, user=user, **fields
        )
        outcome = Outcome.CREATED_AND_PUBLISHED if publish else Outcome.CREATED_DRAFT
        return FileReport(story.filename, outcome, article)

    latest = article.get_latest_revision_as_object()
    changed = _differs(latest, fields)
    needs_publishing = publish and (not article.live or article.has_unpublished_changes)
    if not changed and not needs_publishing:
        return FileReport(story.filename, Outcome.UNCHANGED, article)
    _check_may_change(article=article, publish=publish, user=user)
    if changed:
        article = newsroom.update_article(
            article=article,
            publish=publish,
            user=user,
            standfirst=latest.standfirst,
            tags=[tag.name for tag in latest.tags.all()],
            lead_image=latest.lead_image,
            lead_image_caption=latest.lead_image_caption,
            lead_image_credit=latest.lead_image_credit,
            language=latest.language,
            **fields,
        )
        outcome = Outcome.UPDATED_AND_PUBLISHED if publish else Outcome.UPDATED
    else:
        article = newsroom.publish_article(article=article, user=user)
        outcome = Outcome.PUBLISHED
    return FileReport(story.filename, outcome, article)


class _WireFields(TypedDict):
    """What the wire copy decides, as ``create_article``/``update_article`` keywords."""

    title: str
    published_at: datetime.datetime
    dateline_place: str
    dateline_source: str
    body: list[newsroom.Block]
    bylines: list[Author | str]


def _wire_fields(story: WireStory) -> _WireFields:
    # A byline naming a staff author links to their page; any other name is a guest byline.
    byline: Author | str = selectors.match_author(name=story.byline) or story.byline
    return {
        "title": story.headline,
        # The printed time is the site's local time (TIME_ZONE); an ambiguous time at a
        # daylight-saving change is read as the earlier of the two.
        "published_at": timezone.make_aware(story.local_time, timezone.get_default_timezone()),
        "dateline_place": story.dateline_place,
        "dateline_source": story.dateline_source,
        "body": [
            newsroom.Block("paragraph", format_html("<p>{}</p>", text)) for text in story.paragraphs
        ],
        "bylines": [byline],
    }


def _differs(latest: ArticlePage, fields: _WireFields) -> bool:
    """Whether saving ``fields`` would change the article's latest revision."""
    body = [(block.block_type, block.block.get_prep_value(block.value)) for block in latest.body]
    bylines = [(b.author_id, b.guest_name) for b in latest.bylines.all()]
    wanted_bylines = [(b.pk, "") if isinstance(b, Author) else (None, b) for b in fields["bylines"]]
    return (
        latest.title != fields["title"]
        or latest.published_at != fields["published_at"]
        or latest.dateline_place != fields["dateline_place"]
        or latest.dateline_source != fields["dateline_source"]
        or body != [(block.type, str(block.value)) for block in fields["body"]]
        or bylines != wanted_bylines
    )


def _check_may_create(
    *, section: SectionPage, publish: bool, user: AbstractBaseUser | None
) -> None:
    if user is None:
        return
    permissions = section.permissions_for_user(user)
    if not permissions.can_add_subpage():
        raise ImportRefused(gettext("you may not add articles to this section."))
    if publish and not permissions.can_publish_subpage():
        raise ImportRefused(gettext("you may not publish articles in this section."))


def _check_may_change(
    *, article: ArticlePage, publish: bool, user: AbstractBaseUser | None
) -> None:
    if user is None:
        return
    permissions = article.permissions_for_user(user)
    if not permissions.can_edit() or permissions.page_locked():
        raise ImportRefused(gettext("you may not edit the article this story was imported as."))
    if publish and not permissions.can_publish():
        raise ImportRefused(gettext("you may not publish the article this story was imported as."))
