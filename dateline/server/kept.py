"""Values a process keeps between requests, read again when their counter moves.

Some reads are made on every write yet change rarely (the bans in force, the newsroom's own
names). Each is kept per process under the number of a counter (``pagecache.gen_name``) that
every change bumps, and for ``seconds`` at most, so rows changed behind the ORM's back (by hand,
a restored backup) count soon enough too. An app declares the value and bumps the counter
from its ``ready()`` (``invalidation.on_change``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import connection

from dateline.server import pagecache

logger = logging.getLogger(__name__)


class Kept[T]:
    def __init__(self, counter: str, load: Callable[[], T], *, seconds: float = 60) -> None:
        self.counter = counter
        pagecache.read_early(counter)
        self.load = load
        self.seconds = seconds
        self._kept: tuple[int, float, T] | None = None

    def get(self) -> T:
        number: int | None
        try:
            # Read before the rows, so a value is never kept under a number newer than it.
            number = pagecache.read_numbers([self.counter])[0]
        except Exception:  # a cache outage: the database still answers
            logger.warning("could not read the counter %s", self.counter, exc_info=True)
            number = None
        kept = self._kept
        fresh = kept is not None and kept[0] == number and kept[1] > time.monotonic()
        if number is not None and kept is not None and fresh:
            return kept[2]
        value = self.load()
        # Never from inside a transaction: one that changed the rows and then rolled back
        # would leave a value no counter ever moves on from.
        if number is not None and not connection.in_atomic_block:
            self._kept = (number, time.monotonic() + self.seconds, value)
        return value

    def forget(self) -> None:
        self._kept = None

    def changed(self, instance: object = None) -> None:
        """Bump the counter (an ``invalidation.on_change`` receiver)."""
        pagecache.bump(self.counter)
