"""Fixed-window rate limits on Django's cache: per process with the local-memory cache, shared
by every process (and machine) when REDIS_URL is set. ``cache.add`` and ``cache.incr`` are
atomic on both backends, so concurrent requests cannot both slip under a limit.

A limit that must hold across processes even without Redis (the comment flood limit) asks
``cache_is_shared()`` and, when it is not, checks the database as well."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import ngettext


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed


class RateLimited(Exception):
    def __init__(self, retry_after: int, message: str = "") -> None:
        super().__init__(message or f"rate limited; retry after {retry_after} s")
        self.retry_after = max(1, retry_after)
        self.message = message

    def for_reader(self) -> str:
        """Why, and how long to wait, in whole minutes: the words every page and JSON answer
        gives a reader past a limit."""
        minutes = max(1, math.ceil(self.retry_after / 60))
        wait = ngettext(
            "You can try again in %(minutes)d minute.",
            "You can try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        return f"{self.message} {wait}" if self.message else wait


def cache_is_shared() -> bool:
    """Whether every app process counts in the same place, atomically. Only Redis does: the
    local-memory cache counts in each process apart (behind the web server's N processes a limit of
    one is really N), the dummy cache does not count at all, and the file and database caches
    increment by reading then writing, so two processes can both count "first"."""
    return isinstance(caches["default"], RedisCache)


def _cache_key(scope: str, key: str) -> str:
    # Hash the key: it may hold an email address, which has no business in cache key names.
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def hit(*, scope: str, key: str, limit: int, window: int) -> RateLimitResult:
    """Count one event for ``key``; allowed while at most ``limit`` happen per ``window`` s."""
    if limit <= 0 or window <= 0:
        return RateLimitResult(True, 0)
    base = _cache_key(scope, key)
    now = time.time()
    cache.add(f"{base}:reset", now + window, timeout=window)
    cache.add(base, 0, timeout=window)
    try:
        count = cache.incr(base)
    except ValueError:  # the counter expired between add and incr: a new window starts
        cache.set(base, 1, timeout=window)
        count = 1
    if count <= limit:
        return RateLimitResult(True, 0)
    reset = cache.get(f"{base}:reset") or now + window
    return RateLimitResult(False, max(1, math.ceil(reset - now)))


def check_all(*, scope: str, keys: list[str], limit: int, window: int, message: str = "") -> None:
    """Count one event for each key; raise ``RateLimited`` with the longest wait if any is over."""
    waits = [hit(scope=scope, key=k, limit=limit, window=window) for k in keys if k]
    blocked = [w.retry_after for w in waits if not w.allowed]
    if blocked:
        raise RateLimited(max(blocked), message)
