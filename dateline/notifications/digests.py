"""Daily and weekly digests, run by the worker's scheduler thread every few seconds.

A period is named by its cut-off ("digest:daily:2025-03-01" is everything that waited before
07:00 on 1 March, in the site's time zone). Each subscriber's digest is written in one
transaction together with marking its items as carried, and the outbox's unique
(event, recipient) key turns a second run of the same period into a no-op: a worker that was
down at 07:00 sends the digest when it comes back, and never sends it twice.

The digest is checked twice: when its row is written, and again by the delivery loop at the
moment it leaves (``as_sent_now``), since a queued row can wait a while for its turn or for the
mail server: a comment withdrawn (or a story unpublished) in between is not in what is sent."""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from dateline.discussion.models import Comment
from dateline.newsroom.models import ArticlePage
from dateline.notifications import emails
from dateline.notifications.models import DigestItem, OutboundMessage, Subscriber, Subscription

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Period:
    frequency: str
    key: str
    cut: datetime.datetime


def due_periods(now: datetime.datetime) -> list[Period]:
    """The most recent daily and weekly cut-offs at or before ``now``."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    hour = datetime.time(settings.DATELINE_DIGEST_HOUR)
    day = local.date()
    if local.time() < hour:
        day -= datetime.timedelta(days=1)
    daily_cut = datetime.datetime.combine(day, hour, tzinfo=tz)
    week_day = day - datetime.timedelta(days=(day.weekday() - settings.DATELINE_DIGEST_WEEKDAY) % 7)
    weekly_cut = datetime.datetime.combine(week_day, hour, tzinfo=tz)
    return [
        Period(Subscription.Frequency.DAILY, f"digest:daily:{day.isoformat()}", daily_cut),
        Period(Subscription.Frequency.WEEKLY, f"digest:weekly:{week_day.isoformat()}", weekly_cut),
    ]


def run_due(*, now: datetime.datetime | None = None) -> int:
    """Write every digest that is due; returns how many messages were queued."""
    now = now or timezone.now()
    queued = 0
    for period in due_periods(now):
        waiting = (
            DigestItem.objects.filter(
                frequency=period.frequency, digest_key="", created_at__lt=period.cut
            )
            .values_list("subscriber_id", flat=True)
            .distinct()
        )
        for subscriber_id in list(waiting):
            try:
                queued += _digest_for(subscriber_id=subscriber_id, period=period)
            except Exception:
                # One subscriber's broken digest must not hold back everyone else's.
                logger.exception("digest %s for subscriber %s failed", period.key, subscriber_id)
    return queued


def _waiting_items(*, subscriber: Subscriber, period: Period) -> list[DigestItem]:
    return list(
        DigestItem.objects.filter(
            subscriber=subscriber,
            frequency=period.frequency,
            digest_key="",
            created_at__lt=period.cut,
        )
        .select_related("comment__thread__article", "comment__commenter", "article")
        .order_by("created_at", "pk")
    )


@transaction.atomic
def _digest_for(*, subscriber_id: int, period: Period) -> int:
    subscriber = Subscriber.objects.get(pk=subscriber_id)
    items = _waiting_items(subscriber=subscriber, period=period)
    if not items:
        return 0
    if OutboundMessage.objects.filter(event_key=period.key, recipient=subscriber.email).exists():
        # These arrived after this period's digest was written (a late commit): they wait for
        # the next one rather than being lost or sent twice.
        return 0
    DigestItem.objects.filter(pk__in=[i.pk for i in items]).update(digest_key=period.key)
    message = _build(subscriber=subscriber, items=items, period_key=period.key)
    if message is None:
        # Everything it would have said was withdrawn meanwhile.
        return 0
    message.save()
    return 1


def _build(
    *, subscriber: Subscriber, items: list[DigestItem], period_key: str
) -> OutboundMessage | None:
    """The digest message for these items, saying only what is still approved or published
    now; None when nothing is left."""
    weekly = period_key.startswith("digest:weekly:")
    brand = emails.Brand.current()
    stories: dict[int, dict[str, object]] = {}
    comments_by_story: dict[int, list[dict[str, object]]] = defaultdict(list)
    posts: list[dict[str, object]] = []
    # The stories announced, and those the comments are on: a story unpublished, made
    # private or expired since takes its announcement and its comments out of the digest.
    stories_of_comments = {
        i.comment.thread.article_id for i in items if i.comment and i.comment.thread.article_id
    }
    published = shown_story_ids({i.article_id for i in items if i.article_id} | stories_of_comments)
    for item in items:
        comment = item.comment
        if comment is not None and _still_shown(comment, published):
            title, url = emails.story_of(brand, comment.thread)
            stories.setdefault(comment.thread_id, {"title": title, "url": url})
            comments_by_story[comment.thread_id].append(
                {
                    "comment": comment,
                    "text": emails.comment_text(comment),
                    "url": emails.comment_url(brand, comment),
                    "is_reply": item.is_reply,
                }
            )
        elif item.article is not None and item.article_id in published:
            posts.append(
                {"article": item.article, "url": brand.absolute(item.article.get_url() or "/")}
            )
    count = len(posts) + sum(len(c) for c in comments_by_story.values())
    if not count:
        return None
    with override(settings.LANGUAGE_CODE):
        if weekly:
            subject = _("Your weekly digest from %(site)s") % {"site": brand.site_name}
        else:
            subject = _("Your daily digest from %(site)s") % {"site": brand.site_name}
        summary = ngettext("%(count)d new item", "%(count)d new items", count) % {"count": count}
    return emails.build(
        brand=brand,
        subscriber=subscriber,
        event_key=period_key,
        category=OutboundMessage.Category.DIGEST,
        template="digest",
        subject=f"{subject} ({summary})",
        context={
            "stories": [
                {**stories[thread_id], "comments": comments}
                for thread_id, comments in comments_by_story.items()
            ],
            "posts": posts,
            "weekly": weekly,
        },
        subscription_ids=sorted({i.subscription_id for i in items}),
        priority=8,
    )


def shown_story_ids(ids: set[int], *, now: datetime.datetime | None = None) -> set[int]:
    """Those of ``ids`` that readers can see now (published: live, public, not expired)."""
    if not ids:
        return set()
    return set(
        ArticlePage.objects.published(now=now).filter(pk__in=ids).values_list("pk", flat=True)
    )


def _still_shown(comment: Comment, published: set[int]) -> bool:
    """Approved, and on a story readers can see (or on an embedding site's page, which has no
    story here: that page's owner decides who sees it)."""
    article_id = comment.thread.article_id
    return comment.is_visible and (article_id is None or article_id in published)


def as_sent_now(message: OutboundMessage) -> OutboundMessage | None:
    """A digest as it should leave at this moment: written again from its items, so a
    comment withdrawn (or a story unpublished) after the digest was queued is not in it —
    the outbox row may wait minutes or hours for its turn, or for a mail server to come back.
    None when nothing is left to say (or the address is gone). The Message-ID and headers
    stay those of the queued row, so a resend is still recognisably the same message."""
    if message.subscriber_id is None:
        return None
    items = list(
        DigestItem.objects.filter(subscriber_id=message.subscriber_id, digest_key=message.event_key)
        .select_related("subscriber", "comment__thread__article", "comment__commenter", "article")
        .order_by("created_at", "pk")
    )
    if not items:
        # Its items went with the comments, stories or subscriptions they were about.
        return None
    return _build(subscriber=items[0].subscriber, items=items, period_key=message.event_key)
