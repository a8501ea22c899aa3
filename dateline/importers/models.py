"""What imports remember: which Dateline row each item of a source became (so importing the
same export again updates instead of duplicating, and an interrupted run resumes), and the
imports started from the admin (a file, its progress and its report)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportedItem(models.Model):
    """One item of a source (a WordPress site, a Disqus forum) and the row it became."""

    class Kind(models.TextChoices):
        AUTHOR = "author", _("author")
        CATEGORY = "category", _("category")
        ATTACHMENT = "attachment", _("attachment")
        POST = "post", _("post")
        PAGE = "page", _("page")
        COMMENT = "comment", _("comment")
        MENTION = "mention", _("pingback or trackback")

    # "wordpress:example.com/blog" or "disqus:forum-name": ids are only unique within one.
    source = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_id = models.CharField(max_length=191)
    # The Dateline row (page, author, image, comment…); null when nothing could be made yet
    # (an attachment whose file was not supplied).
    object_id = models.BigIntegerField(null=True, blank=True)
    # What the item looked like when it was last written: an unchanged item is skipped.
    digest = models.CharField(max_length=64, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="imported_item_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.source_id}"


def _private_storage() -> Storage:
    return storages["imports"]


class ImportRun(models.Model):
    """An import started from the admin: the uploaded file, run by the worker, with its
    progress and, once finished, its report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    class Format(models.TextChoices):
        WORDPRESS = "wordpress", _("WordPress export (WXR)")
        DISQUS = "disqus", _("Disqus export")

    format = models.CharField(_("format"), max_length=20, choices=Format.choices)
    file = models.FileField(_("file"), upload_to="%Y/%m/", storage=_private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    # Each start (the first, and every "run again") is one attempt; the task is given its
    # number and writes nothing once a newer attempt has begun, so a worker thought dead that
    # wakes up cannot overwrite the run it was replaced in.
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    done = models.PositiveIntegerField(_("items done"), default=0)
    total = models.PositiveIntegerField(_("items in the file"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # Moved on with every progress write: a run "running" whose heartbeat is old is stalled.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.original_name
