"""The progress bar the import commands draw on a terminal, and what those commands share."""

from __future__ import annotations

import json
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from dateline.importers.errors import UnreadableFile
from dateline.importers.report import Report


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


class ImportCommand(BaseCommand):
    """What every site import command shares (``import-wordpress``, ``import-disqus``): FILE,
    ``--dry-run``, ``--report FILE``, a progress bar on a terminal, the summary, and the exit
    status — 1 when some items were not imported, 2 when the file cannot be read at all
    (``FILE:LINE: what``, nothing written). A command names its format and runs its importer."""

    description = ""
    file_help = ""

    def add_arguments(self, parser: ArgumentParser) -> None:
        # Translated here, not in class attributes: the language is only known once Django runs.
        parser.description = gettext(self.description)
        parser.add_argument("file", metavar="FILE.xml", help=gettext(self.file_help))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext("read everything and report what would happen, writing nothing"),
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help=gettext("also write the full report, as JSON, to this file"),
        )

    def run_import(
        self, path: Path, *, dry_run: bool, progress: ProgressBar, **options: Any
    ) -> Report:
        raise NotImplementedError

    def handle(
        self, *args: Any, file: str, dry_run: bool, report: str | None, **options: Any
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(gettext("%(file)s: no such file") % {"file": file}, returncode=2)
        try:
            result = self.run_import(
                path, dry_run=dry_run, progress=ProgressBar(sys.stderr), **options
            )
        except UnreadableFile as error:
            raise CommandError(str(error), returncode=2) from None
        if options["verbosity"] > 0:
            for line in result.lines():
                self.stdout.write(line)
        if report:
            Path(report).write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        if result.failed:
            raise CommandError(
                ngettext(
                    "%(n)d item was not imported (see the warnings above).",
                    "%(n)d items were not imported (see the warnings above).",
                    result.failed,
                )
                % {"n": result.failed}
            )
