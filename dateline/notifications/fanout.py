"""Turning one event into one outbox row (or digest item) per recipient, in batches.

Recipients are visited in subscriber-id order and ``FanOut.cursor`` records how far a batch
got, in the same transaction as the rows it wrote; the outbox's unique (event, recipient)
key means a batch that runs twice writes nothing twice."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dateline.addresses import normalise_email
from dateline.discussion.models import Comment, Commenter
from dateline.newsroom.models import ArticlePage, SectionPage
from dateline.notifications import emails
from dateline.notifications.models import (
    DigestItem,
    FanOut,
    OutboundMessage,
    Subscriber,
    Subscription,
    SubscriptionQuerySet,
)

logger = logging.getLogger(__name__)

# Handled inside the event's own transaction (most stories have a handful of followers);
# anything beyond is left to the worker, in batches of WORKER_BATCH.
INLINE_BATCH = 100
WORKER_BATCH = 500

INSTANT = Subscription.Frequency.INSTANT
DAILY = Subscription.Frequency.DAILY
WEEKLY = Subscription.Frequency.WEEKLY


def _next_subscribers(
    subscriptions: SubscriptionQuerySet, *, cursor: int, limit: int
) -> dict[Subscriber, list[Subscription]]:
    ids = list(
        subscriptions.filter(subscriber_id__gt=cursor)
        .order_by("subscriber_id")
        .values_list("subscriber_id", flat=True)
        .distinct()[:limit]
    )
    grouped: dict[Subscriber, list[Subscription]] = defaultdict(list)
    rows = subscriptions.filter(subscriber_id__in=ids).select_related("subscriber").order_by("pk")
    for subscription in rows:
        grouped[subscription.subscriber].append(subscription)
    return dict(sorted(grouped.items(), key=lambda item: item[0].pk))


@dataclass(frozen=True)
class ParentAuthor:
    """Who wrote the comment being replied to, as far as subscriptions can tell.

    Replies go to the parent's author only when the subscription is theirs: asked for from
    the parent comment itself (its confirmation link followed), made by the same commenting
    identity, or — when the author's address is verified (a provider said so, or a
    verified-guest link) — made for that address, which the subscriber proved by confirming.
    Never by the address typed on the parent alone: a guest can type anyone's, and its owner
    would then hear about replies to a comment they never wrote. Nor by a guest "identity",
    which is that typed address under another name (``discussion.actions._guest_commenter``
    keys guests by it): every guest using the address shares it."""

    # None for a guest: it has no identity beyond the address it typed.
    identity_id: int | None
    verified_email: str
    # The subscriptions asked for from the parent comment itself.
    asked_from_parent: frozenset[int]

    @classmethod
    def of(cls, parent: Comment | None) -> ParentAuthor | None:
        if parent is None or not parent.is_visible:
            return None
        commenter = parent.commenter
        verified = normalise_email(commenter.email) if commenter.email_verified else ""
        asked_from = Subscription.asked_from.through.objects.filter(comment_id=parent.pk)
        return cls(
            identity_id=None if commenter.kind == Commenter.Kind.GUEST else commenter.pk,
            verified_email=verified,
            asked_from_parent=frozenset(asked_from.values_list("subscription_id", flat=True)),
        )

    def subscriptions(self) -> Q:
        mine = Q(pk__in=self.asked_from_parent)
        if self.identity_id is not None:
            mine |= Q(commenter_id=self.identity_id)
        if self.verified_email:
            mine |= Q(subscriber__email=self.verified_email)
        return mine

    def owns(self, subscription: Subscription) -> bool:
        return (
            subscription.pk in self.asked_from_parent
            or (self.identity_id is not None and subscription.commenter_id == self.identity_id)
            or (bool(self.verified_email) and subscription.subscriber.email == self.verified_email)
        )


def _comment_batch(fan: FanOut, *, limit: int) -> bool:
    comment = (
        Comment.objects.select_related("thread__article", "commenter", "parent__commenter")
        .filter(pk=fan.object_id)
        .first()
    )
    # Never a word about a comment that is not (or no longer) approved.
    if comment is None or not comment.is_visible:
        return True
    parent = comment.parent
    author = ParentAuthor.of(parent)
    wanted = Q(kind=Subscription.Kind.COMMENTS)
    if author is not None:
        wanted |= Q(kind=Subscription.Kind.REPLIES) & author.subscriptions()
    subscriptions = Subscription.objects.active().filter(wanted, thread_id=comment.thread_id)
    author_email = normalise_email(comment.commenter.email)
    if author_email:
        # Nobody hears about their own comment.
        subscriptions = subscriptions.exclude(subscriber__email=author_email)
    batch = _next_subscribers(subscriptions, cursor=fan.cursor, limit=limit)
    if not batch:
        return True

    brand = emails.Brand.current()
    title, story_url = emails.story_of(brand, comment.thread)
    messages: list[OutboundMessage] = []
    items: list[DigestItem] = []
    for subscriber, theirs in batch.items():
        is_reply = author is not None and any(author.owns(s) for s in theirs)
        if is_reply:
            # A reply is news to its parent's author whichever of their subscriptions brought it.
            theirs.sort(key=lambda s: s.kind != Subscription.Kind.REPLIES)
        if any(s.frequency == INSTANT for s in theirs):
            messages.append(
                emails.build(
                    brand=brand,
                    subscriber=subscriber,
                    event_key=fan.event_key,
                    category=(
                        OutboundMessage.Category.REPLY
                        if is_reply
                        else OutboundMessage.Category.COMMENT
                    ),
                    template="reply" if is_reply else "comment",
                    subject=emails.subject_for_comment(
                        comment=comment, title=title, is_reply=is_reply
                    ),
                    context={
                        "comment": comment,
                        "comment_text": emails.comment_text(comment),
                        "parent": parent,
                        "parent_text": emails.comment_text(parent) if is_reply and parent else "",
                        "story_title": title,
                        "story_url": story_url,
                        "comment_url": emails.comment_url(brand, comment),
                    },
                    subscription_ids=[s.pk for s in theirs],
                    comment_id=comment.pk,
                    extra_headers=emails.thread_headers(comment.thread),
                )
            )
        else:
            items.append(
                DigestItem(
                    subscriber=subscriber,
                    subscription=theirs[0],
                    frequency=theirs[0].frequency,
                    event_key=fan.event_key,
                    comment=comment,
                    is_reply=is_reply,
                )
            )
    _write(messages, items)
    fan.cursor = next(reversed(batch)).pk
    return len(batch) < limit


def _post_batch(fan: FanOut, *, limit: int) -> bool:
    article = ArticlePage.objects.published().filter(pk=fan.object_id).first()
    if article is None:
        return True
    sections = list(SectionPage.objects.ancestor_of(article).values_list("pk", flat=True))
    subscriptions = Subscription.objects.active().filter(
        Q(section__isnull=True) | Q(section_id__in=sections), kind=Subscription.Kind.POSTS
    )
    batch = _next_subscribers(subscriptions, cursor=fan.cursor, limit=limit)
    if not batch:
        return True

    brand = emails.Brand.current()
    section = SectionPage.objects.filter(pk__in=sections).order_by("-depth").first()
    context = {
        "article": article,
        "section": section,
        "story_url": brand.absolute(article.get_url() or "/"),
    }
    subject = emails.subject_for_post(article=article, site_name=brand.site_name)
    messages: list[OutboundMessage] = []
    items: list[DigestItem] = []
    for subscriber, theirs in batch.items():
        frequencies = {s.frequency for s in theirs}
        if INSTANT in frequencies:
            messages.append(
                emails.build(
                    brand=brand,
                    subscriber=subscriber,
                    event_key=fan.event_key,
                    category=OutboundMessage.Category.POST,
                    template="post",
                    subject=subject,
                    context=context,
                    subscription_ids=[s.pk for s in theirs],
                    # New stories wait behind replies and confirmations someone is expecting.
                    priority=7,
                )
            )
        else:
            # The sooner digest wins when a reader has both.
            chosen = next(
                s for s in theirs if s.frequency == (DAILY if DAILY in frequencies else WEEKLY)
            )
            items.append(
                DigestItem(
                    subscriber=subscriber,
                    subscription=chosen,
                    frequency=chosen.frequency,
                    event_key=fan.event_key,
                    article=article,
                )
            )
    _write(messages, items)
    fan.cursor = next(reversed(batch)).pk
    return len(batch) < limit


def _write(messages: Sequence[OutboundMessage], items: Sequence[DigestItem]) -> None:
    # ignore_conflicts: a batch repeated after a crash finds its rows already there.
    if messages:
        OutboundMessage.objects.bulk_create(messages, ignore_conflicts=True)
    if items:
        DigestItem.objects.bulk_create(items, ignore_conflicts=True)


def run_batch(fan: FanOut, *, limit: int) -> bool:
    """Write the next ``limit`` recipients' rows; True when the event is fully fanned out.
    Must run inside a transaction that also saves the cursor (it does, below)."""
    if fan.kind == FanOut.Kind.COMMENT:
        finished = _comment_batch(fan, limit=limit)
    else:
        finished = _post_batch(fan, limit=limit)
    fields = ["cursor"]
    if finished:
        fan.finished_at = timezone.now()
        fields.append("finished_at")
    fan.save(update_fields=fields)
    return finished


POST_EVENT_PREFIX = "post:"


def post_event_key(article_id: int) -> str:
    """The event of a story's first publication: its readers' messages carry this key."""
    return f"{POST_EVENT_PREFIX}{article_id}"


def story_of_post(event_key: str) -> int | None:
    """The story a new-post message announces, from its event key (None: not one of those)."""
    if not event_key.startswith(POST_EVENT_PREFIX):
        return None
    raw = event_key.removeprefix(POST_EVENT_PREFIX)
    return int(raw) if raw.isdigit() else None


def start(*, event_key: str, kind: str, object_id: int) -> FanOut | None:
    """Record an event once and handle its first recipients in the caller's transaction.
    None when the event was already recorded (the same comment approved a second time, a
    story republished)."""
    fan, created = FanOut.objects.get_or_create(
        event_key=event_key, defaults={"kind": kind, "object_id": object_id}
    )
    if not created:
        return None
    run_batch(fan, limit=INLINE_BATCH)
    return fan


def process_pending(*, max_batches: int = 5, limit: int = WORKER_BATCH) -> int:
    """The worker's share: continue unfinished fan-outs, one batch per transaction."""
    done = 0
    for _ in range(max_batches):
        with transaction.atomic():
            pending = FanOut.objects.filter(finished_at__isnull=True).order_by("created_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                # Two workers continue two different events instead of queueing on one.
                pending = pending.select_for_update(skip_locked=True)
            fan = pending.first()
            if fan is None:
                break
            run_batch(fan, limit=limit)
        done += 1
    return done
