"""Who wants which emails (subscribers and their subscriptions), what is still to be fanned
out to them, what waits for a digest, and the outbox the worker delivers from."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Subscriber(models.Model):
    """One email address. Subscriptions, digests and the personal manage/unsubscribe links
    hang off it, so "stop everything" is one row's worth of work."""

    email = models.EmailField(_("email"), max_length=254, unique=True)
    # Editors' moderation notices are not a subscription (they follow from a permission); an
    # editor can still turn them off from any notice's unsubscribe link.
    moderation_notices = models.BooleanField(_("moderation notices"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.email


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def active(self) -> SubscriptionQuerySet:
        return self.filter(confirmed_at__isnull=False)

    def pending(self) -> SubscriptionQuerySet:
        return self.filter(confirmed_at__isnull=True)


class Subscription(models.Model):
    class Kind(models.TextChoices):
        REPLIES = "replies", _("Replies to my comments")
        COMMENTS = "comments", _("New comments on a story")
        POSTS = "posts", _("New stories")

    class Frequency(models.TextChoices):
        INSTANT = "instant", _("At once")
        DAILY = "daily", _("Daily digest")
        WEEKLY = "weekly", _("Weekly digest")

    subscriber = models.ForeignKey(
        Subscriber,
        verbose_name=_("subscriber"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    thread = models.ForeignKey(
        "discussion.Thread",
        verbose_name=_("story discussion"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    section = models.ForeignKey(
        "newsroom.SectionPage",
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        help_text=_("Empty: every new story on the site."),
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.INSTANT
    )
    # The commenting identity that asked, when it asked for its own address (the comment form,
    # or a signed-in reader following a story), recorded when its confirmation link starts the
    # subscription. "Replies to my comments" means replies to this identity's comments: an
    # address typed into a comment proves nothing, since a guest can type anyone's.
    commenter = models.ForeignKey(
        "discussion.Commenter",
        verbose_name=_("commenter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The comments it was asked for from (the comment form's box), each added when the link
    # sent for that comment is followed. A guest commenter is keyed by the address it typed,
    # so its identity says nothing about who wrote its comments: replies to a guest's comment
    # reach only the subscriptions asked for from that very comment.
    asked_from = models.ManyToManyField(
        "discussion.Comment",
        verbose_name=_("asked from the comments"),
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    # Null until the address confirms (double opt-in); nothing is sent to a pending one
    # except its confirmation email.
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "kind", "thread"],
                condition=Q(thread__isnull=False),
                name="subscription_once_per_thread",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "kind", "section"],
                condition=Q(section__isnull=False),
                name="subscription_once_per_section",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "kind"],
                condition=Q(thread__isnull=True, section__isnull=True),
                name="subscription_once_site_wide",
            ),
            models.CheckConstraint(
                condition=(Q(kind="posts", thread__isnull=True))
                | (~Q(kind="posts") & Q(thread__isnull=False, section__isnull=True)),
                name="subscription_scope_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["thread", "kind"], name="subscription_by_thread")]

    def __str__(self) -> str:
        return f"{self.subscriber}: {self.get_kind_display()}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None

    @property
    def description(self) -> str:
        """What this subscription sends, in words (the thread and section must be loaded)."""
        if self.kind == self.Kind.POSTS:
            if self.section is not None:
                what = gettext("New stories in %(section)s") % {"section": self.section.title}
            else:
                what = gettext("New stories")
        else:
            title = str(self.thread) if self.thread is not None else ""
            if self.kind == self.Kind.REPLIES:
                what = gettext("Replies to your comments on “%(title)s”") % {"title": title}
            else:
                what = gettext("New comments on “%(title)s”") % {"title": title}
        return f"{what} ({self.get_frequency_display()})"


class FanOut(models.Model):
    """One event (a comment approved, a story published) still being turned into messages.
    Written in the event's transaction; the first batch of recipients is handled there too,
    and the worker continues from ``cursor`` in batches, each in its own transaction, so a
    story with 50,000 followers neither holds a transaction open nor loses anyone."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment approved")
        POST = "post", _("Story published")

    event_key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    # Subscribers are visited in id order; everything up to and including this id is done.
    cursor = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="fanout_unfinished",
                condition=Q(finished_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.event_key


class DigestItem(models.Model):
    """Something a digest subscriber will hear about in their next daily or weekly email."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    # Stopping the subscription drops what was waiting for its digest.
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=10, choices=Subscription.Frequency.choices)
    event_key = models.CharField(max_length=100)
    comment = models.ForeignKey(
        "discussion.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    article = models.ForeignKey(
        "newsroom.ArticlePage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_reply = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The digest period ("daily:2025-03-01") that carried it; empty while it waits.
    digest_key = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "event_key"], name="digest_item_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["frequency", "created_at"],
                name="digest_item_waiting",
                condition=Q(digest_key=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id}: {self.event_key}"


class OutboundMessage(models.Model):
    """The outbox. A row is written in the same transaction as the event it tells about, and
    the worker delivers it: at least once, always with the same Message-ID."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Category(models.TextChoices):
        CONFIRMATION = "confirmation", _("Subscription confirmation")
        COMMENT = "comment", _("New comment")
        REPLY = "reply", _("Reply")
        POST = "post", _("New story")
        DIGEST = "digest", _("Digest")
        MODERATION = "moderation", _("Moderation notice")
        # A guest's one-time link that confirms their address (dateline.identity): not a
        # subscription, so no unsubscribe link, but the same outbox so nothing is lost.
        EMAIL_LINK = "email_link", _("Email confirmation link")

    event_key = models.CharField(_("event"), max_length=100)
    recipient = models.EmailField(_("recipient"), max_length=254)
    category = models.CharField(_("kind"), max_length=20, choices=Category.choices)
    # Lower goes first: a confirmation someone is waiting for beats a digest.
    priority = models.PositiveSmallIntegerField(default=5)
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # A reader notification about a comment is dropped if the comment stops being approved
    # before the message leaves (no foreign key: the history outlives the comment).
    comment_id = models.PositiveBigIntegerField(null=True, blank=True)
    # "subject" alone is also a commenter's provider subject (discussion); this one is an
    # email's, and Arabic needs two different words.
    subject = models.CharField(pgettext_lazy("email message", "subject"), max_length=255)
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient"], name="outbound_once_per_event_and_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["status", "priority", "next_attempt_at"], name="outbound_due"),
            models.Index(fields=["sent_at"], name="outbound_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"
