"""``dateline import-disqus FILE.xml [--dry-run] [--report FILE]``: bring a Disqus forum's
comments in under the stories they were written on (see docs/importing.md). A progress bar on
a terminal, a summary at the end, the full report as JSON with ``--report FILE``; exit status
1 when anything failed, 2 when the file cannot be read at all (``FILE:LINE: what``, nothing
written)."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from dateline.importers.disqus import DisqusError, import_disqus
from dateline.importers.progress import ProgressBar


class Command(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.description = gettext(
            "Import a Disqus export (Moderation → Export comments, unzipped): each thread's "
            "comments under the story it was on, with replies, deleted and spam comments kept "
            "as such. Threads that match no story are reported. Importing it again updates "
            "what changed and duplicates nothing."
        )
        parser.add_argument("file", metavar="FILE.xml", help=gettext("the Disqus export"))
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

    def handle(
        self, *args: Any, file: str, dry_run: bool, report: str | None, **options: Any
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(gettext("%(file)s: no such file") % {"file": file}, returncode=2)
        try:
            result = import_disqus(path, dry_run=dry_run, progress=ProgressBar(sys.stderr))
        except DisqusError as error:
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
