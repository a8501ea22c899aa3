"""What the worker does besides running queued tasks: scheduled publishing without cron, the
chores the apps register, and the background loops they run beside it.

Apps register from their ``ready()``:

- ``register_chore(name, chore, every=None)``: run by the scheduler thread every
  ``DATELINE_SCHEDULER_INTERVAL`` seconds, after scheduled publishing (the notifications'
  digests and sweeps), or at most once per ``every`` seconds (the apps' retention);
- ``register_loop(name, run)``: a thread of its own in ``dateline worker``, ``run(stop)``
  returning once ``stop`` is set (the notifications' email delivery).
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections

logger = logging.getLogger(__name__)

_chores: dict[str, Callable[[], object]] = {}
_every: dict[str, float] = {}
_last_run: dict[str, float] = {}
_loops: dict[str, Callable[[threading.Event], None]] = {}


def register_chore(name: str, chore: Callable[[], object], *, every: float | None = None) -> None:
    """Run ``chore()`` every scheduler interval, after scheduled publishing, or, with
    ``every``, at most once per that many seconds (first at the worker's start). A failure is
    logged and retried at the next interval; it never stops publishing or the other chores."""
    _chores[name] = chore
    if every:
        _every[name] = every


def _due(name: str) -> bool:
    every = _every.get(name)
    if every is None:
        return True
    now = time.monotonic()
    last = _last_run.get(name)
    if last is not None and now - last < every:
        return False
    _last_run[name] = now
    return True


def register_loop(name: str, run: Callable[[threading.Event], None]) -> None:
    """Run ``run(stop)`` in a thread called ``name`` beside the worker's task loop; it must
    return soon after ``stop`` is set."""
    _loops[name] = run


def loops() -> dict[str, Callable[[threading.Event], None]]:
    """The registered loops, by thread name (``dateline worker`` starts them)."""
    return dict(_loops)


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
        # Each chore logs its own failures, so publishing above never waits on, say, email.
        for name, chore in list(_chores.items()):
            if not _due(name):
                continue
            try:
                chore()
            except Exception:
                # Nothing in one chore may stop scheduled publishing, or the others, for good.
                logger.exception("%s failed; retrying in %s s", name, interval)
            finally:
                close_old_connections()
        stop.wait(interval)
