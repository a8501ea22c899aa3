"""``dateline import-wordpress FILE.xml [--media-dir DIR] [--dry-run]``: move a WordPress site
in (see docs/importing.md). A progress bar on a terminal, a summary at the end, the full report
as JSON with ``--report FILE``; exit status 1 when any item failed, 2 when the file cannot be
read at all (``FILE:LINE: what``, nothing written)."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from dateline.importers.progress import ProgressBar
from dateline.importers.wordpress import wxr
from dateline.importers.wordpress.importer import import_wordpress


class Command(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.description = gettext(
            "Import a WordPress export (Tools → Export → All content): posts, pages, "
            "categories, tags, authors, media and comments. Importing it again updates what "
            "changed and duplicates nothing."
        )
        parser.add_argument("file", metavar="FILE.xml", help=gettext("the WordPress export"))
        parser.add_argument(
            "--media-dir",
            metavar="DIR",
            help=gettext("a copy of the site's wp-content/uploads, for images and files"),
        )
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
        self,
        *args: Any,
        file: str,
        media_dir: str | None,
        dry_run: bool,
        report: str | None,
        **options: Any,
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(gettext("%(file)s: no such file") % {"file": file}, returncode=2)
        if media_dir and not Path(media_dir).is_dir():
            raise CommandError(
                gettext("%(dir)s: no such directory (--media-dir)") % {"dir": media_dir},
                returncode=2,
            )
        try:
            result = import_wordpress(
                path, media_dir=media_dir, dry_run=dry_run, progress=ProgressBar(sys.stderr)
            )
        except wxr.WXRError as error:
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
