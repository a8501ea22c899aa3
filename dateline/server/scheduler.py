"""Scheduled publishing without cron: the worker process calls this every few seconds."""

from __future__ import annotations

import io
import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def publish_due_pages() -> None:
    """Publish pages whose go-live time has come and unpublish expired ones (Wagtail's own
    ``publish_scheduled`` logic, so the admin's scheduling UI means what it says)."""
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    for line in out.getvalue().splitlines():
        if line.strip():
            logger.info("scheduled publishing: %s", line.strip())


def run_forever(stop: threading.Event, interval: float | None = None) -> None:
    interval = interval or settings.DATELINE_SCHEDULER_INTERVAL
    while not stop.is_set():
        close_old_connections()
        try:
            publish_due_pages()
        except Exception:
            # One bad page must not stop scheduled publishing for every other page.
            logger.exception("scheduled publishing failed; retrying in %s s", interval)
        finally:
            close_old_connections()
        # Digests due, stories whose announcement was missed, expired confirmations; each
        # chore logs its own failures, so publishing above never waits on email.
        from dateline.notifications.actions import periodic as notification_chores

        try:
            notification_chores()
        except Exception:
            # Nothing in the email chores may stop scheduled publishing for good.
            logger.exception("notification chores failed; retrying in %s s", interval)
        finally:
            close_old_connections()
        stop.wait(interval)
