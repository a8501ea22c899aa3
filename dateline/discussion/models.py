"""The readers' conversation: threads (one per story, or per page of another site that embeds
Dateline), the commenters who take part, their comments, and the newsroom's moderation rules."""

from __future__ import annotations

import datetime
import ipaddress

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

MAX_DEPTH_LIMIT = 10


class Thread(models.Model):
    """Where a conversation happens. Stories get one the first time someone comments; pages of
    other sites get one keyed by their URL or an explicit id, limited to allowed origins."""

    key = models.CharField(_("key"), max_length=255, unique=True)
    article = models.OneToOneField(
        "newsroom.ArticlePage",
        verbose_name=_("article"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="discussion_thread",
    )
    url = models.URLField(_("page address"), max_length=500, blank=True)
    title = models.CharField(_("title"), max_length=255, blank=True)
    closed = models.BooleanField(_("closed"), default=False)
    # Kept up to date by discussion.actions in the same transaction as the comment, so list
    # pages can show counts without counting.
    approved_count = models.PositiveIntegerField(_("approved comments"), default=0)
    pending_count = models.PositiveIntegerField(_("comments waiting"), default=0)
    last_comment_at = models.DateTimeField(_("last comment"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("discussion thread")
        verbose_name_plural = _("discussion threads")

    def __str__(self) -> str:
        return self.title or self.key


class Commenter(models.Model):
    """Who wrote a comment: a guest (keyed by the email they typed), a verified email address,
    or an account at a sign-in provider (keyed by provider and subject, never by email alone).
    Trust and bans attach here, so they follow the person rather than the comment."""

    class Kind(models.TextChoices):
        GUEST = "guest", _("Guest")
        VERIFIED_EMAIL = "email", _("Verified email")
        PROVIDER = "provider", _("Sign-in provider")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    provider = models.CharField(
        _("provider"),
        max_length=64,
        help_text=_("'guest' or 'email' for those kinds, else the sign-in provider's id."),
    )
    subject = models.CharField(
        _("subject"),
        max_length=255,
        help_text=_("The provider's stable user id, or the normalised email address."),
    )
    display_name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    email_verified = models.BooleanField(_("email verified"), default=False)
    website = models.URLField(_("website"), max_length=200, blank=True)
    avatar_url = models.URLField(_("avatar"), max_length=500, blank=True)
    # The provider's picture as the server fetched, resized and stored it (media storage):
    # pages show this, never the provider's address (discussion/avatars.py).
    avatar_image = models.CharField(_("stored avatar"), max_length=200, blank=True)
    approved_comment_count = models.PositiveIntegerField(_("approved comments"), default=0)
    created_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("commenter")
        verbose_name_plural = _("commenters")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="commenter_unique_provider_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.provider})"


class CommentQuerySet(models.QuerySet["Comment"]):
    def approved(self) -> CommentQuerySet:
        """Comments readers may see: the one rule, with ``Comment.is_visible`` and
        ``shown_to_readers()`` for a query's own conditions."""
        return self.filter(shown_to_readers())

    def awaiting_moderation(self) -> CommentQuerySet:
        return self.filter(status=Comment.Status.PENDING)


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        SPAM = "spam", _("Spam")
        TRASH = "trash", _("Trash")

    thread = models.ForeignKey(
        Thread, verbose_name=_("thread"), on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
    )
    # The top-level comment this one hangs under (null for top-level comments): a page of the
    # thread is a keyset page of top-level comments plus everything under them.
    root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="descendants",
        editable=False,
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    commenter = models.ForeignKey(
        Commenter, verbose_name=_("commenter"), on_delete=models.CASCADE, related_name="comments"
    )
    author_name = models.CharField(_("name shown"), max_length=100)
    author_website = models.URLField(_("website"), max_length=200, blank=True)
    body = models.TextField(
        _("comment"), help_text=_("As typed, in the small Markdown subset readers may use.")
    )
    body_html = models.TextField(_("comment as shown"), editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    removed_by_author = models.BooleanField(_("deleted by its author"), default=False)
    # Approved comments below this top-level comment: lets a removed comment that still has
    # visible replies keep its place in the thread as a placeholder.
    approved_reply_count = models.PositiveIntegerField(default=0, editable=False)
    # Readers who marked it useful (one each: Reaction), kept here so a thread shows counts
    # without counting; changed in the same transaction as the Reaction row.
    useful_count = models.PositiveIntegerField(_("marked useful"), default=0, editable=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    content_hash = models.CharField(max_length=64, editable=False, db_index=True)
    spam_score = models.FloatField(_("spam score"), default=0)
    moderation_reasons = models.JSONField(_("why it was held"), default=list, blank=True)
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            # Keyset pages of top-level comments, in either order.
            models.Index(
                fields=["thread", "created_at", "id"],
                name="comment_thread_roots",
                condition=Q(root__isnull=True),
            ),
            models.Index(fields=["root", "created_at", "id"], name="comment_root_subtree"),
            # Keyset pages of top-level comments, most useful first.
            models.Index(
                fields=["thread", "-useful_count", "created_at", "id"],
                name="comment_thread_useful",
                condition=Q(root__isnull=True),
            ),
            models.Index(fields=["status", "created_at"], name="comment_moderation_queue"),
            models.Index(fields=["commenter", "created_at"], name="comment_by_commenter"),
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"

    @property
    def is_visible(self) -> bool:
        """Shown to readers (``CommentQuerySet.approved``): only approved comments ever are."""
        return self.status == self.Status.APPROVED

    @property
    def anchor(self) -> str:
        return f"comment-{self.pk}"


def shown_to_readers() -> Q:
    """The condition ``approved()`` filters on, for queries that combine it with others."""
    return Q(status=Comment.Status.APPROVED)


class Mention(models.Model):
    """Another site linked to a story (a WordPress pingback or trackback, brought in by an
    import). Stored and counted, never shown under the story: they are links, not part of the
    conversation, and on most blogs they were largely spam. Editors see them in the admin,
    and an export to WordPress gives them back."""

    class Kind(models.TextChoices):
        PINGBACK = "pingback", _("Pingback")
        TRACKBACK = "trackback", _("Trackback")

    thread = models.ForeignKey(
        Thread, verbose_name=_("thread"), on_delete=models.CASCADE, related_name="mentions"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source_url = models.URLField(_("linking page"), max_length=500, blank=True)
    source_title = models.CharField(_("linking site"), max_length=255, blank=True)
    excerpt = models.TextField(_("excerpt"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Comment.Status.choices, default=Comment.Status.APPROVED
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.source_title or self.source_url


class Reaction(models.Model):
    """A reader marked a comment as useful: one row per reader per comment (``reader_key``,
    one-way, as for reports). The count readers see is ``Comment.useful_count``."""

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="reactions"
    )
    reader_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reader_key"], name="reaction_once_per_reader"
            )
        ]

    def __str__(self) -> str:
        return f"useful: {self.comment_id}"


class Report(models.Model):
    """A reader's report that a shown comment breaks the rules. One per reader per comment
    (``reporter_key``); enough open ones from different readers hold the comment
    (``actions.report_comment``). Who reported is never shown to readers."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abuse or harassment")
        OFF_TOPIC = "off_topic", _("Off-topic")
        OTHER = "other", _("Something else")

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The reporter's commenting identity when they had one (their data export lists it).
    reporter = models.ForeignKey(
        Commenter,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_made",
    )
    # Who reported, as a one-way key (identity, browser token, or a keyed hash of the IP
    # address): enough to count each reader once, not to name them.
    reporter_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    dismissed_at = models.DateTimeField(_("dismissed"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter_key"], name="report_once_per_reader"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.comment_id}"


class Ban(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("Email address")
        IP = "ip", _("IP address or range")
        COMMENTER = "commenter", _("Commenter identity")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value = models.CharField(
        _("value"),
        max_length=255,
        blank=True,
        help_text=_("An email address, an IP address, or a range such as 203.0.113.0/24."),
    )
    commenter = models.ForeignKey(
        Commenter,
        verbose_name=_("commenter"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="bans",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ban")
        verbose_name_plural = _("bans")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.commenter or self.value}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.kind == self.Kind.IP:
            try:
                ipaddress.ip_network(self.value.strip(), strict=False)
            except ValueError:
                raise ValidationError(
                    {"value": _("Enter an IP address or a range like 203.0.113.0/24.")}
                ) from None
        if self.kind == self.Kind.EMAIL and "@" not in self.value:
            raise ValidationError({"value": _("Enter an email address.")})
        if self.kind == self.Kind.COMMENTER and self.commenter_id is None:
            raise ValidationError({"commenter": _("Choose the commenter to ban.")})


@register_setting(icon="comment")
class DiscussionSettings(BaseSiteSetting):
    class Mode(models.TextChoices):
        HOLD_ALL = "hold_all", _("Hold every comment for moderation")
        HOLD_NEW = "hold_new", _("Hold comments from commenters without enough approved comments")
        PUBLISH = "publish", _("Publish comments at once (spam and word rules still apply)")

    class Order(models.TextChoices):
        OLDEST = "oldest", _("Oldest first")
        NEWEST = "newest", _("Newest first")
        # Top-level comments by readers' "useful" marks, then oldest first; replies stay in
        # the order they were written.
        USEFUL = "useful", _("Most useful first")

    heading = models.CharField(
        _("heading"),
        max_length=100,
        default="",
        blank=True,
        help_text=_("Empty shows the standard “Leave a Reply”."),
    )
    mode = models.CharField(
        _("moderation"), max_length=20, choices=Mode.choices, default=Mode.HOLD_NEW
    )
    trusted_after = models.PositiveSmallIntegerField(
        _("approved comments before a commenter is trusted"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    max_links = models.PositiveSmallIntegerField(
        _("hold a comment with more links than"), default=2
    )
    moderation_words = models.TextField(
        _("words that hold a comment"),
        blank=True,
        help_text=_("One word or phrase per line; a comment containing one waits for moderation."),
    )
    blocked_words = models.TextField(
        _("words that mark a comment as spam"),
        blank=True,
        help_text=_("One word or phrase per line; a comment containing one goes to spam."),
    )
    reports_to_hold = models.PositiveSmallIntegerField(
        _("reports from different readers that hold a comment"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("The comment waits for a moderator, who is told by email."),
    )
    max_length = models.PositiveIntegerField(
        _("maximum comment length (characters)"),
        default=10_000,
        validators=[MinValueValidator(100), MaxValueValidator(100_000)],
    )
    flood_seconds = models.PositiveSmallIntegerField(
        _("seconds between comments from one address"),
        default=15,
        help_text=_("Per IP address and per email. 0 turns the flood limit off."),
    )
    edit_window_minutes = models.PositiveSmallIntegerField(
        _("minutes a commenter may edit or delete their comment"),
        default=10,
        validators=[MaxValueValidator(24 * 60)],
    )
    max_depth = models.PositiveSmallIntegerField(
        _("reply depth"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DEPTH_LIMIT)],
        help_text=_("Replies deeper than this attach to the deepest allowed level."),
    )
    order = models.CharField(_("order"), max_length=10, choices=Order.choices, default=Order.OLDEST)
    page_size = models.PositiveSmallIntegerField(
        _("top-level comments per page"),
        default=50,
        validators=[MinValueValidator(5), MaxValueValidator(500)],
    )
    close_after_days = models.PositiveSmallIntegerField(
        _("close discussions after (days)"),
        default=0,
        help_text=_("0 keeps discussions open. Counted from the story's publication."),
    )
    embed_origins = models.TextField(
        _("sites allowed to embed the discussion"),
        blank=True,
        help_text=_("One origin per line, e.g. https://blog.example.org"),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("heading"),
                FieldPanel("order"),
                FieldPanel("page_size"),
                FieldPanel("max_depth"),
            ],
            heading=_("Threads"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("mode"),
                FieldPanel("trusted_after"),
                FieldPanel("max_links"),
                FieldPanel("reports_to_hold"),
                FieldPanel("moderation_words"),
                FieldPanel("blocked_words"),
            ],
            heading=_("Moderation"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("max_length"),
                FieldPanel("flood_seconds"),
                FieldPanel("edit_window_minutes"),
                FieldPanel("close_after_days"),
            ],
            heading=_("Limits"),
        ),
        FieldPanel("embed_origins"),
    ]

    class Meta:
        verbose_name = _("discussion settings")

    @staticmethod
    def _lines(text: str) -> list[str]:
        return [line.strip().casefold() for line in text.splitlines() if line.strip()]

    @property
    def moderation_word_list(self) -> list[str]:
        return self._lines(self.moderation_words)

    @property
    def blocked_word_list(self) -> list[str]:
        return self._lines(self.blocked_words)

    @property
    def embed_origin_list(self) -> list[str]:
        return [
            line.strip().rstrip("/").lower()
            for line in self.embed_origins.splitlines()
            if line.strip()
        ]

    def closes_at(self, published: datetime.datetime | None) -> datetime.datetime | None:
        if not self.close_after_days or published is None:
            return None
        return published + datetime.timedelta(days=self.close_after_days)
