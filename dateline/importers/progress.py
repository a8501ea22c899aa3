"""The progress bar the import commands draw on a terminal."""

from __future__ import annotations

import time
from typing import TextIO

from django.utils.translation import ngettext


class ProgressBar:
    """``[#####-----] 512/1,000 items`` on one line of a terminal, redrawn at most ten times a
    second; nothing at all when the output is not a terminal (a log, a pipe, cron). Written
    here rather than taken from a library: it is this one line, and the admin's import shows
    the same two numbers its own way."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        filled = self.WIDTH * done // total if total else self.WIDTH
        label = ngettext("%(done)s/%(total)s item", "%(done)s/%(total)s items", total) % {
            "done": f"{done:,}",
            "total": f"{total:,}",
        }
        self.stream.write(f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] {label}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
