"""What the discussion forgets, and when (docs/privacy.md): readers' IP addresses on comments
after ``DATELINE_IP_RETENTION_DAYS``, comments in spam or the trash after
``DATELINE_SPAM_RETENTION_DAYS`` from when they were put there. Run hourly by the worker
(registered in ``apps.py``); 0 keeps for ever.

In batches, each its own short transaction: on SQLite every write holds the one write lock,
and readers posting comments should wait for a batch, never for the whole clean-up."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from dateline.discussion import actions
from dateline.discussion.models import Comment

logger = logging.getLogger(__name__)

BATCH = 500


def forget_ip_addresses(*, now: datetime.datetime | None = None) -> int:
    """Drop the IP address and browser of comments older than the retention period. The flood
    limit counts in the cache and bans are their own rows, so both keep working; the queue's
    "same address" filter then covers recent comments only."""
    days = settings.DATELINE_IP_RETENTION_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    old = Comment.objects.filter(created_at__lt=cutoff).exclude(ip_address=None, user_agent="")
    forgotten = 0
    while ids := list(old.values_list("pk", flat=True)[:BATCH]):
        forgotten += Comment.objects.filter(pk__in=ids).update(ip_address=None, user_agent="")
    return forgotten


def purge_spam_and_trash(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Delete comments that have been in spam or the trash longer than the retention period
    (``actions.delete_permanently``: those with replies are emptied instead). Returns
    (deleted, emptied)."""
    days = settings.DATELINE_SPAM_RETENTION_DAYS
    if not days:
        return 0, 0
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    old = (
        Comment.objects.filter(status__in=actions.FORGETTABLE)
        .alias(put_there=Coalesce(F("moderated_at"), F("created_at")))
        .filter(put_there__lt=cutoff)
        # Emptied rows stay for their replies; they are not candidates again.
        .exclude(body="", author_name="")
        .order_by("pk")
    )
    deleted = emptied = 0
    while ids := list(old.values_list("pk", flat=True)[:BATCH]):
        batch_deleted, batch_emptied = actions.delete_permanently(comments=ids)
        deleted, emptied = deleted + batch_deleted, emptied + batch_emptied
    return deleted, emptied


def run(*, now: datetime.datetime | None = None) -> None:
    forgotten = forget_ip_addresses(now=now)
    deleted, emptied = purge_spam_and_trash(now=now)
    if forgotten or deleted or emptied:
        logger.info(
            "retention: IP addresses dropped from %d comments; %d spam or trashed comments "
            "deleted, %d emptied (they have replies)",
            forgotten,
            deleted,
            emptied,
        )
