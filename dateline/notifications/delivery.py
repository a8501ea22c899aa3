"""The worker's delivery loop: claim a due message, send it over the configured mailer, mark
it sent; on failure try again later with exponential backoff, and give up after
``DATELINE_EMAIL_MAX_ATTEMPTS``.

The guarantee is *at least once, with a stable Message-ID*. A message is claimed (status
``sending``, a lease until ``lease_expires_at``) in one transaction, sent, and marked ``sent``
in the next. If the worker dies in between — after the mail server accepted the message but
before ``sent`` was committed — the lease runs out and another (or the restarted) worker
sends it again, with the same Message-ID so receiving systems can drop the copy. Only the
message in flight at the moment of the crash can be sent twice; every other claimed message
was either marked sent or never handed to the server.
"""

from __future__ import annotations

import contextlib
import datetime
import email.policy
import logging
import os
import random
import smtplib
import socket
import threading
import uuid
from enum import Enum
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import close_old_connections, connection, transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.utils import timezone

from dateline.discussion.models import Comment
from dateline.notifications import digests, fanout
from dateline.notifications.models import OutboundMessage

logger = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"[:100]
MAX_BACKOFF = datetime.timedelta(hours=6)
MAX_ERROR_LENGTH = 2000


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SERVER_DOWN = "server_down"


def backoff(attempts: int) -> datetime.timedelta:
    """60 s, 2 min, 4 min … capped at 6 h, with ±20% jitter so a recovering mail server is
    not hit by every waiting message in the same second."""
    base = settings.DATELINE_EMAIL_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    seconds = min(base, MAX_BACKOFF.total_seconds()) * random.uniform(0.8, 1.2)
    return datetime.timedelta(seconds=seconds)


# A verified-guest link is a key to commenting as its reader until it expires: once it has
# left, or never will, its body goes, so nobody with access to the outbox (the admin's
# failed list, a database dump) can use it. Subject, recipient and status stay for the
# record. One expression for one message or many.
LINK_BODY_FIELDS = ("text", "html")
_FORGET_LINK_BODIES: dict[str, Any] = {
    name: Case(
        When(category=OutboundMessage.Category.EMAIL_LINK, then=Value("")),
        default=F(name),
        output_field=TextField(),
    )
    for name in LINK_BODY_FIELDS
}


def _settled(**fields: Any) -> dict[str, Any]:
    """The update that settles a message (sent, failed for good, cancelled)."""
    return {**fields, **_FORGET_LINK_BODIES}


SETTLED = (
    OutboundMessage.Status.SENT,
    OutboundMessage.Status.FAILED,
    OutboundMessage.Status.CANCELLED,
)


def prune_settled(*, now: datetime.datetime | None = None) -> int:
    """Delete the outbox's record of messages settled longer ago than
    ``DATELINE_EMAIL_RETENTION_DAYS`` (hourly, by the worker; 0 keeps them). Queued and
    sending messages are never touched. In batches: SQLite has one write lock."""
    days = settings.DATELINE_EMAIL_RETENTION_DAYS
    if not days:
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    old = OutboundMessage.objects.filter(status__in=SETTLED).filter(
        Q(sent_at__lt=cutoff) | Q(sent_at=None, created_at__lt=cutoff)
    )
    pruned = 0
    while ids := list(old.values_list("pk", flat=True)[:500]):
        pruned += OutboundMessage.objects.filter(pk__in=ids).delete()[0]
    return pruned


def _due(now: datetime.datetime) -> Q:
    return Q(status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=OutboundMessage.Status.SENDING, lease_expires_at__lte=now
    )


def claim_next(*, worker_id: str = WORKER_ID) -> OutboundMessage | None:
    """Take the next due message for this worker: queued and due, or abandoned mid-send by a
    worker that died (its lease ran out). On PostgreSQL, SKIP LOCKED lets several workers
    claim side by side; on SQLite the IMMEDIATE transaction serialises them."""
    now = timezone.now()
    with transaction.atomic():
        # A message whose worker died while sending it on every attempt is given up on here,
        # or one poisonous message could crash-loop the worker forever.
        OutboundMessage.objects.filter(
            status=OutboundMessage.Status.SENDING,
            lease_expires_at__lte=now,
            attempts__gte=settings.DATELINE_EMAIL_MAX_ATTEMPTS,
        ).update(
            status=OutboundMessage.Status.FAILED,
            lease_expires_at=None,
            last_error="The worker stopped while sending this message on every attempt.",
            **_FORGET_LINK_BODIES,
        )
        candidates = OutboundMessage.objects.filter(_due(now)).order_by(
            "priority", "next_attempt_at", "pk"
        )
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        message = candidates.first()
        if message is None:
            return None
        message.status = OutboundMessage.Status.SENDING
        message.attempts += 1
        message.lease_expires_at = now + datetime.timedelta(
            seconds=settings.DATELINE_EMAIL_LEASE_SECONDS
        )
        message.claimed_by = worker_id
        message.save(update_fields=["status", "attempts", "lease_expires_at", "claimed_by"])
    return message


class _Email(EmailMultiAlternatives):
    """Headers folded only past RFC 5322's 998-character line limit. At the usual 78, a long
    ``List-Unsubscribe: <https://…>`` is rewritten as RFC 2047 encoded words, which is no
    longer the literal ``<URL>`` RFC 2369 and RFC 8058 ask for: mail providers then offer no
    one-click unsubscribe."""

    def message(self, *, policy: Any = None) -> Any:
        return super().message(policy=(policy or email.policy.default).clone(max_line_length=998))


def as_email(message: OutboundMessage) -> EmailMultiAlternatives:
    headers = {**message.headers, "Message-ID": message.message_id}
    # The sender was chosen when the message was written (emails.sender); rows queued before
    # that have none and use the configured one.
    from_email = headers.pop("From", "") or settings.DEFAULT_FROM_EMAIL
    mail = _Email(
        subject=message.subject,
        body=message.text,
        from_email=from_email,
        to=[message.recipient],
        headers=headers,
    )
    if message.html:
        mail.attach_alternative(message.html, "text/html")
    return mail


def _mine(message: OutboundMessage, worker_id: str) -> Q:
    # Only the worker holding the claim may settle it; a worker whose lease ran out must not
    # overwrite what the worker that took over decided.
    return Q(pk=message.pk, status=OutboundMessage.Status.SENDING, claimed_by=worker_id)


def _is_permanent(error: Exception) -> bool:
    """5xx answers about this message (unknown mailbox, refused content) will not change on
    a retry; connection trouble and 4xx answers might."""
    if isinstance(error, ValueError):  # an address Django cannot even encode
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in error.recipients.values())
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _is_about_this_message(error: Exception) -> bool:
    # Anything else (refused connection, timeout, refused sender) would fail the next message
    # the same way, so the loop pauses instead of burning through the queue's attempts.
    return isinstance(error, ValueError | smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError)


def _withdrawn(message: OutboundMessage, *, now: datetime.datetime) -> str:
    """Why a notice to readers must not leave now, or "" when it may: its comment is no longer
    approved, or its story is no longer one readers can see (unpublished, made private, past
    its expiry time): the same rule as a digest's (digests.shown_story_ids, _still_shown);
    editors' moderation notices are about comments that are not approved by nature."""
    if message.category == OutboundMessage.Category.MODERATION:
        return ""
    story_id: int | None = None
    if message.comment_id is not None:
        comment = (
            Comment.objects.approved()
            .filter(pk=message.comment_id)
            .values("thread__article_id")
            .first()
        )
        if comment is None:
            return "The comment is no longer approved."
        story_id = comment["thread__article_id"]  # None: a thread on an embedding site
    elif message.category == OutboundMessage.Category.POST:
        story_id = fanout.story_of_post(message.event_key)
    if story_id is not None and not digests.shown_story_ids({story_id}, now=now):
        return "The story is no longer published."
    return ""


def send_one(
    message: OutboundMessage, *, mailer: BaseEmailBackend, worker_id: str = WORKER_ID
) -> Outcome:
    now = timezone.now()
    withdrawn = _withdrawn(message, now=now)
    if withdrawn:
        # Shown, then withdrawn before the message left: readers must not get it by email.
        OutboundMessage.objects.filter(_mine(message, worker_id)).update(
            **_settled(
                status=OutboundMessage.Status.CANCELLED,
                lease_expires_at=None,
                last_error=withdrawn,
            )
        )
        return Outcome.CANCELLED
    if message.category == OutboundMessage.Category.DIGEST:
        fresh = digests.as_sent_now(message)
        if fresh is None:
            OutboundMessage.objects.filter(_mine(message, worker_id)).update(
                status=OutboundMessage.Status.CANCELLED,
                lease_expires_at=None,
                last_error="Everything in this digest was withdrawn before it was sent.",
            )
            return Outcome.CANCELLED
        message.subject, message.text, message.html = fresh.subject, fresh.text, fresh.html
        # Kept on the row, so the admin (and a retry) shows what was actually sent.
        OutboundMessage.objects.filter(_mine(message, worker_id)).update(
            subject=message.subject, text=message.text, html=message.html
        )
    try:
        accepted = mailer.send_messages([as_email(message)])
        if not accepted:
            raise smtplib.SMTPException("the mail backend did not accept the message")
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the message
        # A broken connection must not poison the next message (and closing a dead
        # connection can fail too).
        with contextlib.suppress(Exception):
            mailer.close()
        return _record_failure(message, error, worker_id=worker_id)
    OutboundMessage.objects.filter(_mine(message, worker_id)).update(
        **_settled(
            status=OutboundMessage.Status.SENT,
            sent_at=now,
            lease_expires_at=None,
            last_error="",
        )
    )
    return Outcome.SENT


def _record_failure(message: OutboundMessage, error: Exception, *, worker_id: str) -> Outcome:
    description = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    if _is_permanent(error) or message.attempts >= settings.DATELINE_EMAIL_MAX_ATTEMPTS:
        OutboundMessage.objects.filter(_mine(message, worker_id)).update(
            **_settled(
                status=OutboundMessage.Status.FAILED,
                lease_expires_at=None,
                last_error=description,
            )
        )
        logger.warning("giving up on message %s: %s", message.pk, description)
        return Outcome.FAILED
    OutboundMessage.objects.filter(_mine(message, worker_id)).update(
        status=OutboundMessage.Status.QUEUED,
        lease_expires_at=None,
        next_attempt_at=timezone.now() + backoff(message.attempts),
        last_error=description,
    )
    logger.info("message %s will be retried: %s", message.pk, description)
    return Outcome.RETRY if _is_about_this_message(error) else Outcome.SERVER_DOWN


def budget(now: datetime.datetime | None = None) -> int:
    """How many more messages may leave this minute (all workers together)."""
    now = now or timezone.now()
    recent = OutboundMessage.objects.filter(
        Q(sent_at__gte=now - datetime.timedelta(minutes=1))
        | Q(status=OutboundMessage.Status.SENDING)
    ).count()
    return max(0, settings.DATELINE_EMAIL_PER_MINUTE - recent)


def deliver_due(*, max_messages: int = 100, worker_id: str = WORKER_ID) -> tuple[int, bool]:
    """Send what is due, one claim at a time over one mailer connection. Returns how many
    messages were handled and whether the mail server looked unreachable."""
    allowed = min(max_messages, budget())
    handled = 0
    mailer = mailers.default
    try:
        while handled < allowed:
            message = claim_next(worker_id=worker_id)
            if message is None:
                break
            handled += 1
            if send_one(message, mailer=mailer, worker_id=worker_id) is Outcome.SERVER_DOWN:
                return handled, True
    finally:
        with contextlib.suppress(Exception):  # the server may already have gone away
            mailer.close()
    return handled, False


def run_forever(stop: threading.Event, interval: float = 1.0) -> None:
    """The worker's delivery thread: fan events out, then send, until ``stop`` is set."""
    pause = interval
    while not stop.is_set():
        close_old_connections()
        busy = server_down = False
        try:
            busy = fanout.process_pending() > 0
            handled, server_down = deliver_due()
            busy = busy or handled > 0
        except Exception:
            logger.exception("notification delivery failed; retrying in %s s", pause)
        finally:
            close_old_connections()
        if server_down:
            # Wait longer each time the mail server is unreachable, up to a minute.
            pause = min(pause * 2, 60.0)
            stop.wait(pause)
        else:
            pause = interval
            if not busy:
                stop.wait(interval)
