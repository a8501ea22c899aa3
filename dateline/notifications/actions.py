"""Writes for notifications: subscribing (with double opt-in), confirming and unsubscribing,
and the events that produce email — a comment approved or held, a story published.

Event functions are called *inside* the event's own transaction (``discussion.actions`` calls
``comment_approved`` and ``comment_held`` from ``post_comment`` and ``set_status``), so the
outbox rows commit or roll back with the comment itself: a process that dies a moment later
loses nothing, which ``transaction.on_commit`` could not promise."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dateline import ratelimits
from dateline.addresses import normalise_email
from dateline.discussion.models import Comment, Commenter, Thread
from dateline.newsroom.models import ArticlePage, SectionPage
from dateline.notifications import digests, emails, fanout, tokens
from dateline.notifications.models import FanOut, OutboundMessage, Subscriber, Subscription
from dateline.notifications.tokens import ExpiredToken, InvalidToken

__all__ = [
    "ExpiredToken",
    "InvalidToken",
    "SubscribeResult",
    "SubscriptionError",
    "SubscriptionRequest",
    "article_published",
    "comment_approved",
    "comment_held",
    "comments_disowned",
    "confirm",
    "remove_all",
    "remove_subscription",
    "retry_message",
    "subscribe",
    "subscribe_from_comment",
    "subscribe_many",
    "unsubscribe",
]

logger = logging.getLogger(__name__)

MAX_EMAIL_LENGTH = 254
RATE_WINDOW = 3600
# An editor hears about the first held comment at once; more held within this quiet period
# are left to the queue the notice links to, so a spam wave cannot flood the newsroom's inbox.
MODERATION_QUIET = datetime.timedelta(minutes=5)
# How far back the scheduler looks for a published story that was never announced.
ANNOUNCE_SWEEP_WINDOW = datetime.timedelta(hours=1)

ALLOWED_FREQUENCIES: dict[str, set[str]] = {
    Subscription.Kind.REPLIES: {Subscription.Frequency.INSTANT, Subscription.Frequency.DAILY},
    Subscription.Kind.COMMENTS: {Subscription.Frequency.INSTANT, Subscription.Frequency.DAILY},
    Subscription.Kind.POSTS: set(Subscription.Frequency.values),
}


class SubscriptionError(Exception):
    """The request cannot be accepted; ``errors`` maps a form field (or "__all__") to a
    message for the reader."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SubscriptionRequest:
    kind: str
    frequency: str = Subscription.Frequency.INSTANT
    thread: Thread | None = None
    section: SectionPage | None = None


@dataclass
class SubscribeResult:
    subscriber: Subscriber
    subscriptions: list[Subscription] = field(default_factory=list)
    # True when the address had proved itself (a verified commenter): nothing to confirm.
    active: bool = False
    confirmation_queued: bool = False


# Subscribing --------------------------------------------------------------------------------


def clean_email(email: str) -> str:
    email = normalise_email(email)
    if not email:
        raise SubscriptionError({"email": _("Please enter your email address.")})
    if len(email) > MAX_EMAIL_LENGTH:
        raise SubscriptionError({"email": _("That email address is too long.")})
    try:
        EmailValidator()(email)
    except ValidationError:
        raise SubscriptionError(
            {"email": _("Please enter a valid email address, like name@example.org.")}
        ) from None
    return email


def _check_request(request: SubscriptionRequest) -> None:
    if request.kind not in Subscription.Kind.values:
        raise ValueError(f"unknown subscription kind {request.kind!r}")
    if request.frequency not in ALLOWED_FREQUENCIES[request.kind]:
        raise SubscriptionError({"frequency": _("Please choose how often to hear from us.")})
    if request.kind == Subscription.Kind.POSTS:
        if request.thread is not None:
            raise ValueError("a new-stories subscription has no thread")
    elif request.thread is None or request.section is not None:
        raise ValueError("a comments subscription needs a thread and no section")


def _is_verified(commenter: Commenter | None, email: str) -> bool:
    """Only the verified commenter themselves skips the confirmation email. Typing a verified
    person's address into a public form must not subscribe them without their say-so."""
    return (
        commenter is not None
        and commenter.email_verified
        and normalise_email(commenter.email) == email
    )


def _owner(commenter: Commenter | None, email: str) -> Commenter | None:
    """The identity a subscription for ``email`` belongs to: the commenter asking, when it
    asks for its own address. A signed-in reader sending notices to some other address gets
    them for the story, not as "replies to my comments" of an identity that address never
    proved."""
    if commenter is not None and normalise_email(commenter.email) == email:
        return commenter
    return None


def _rate_limit(*, email: str, ip_address: str) -> None:
    message = _("Too many subscription requests. Please wait a while and try again.")
    if ip_address:
        ratelimits.check_all(
            scope="notify-subscribe-ip",
            keys=[f"ip:{ip_address}"],
            limit=settings.DATELINE_SUBSCRIBE_PER_IP,
            window=RATE_WINDOW,
            message=message,
        )
    ratelimits.check_all(
        scope="notify-subscribe-address",
        keys=[email],
        limit=settings.DATELINE_SUBSCRIBE_PER_ADDRESS,
        window=RATE_WINDOW,
        message=message,
    )


def subscribe(
    *,
    email: str,
    kind: str,
    frequency: str = Subscription.Frequency.INSTANT,
    thread: Thread | None = None,
    section: SectionPage | None = None,
    commenter: Commenter | None = None,
    ip_address: str = "",
) -> SubscribeResult:
    """Ask for one kind of email. See ``subscribe_many``."""
    return subscribe_many(
        email=email,
        requests=[
            SubscriptionRequest(kind=kind, frequency=frequency, thread=thread, section=section)
        ],
        commenter=commenter,
        ip_address=ip_address,
    )


def subscribe_many(
    *,
    email: str,
    requests: Sequence[SubscriptionRequest],
    commenter: Commenter | None = None,
    comment: Comment | None = None,
    ip_address: str = "",
) -> SubscribeResult:
    """Record the subscriptions as pending and queue ONE confirmation email for them all;
    they start when the link in it is followed. A verified ``commenter`` whose address this
    is subscribes at once. ``comment`` is the comment ``commenter`` asked from (the comment
    form): its link makes the story's subscriptions follow replies to it.

    Raises ``SubscriptionError`` for bad input and ``ratelimits.RateLimited`` past the per-IP
    or per-address limit. Whatever the address's existing subscriptions, the caller must
    answer the same way (the result is for the caller's own bookkeeping, never for display
    to an anonymous visitor): no one learns who is subscribed to what. An unverified request
    never changes an active subscription and sends nothing for it."""
    email = clean_email(email)
    for request in requests:
        _check_request(request)
    _rate_limit(email=email, ip_address=ip_address)
    verified = _is_verified(commenter, email)
    owner = _owner(commenter, email)
    now = timezone.now()
    with transaction.atomic():
        subscriber, _created = Subscriber.objects.get_or_create(email=email)
        result = SubscribeResult(subscriber=subscriber, active=verified)
        awaiting: list[Subscription] = []
        for request in requests:
            # get_or_create: a double-clicked form must not fail on the unique constraint.
            subscription, created = Subscription.objects.get_or_create(
                subscriber=subscriber,
                kind=request.kind,
                thread=request.thread,
                section=request.section,
                defaults={
                    "frequency": request.frequency,
                    # A pending subscription follows nobody's comments yet: the link that
                    # starts it says whose they are (confirm), since the first to ask for an
                    # address need not be its owner.
                    "commenter": owner if verified else None,
                    "confirmed_at": now if verified else None,
                },
            )
            # An unverified request never touches an active subscription.
            if not created and (verified or not subscription.is_active):
                subscription.frequency = request.frequency
                fields = ["frequency"]
                # Nor, pending or not, whose comments "replies to my comments" follows: only
                # the verified owner of the address may change that, or typing someone's
                # address into a comment would point their reply notices at the typist's.
                if verified and owner is not None and subscription.commenter_id != owner.pk:
                    subscription.commenter = owner
                    fields.append("commenter")
                if verified and not subscription.is_active:
                    subscription.confirmed_at = now
                    fields.append("confirmed_at")
                subscription.save(update_fields=fields)
            result.subscriptions.append(subscription)
            if not subscription.is_active:
                awaiting.append(subscription)
        if awaiting:
            _queue_confirmation(
                subscriber=subscriber,
                subscriptions=awaiting,
                asker=owner,
                comment=comment if owner is not None else None,
            )
            result.confirmation_queued = True
    return result


def _queue_confirmation(
    *,
    subscriber: Subscriber,
    subscriptions: list[Subscription],
    asker: Commenter | None,
    comment: Comment | None,
) -> None:
    brand = emails.Brand.current()
    ids = [s.pk for s in subscriptions]
    token = tokens.confirm_token(
        subscriber=subscriber,
        subscription_ids=ids,
        commenter_id=asker.pk if asker is not None else None,
        comment_id=comment.pk if comment is not None else None,
    )
    confirm_url = brand.absolute(reverse("notifications:confirm", args=[token]))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Please confirm your subscription to %(site)s") % {"site": brand.site_name}
        descriptions = [s.description for s in _with_scope(ids)]
    emails.build(
        brand=brand,
        subscriber=subscriber,
        event_key=f"confirm:{uuid.uuid4().hex}",
        category=OutboundMessage.Category.CONFIRMATION,
        template="confirm",
        subject=subject,
        context={
            "confirm_url": confirm_url,
            "descriptions": descriptions,
            "days": tokens.CONFIRM_MAX_AGE.days,
        },
        subscription_ids=ids,
        # Someone is waiting for this one, so it goes before any digest or announcement.
        priority=1,
    ).save()


def _with_scope(ids: Sequence[int]) -> list[Subscription]:
    return list(
        Subscription.objects.filter(pk__in=ids)
        .select_related("thread__article", "section")
        .order_by("pk")
    )


def subscribe_from_comment(
    *, comment: Comment, notify_replies: bool, notify_all_comments: bool, notify_posts: bool
) -> SubscribeResult | None:
    """What the comment form calls after ``post_comment``, with its boxes: follow this
    story's comments and/or new stories.

    ``notify_all_comments`` is the "Notify me of new comments" box and ``notify_replies`` the
    choice under it: ticked with that choice, the box asks only for replies to this
    commenter's own comments. The choice on its own asks for nothing — a radio button left on
    "only replies" is not consent to email; the box is.

    Uses the commenter's own address; a verified commenter is subscribed at once, anyone else
    gets one confirmation email. Never raises for a rate limit or a bad address — the comment
    has been accepted and that is what the reader is told — and does nothing for a comment
    judged to be spam (the form must not become a way to mail strangers)."""
    if comment.status in {Comment.Status.SPAM, Comment.Status.TRASH}:
        return None
    requests: list[SubscriptionRequest] = []
    if notify_all_comments:
        kind = Subscription.Kind.REPLIES if notify_replies else Subscription.Kind.COMMENTS
        requests.append(SubscriptionRequest(kind=kind, thread=comment.thread))
    if notify_posts:
        requests.append(SubscriptionRequest(kind=Subscription.Kind.POSTS))
    if not requests or not comment.commenter.email:
        return None
    try:
        return subscribe_many(
            email=comment.commenter.email,
            requests=requests,
            commenter=comment.commenter,
            comment=comment,
            ip_address=str(comment.ip_address or ""),
        )
    except (SubscriptionError, ratelimits.RateLimited) as error:
        logger.info("subscription with comment %s not recorded: %s", comment.pk, error)
        return None


# Confirming, managing and unsubscribing -------------------------------------------------------


def confirm(*, token: str) -> list[Subscription]:
    """Start the subscriptions a confirmation link names, following the identity that asked
    for this link and the comment it asked from (both signed into it). Raises
    ``ExpiredToken`` or ``InvalidToken``.

    Only the link that starts a subscription decides whose comments it follows: following it
    again is harmless, and another link for the same subscription — perhaps one an impostor
    asked for with the same address, which reads just like the owner's own — changes nothing
    once it is active."""
    scope = tokens.read_confirm_token(token)
    now = timezone.now()
    with transaction.atomic():
        subscriptions = Subscription.objects.filter(
            subscriber=scope.subscriber, pk__in=scope.subscription_ids
        )
        # Locked, so two links followed at once cannot both start the same subscription.
        starting = list(
            subscriptions.filter(confirmed_at__isnull=True)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        started: dict[str, Any] = {"confirmed_at": now}
        asker = _asker(scope)
        if scope.names_asker:
            started["commenter"] = asker
        Subscription.objects.filter(pk__in=starting).update(**started)
        if starting and asker is not None and scope.comment_id is not None:
            _follow_replies_to(comment_id=scope.comment_id, asker=asker, subscription_ids=starting)
        return _with_scope(list(subscriptions.values_list("pk", flat=True)))


def _follow_replies_to(*, comment_id: int, asker: Commenter, subscription_ids: list[int]) -> None:
    """The subscriptions on the story that the link sent for a comment started follow replies
    to that comment. For a guest this is the only way a reply is news to anyone: its identity
    is just the address it typed (``fanout.ParentAuthor``)."""
    comment = Comment.objects.filter(pk=comment_id, commenter=asker).first()
    if comment is None:
        return
    followers = Subscription.objects.filter(
        pk__in=subscription_ids,
        thread_id=comment.thread_id,
        kind__in=[Subscription.Kind.REPLIES, Subscription.Kind.COMMENTS],
    ).values_list("pk", flat=True)
    Through = Subscription.asked_from.through
    Through.objects.bulk_create(
        [Through(subscription_id=pk, comment_id=comment.pk) for pk in followers],
        ignore_conflicts=True,
    )


def comments_disowned(*, comment_ids: Sequence[int]) -> None:
    """These comments no longer belong to anyone (their identity was deleted): no
    subscription follows replies to them any more, nor links them to an address. Call in the
    transaction that disowns them."""
    Subscription.asked_from.through.objects.filter(comment_id__in=comment_ids).delete()


def subscriptions_of(email: str) -> list[dict[str, Any]]:
    """An address's subscriptions as its owner downloads them (dateline.identity.rights and
    the signed-in reader's export)."""
    found = (
        Subscription.objects.filter(subscriber__email=normalise_email(email))
        .select_related("thread", "section")
        .order_by("created_at", "pk")
    )
    return [
        {
            "kind": subscription.kind,
            "story": subscription.thread.url if subscription.thread else None,
            "section": subscription.section.title if subscription.section else None,
            "frequency": subscription.frequency,
            "asked": subscription.created_at.isoformat(),
            "confirmed": (
                subscription.confirmed_at.isoformat() if subscription.confirmed_at else None
            ),
        }
        for subscription in found
    ]


def forget_address(email: str) -> int:
    """End everything this address is subscribed to and drop the outbox's record of mail to
    it, at its owner's request (or an editor's). A message being sent at this moment is left
    to finish. Returns the number of subscriptions ended."""
    address = normalise_email(email)
    with transaction.atomic():
        ended = Subscription.objects.filter(subscriber__email=address).count()
        # Subscriptions and waiting digest items go with their subscriber.
        Subscriber.objects.filter(email=address).delete()
        OutboundMessage.objects.filter(recipient__iexact=address).exclude(
            status=OutboundMessage.Status.SENDING
        ).delete()
    return ended


def _asker(scope: tokens.TokenScope) -> Commenter | None:
    """The identity that asked for a confirmation link, if it still claims the address: one
    that has changed its address since (or been deleted) follows nothing here."""
    if scope.commenter_id is None:
        return None
    commenter = Commenter.objects.filter(pk=scope.commenter_id).first()
    if commenter is None or normalise_email(commenter.email) != scope.subscriber.email:
        return None
    return commenter


def unsubscribe(*, token: str) -> tokens.TokenScope:
    """The one-click unsubscribe: stop exactly what the message's link names (the
    subscriptions that caused it, or the editors' moderation notices). Idempotent."""
    scope = tokens.read_unsubscribe_token(token)
    subscriber = scope.subscriber
    with transaction.atomic():
        if scope.moderation:
            subscriber.moderation_notices = False
            subscriber.save(update_fields=["moderation_notices"])
        elif scope.everything:
            subscriber.subscriptions.all().delete()
        else:
            subscriber.subscriptions.filter(pk__in=scope.subscription_ids).delete()
        _cancel_stopped(subscriber)
    return scope


def remove_subscription(*, subscriber: Subscriber, subscription_id: int) -> None:
    with transaction.atomic():
        subscriber.subscriptions.filter(pk=subscription_id).delete()
        _cancel_stopped(subscriber)


def remove_all(*, subscriber: Subscriber) -> None:
    with transaction.atomic():
        subscriber.subscriptions.all().delete()
        _cancel_stopped(subscriber)


def set_moderation_notices(*, subscriber: Subscriber, enabled: bool) -> None:
    with transaction.atomic():
        subscriber.moderation_notices = enabled
        subscriber.save(update_fields=["moderation_notices"])
        _cancel_stopped(subscriber)


def _cancel_stopped(subscriber: Subscriber) -> None:
    # What someone has stopped is not sent, not even the messages already queued for it.
    stopped = Q(pk__in=[])
    if not subscriber.subscriptions.exists():
        stopped |= ~Q(category=OutboundMessage.Category.MODERATION)
    if not subscriber.moderation_notices:
        stopped |= Q(category=OutboundMessage.Category.MODERATION)
    OutboundMessage.objects.filter(
        stopped, subscriber=subscriber, status=OutboundMessage.Status.QUEUED
    ).update(status=OutboundMessage.Status.CANCELLED, last_error="Unsubscribed.")


# Events ---------------------------------------------------------------------------------------


def comment_approved(*, comment: Comment) -> None:
    """A comment is visible now (approved on arrival, or by a moderator): tell the story's
    followers and the author of the comment it replies to. Once per comment, ever — a comment
    approved, withdrawn and approved again is not announced twice.

    Call inside the transaction that approves it. A failure here is logged and leaves the
    comment's own transaction intact (the savepoint below): a notification bug must never
    cost a reader their comment."""
    if not comment.is_visible:
        return
    if not Subscription.objects.active().filter(thread_id=comment.thread_id).exists():
        return
    try:
        with transaction.atomic():
            fanout.start(
                event_key=f"comment:{comment.pk}",
                kind=FanOut.Kind.COMMENT,
                object_id=comment.pk,
            )
    except Exception:
        logger.exception("could not queue notifications for comment %s", comment.pk)


def moderators() -> list[Any]:
    """Active users who may moderate comments and have an address to write to."""
    User = get_user_model()
    permission = Permission.objects.filter(
        content_type__app_label="discussion", codename="change_comment"
    )
    return list(
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permission)
            | Q(groups__permissions__in=permission)
        )
        .distinct()
        .order_by("pk")
    )


def moderation_queue_url(brand: emails.Brand) -> str:
    try:
        return brand.absolute(reverse("discussion_comments:index"))
    except NoReverseMatch:
        return brand.absolute("/admin/")


def comment_held(*, comment: Comment) -> None:
    """A comment waits for moderation: tell the editors who can approve it, at once. Call
    inside the transaction that holds it; failures are logged, as in ``comment_approved``."""
    if comment.status != Comment.Status.PENDING:
        return
    try:
        with transaction.atomic():
            _queue_moderation_notices(comment)
    except Exception:
        logger.exception("could not queue moderation notices for comment %s", comment.pk)


def _queue_moderation_notices(comment: Comment) -> None:
    people = moderators()
    if not people:
        return
    brand = emails.Brand.current()
    now = timezone.now()
    title, story_url = emails.story_of(brand, comment.thread)
    waiting = Comment.objects.awaiting_moderation().count()
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A comment on “%(title)s” is waiting for moderation") % {"title": title}
    for user in people:
        email = normalise_email(user.email)
        subscriber, _created = Subscriber.objects.get_or_create(email=email)
        if not subscriber.moderation_notices:
            continue
        if OutboundMessage.objects.filter(
            subscriber=subscriber,
            category=OutboundMessage.Category.MODERATION,
            created_at__gte=now - MODERATION_QUIET,
        ).exists():
            continue
        emails.build(
            brand=brand,
            subscriber=subscriber,
            event_key=f"held:{comment.pk}",
            category=OutboundMessage.Category.MODERATION,
            template="moderation",
            subject=subject,
            context={
                "comment": comment,
                "comment_text": emails.comment_text(comment),
                "reasons": comment.moderation_reasons,
                "story_title": title,
                "story_url": story_url,
                "queue_url": moderation_queue_url(brand),
                "waiting": waiting,
            },
            moderation=True,
            comment_id=comment.pk,
            priority=2,
        ).save()


def on_page_published(sender: type, instance: ArticlePage, **kwargs: Any) -> None:
    """Wagtail's ``page_published`` receiver (connected in ``NotificationsConfig.ready``).
    Publishing must never fail because of notifications: a failure is logged and the
    scheduler's sweep (``announce_missed_posts``) tries again."""
    try:
        article_published(article=instance)
    except Exception:
        logger.exception("could not announce article %s", instance.pk)


def article_published(*, article: ArticlePage) -> bool:
    """Announce a story's first publication to new-story subscribers (whole site or one of
    its sections). Republishing, scheduling for later, and private or expired pages announce
    nothing. True when this call recorded the announcement."""
    event_key = fanout.post_event_key(article.pk)
    # The cheap question first: an archive's stories, imported by the thousand, are recorded
    # as announced (``never_announce``) before they are published.
    if FanOut.objects.filter(event_key=event_key).exists():
        return False
    if not ArticlePage.objects.published().filter(pk=article.pk).exists():
        return False
    first, last = article.first_published_at, article.last_published_at
    if first is None or (last is not None and last != first):
        # Wagtail sets both to the same instant on a first publication only.
        return False
    with transaction.atomic():
        return (
            fanout.start(
                event_key=event_key,
                kind=FanOut.Kind.POST,
                object_id=article.pk,
            )
            is not None
        )


def never_announce(*, article: ArticlePage) -> None:
    """Record a story's announcement as made, to nobody: an archive brought in by an import
    was news years ago, and its publication now must email no one (neither the publish
    signal nor the sweep of missed posts announces an event that is already recorded)."""
    # One INSERT that does nothing when the event is recorded already (an import run again).
    FanOut.objects.bulk_create(
        [
            FanOut(
                event_key=fanout.post_event_key(article.pk),
                kind=FanOut.Kind.POST,
                object_id=article.pk,
                finished_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )


def announce_missed_posts(*, now: datetime.datetime | None = None) -> int:
    """Announce stories first published in the last hour that have no announcement yet: a
    publish whose process died between Wagtail's commit and ours, or whose handler failed."""
    now = now or timezone.now()
    announced = FanOut.objects.filter(kind=FanOut.Kind.POST).values("object_id")
    missed = (
        ArticlePage.objects.published(now=now)
        .filter(first_published_at__gte=now - ANNOUNCE_SWEEP_WINDOW)
        .exclude(pk__in=announced)
    )
    return sum(article_published(article=article) for article in missed)


def purge_unconfirmed(*, now: datetime.datetime | None = None) -> int:
    """Forget subscriptions whose confirmation link has expired unused."""
    now = now or timezone.now()
    deleted, _detail = (
        Subscription.objects.pending().filter(created_at__lt=now - tokens.CONFIRM_MAX_AGE).delete()
    )
    return deleted


def periodic(*, now: datetime.datetime | None = None) -> None:
    """The scheduler thread's notification chores, each independent of the others."""
    for chore in (digests.run_due, announce_missed_posts, purge_unconfirmed):
        try:
            chore(now=now)
        except Exception:
            logger.exception("notification chore %s failed", chore.__name__)


# The outbox -----------------------------------------------------------------------------------


def can_be_retried(message: OutboundMessage) -> bool:
    # A failed sign-in link has lost its body (delivery._FORGET_LINK_BODIES); its reader asks for a new
    # one from the comment form.
    return message.category != OutboundMessage.Category.EMAIL_LINK


def retry_message(*, message: OutboundMessage) -> bool:
    """An editor sends a failed message again (same Message-ID, a fresh set of attempts)."""
    if not can_be_retried(message):
        return False
    updated = OutboundMessage.objects.filter(
        pk=message.pk, status=OutboundMessage.Status.FAILED
    ).update(
        status=OutboundMessage.Status.QUEUED,
        attempts=0,
        next_attempt_at=timezone.now(),
        lease_expires_at=None,
    )
    return bool(updated)
