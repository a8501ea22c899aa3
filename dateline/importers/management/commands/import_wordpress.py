"""``dateline import-wordpress FILE.xml [--media-dir DIR] [--dry-run] [--report FILE]``: move a
WordPress site in (see docs/importing.md). What every import command does (progress, summary,
report, exit status) is ``progress.ImportCommand``'s."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext, gettext_noop

from dateline.importers.progress import ImportCommand, ProgressBar
from dateline.importers.report import Report
from dateline.importers.wordpress.importer import import_wordpress


class Command(ImportCommand):
    description = gettext_noop(
        "Import a WordPress export (Tools → Export → All content): posts, pages, "
        "categories, tags, authors, media and comments. Importing it again updates what "
        "changed and duplicates nothing."
    )
    file_help = gettext_noop("the WordPress export")

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--media-dir",
            metavar="DIR",
            help=gettext("a copy of the site's wp-content/uploads, for images and files"),
        )

    def run_import(
        self, path: Path, *, dry_run: bool, progress: ProgressBar, **options: Any
    ) -> Report:
        media_dir = options.get("media_dir")
        if media_dir and not Path(media_dir).is_dir():
            raise CommandError(
                gettext("%(dir)s: no such directory (--media-dir)") % {"dir": media_dir},
                returncode=2,
            )
        return import_wordpress(path, media_dir=media_dir, dry_run=dry_run, progress=progress)
