"""Helpers for the notification tests: a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps
what it receives, and the worker's delivery step run in-process."""

from __future__ import annotations

import asyncio
import datetime
import email
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from django.utils import timezone
from wagtail.models import PageViewRestriction

from dateline.newsroom.models import ArticlePage
from dateline.notifications import delivery, fanout
from dateline.notifications.models import OutboundMessage, Subscriber, Subscription
from tests.servers import free_port

# aiosmtpd logs every SMTP command at INFO; a failing test's output should show the test.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Mailbox:
    """An SMTP handler that keeps every message it accepts. ``delay`` slows each DATA
    command down after the message has been stored (the window in which a sender that dies
    has delivered a message without knowing it); ``reply`` answers with an error instead."""

    def __init__(self, *, delay: float = 0.0, reply: str = "") -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # each message's bytes as they came over the wire
        self.envelopes: list[tuple[str, list[str]]] = []
        self.delay = delay
        self.reply = reply
        self.port = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.raw.append(bytes(envelope.original_content or envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(m["Message-ID"]) for m in self.messages]

    def wait_for(self, count: int, *, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return True
            time.sleep(0.02)
        return len(self.messages) >= count


@contextmanager
def smtp_server(handler: Mailbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    try:
        yield port
    finally:
        controller.stop()


def smtp_mailer(port: int) -> dict[str, Any]:
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
    }


def deliver_all() -> int:
    """What the worker's delivery thread does, until nothing is left to do."""
    total = 0
    while True:
        fanned = fanout.process_pending()
        handled, _down = delivery.deliver_due(max_messages=1000)
        total += handled
        if not fanned and not handled:
            return total


def active_subscription(
    email_address: str,
    kind: str,
    *,
    thread=None,
    section=None,
    frequency: str = Subscription.Frequency.INSTANT,
    commenter=None,
    asked_from=(),
) -> Subscription:
    """A confirmed subscription, as if the double opt-in had been completed; ``commenter`` is
    the identity that asked (the comment form's commenter) and ``asked_from`` the comments
    whose confirmation links were followed."""
    subscriber, _created = Subscriber.objects.get_or_create(email=email_address)
    subscription = Subscription.objects.create(
        subscriber=subscriber,
        kind=kind,
        thread=thread,
        section=section,
        frequency=frequency,
        commenter=commenter,
        confirmed_at=timezone.now(),
    )
    subscription.asked_from.set(asked_from)
    return subscription


def outbox(**filters: Any) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(**filters).order_by("pk"))


def hide_story(article, how: str) -> None:
    """A story readers can no longer see: withdrawn, made private, or past its expiry time
    (still live until the worker gets round to it)."""
    if how == "unpublished":
        article.unpublish()
    elif how == "private":
        PageViewRestriction.objects.create(
            page=article, restriction_type=PageViewRestriction.PASSWORD, password="members-only"
        )
    else:
        ArticlePage.objects.filter(pk=article.pk).update(
            expire_at=timezone.now() - datetime.timedelta(seconds=5)
        )
