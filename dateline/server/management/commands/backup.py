"""``dateline backup DIR``: a consistent copy of the database and the media files, made while
the site serves (dateline/server/backup.py, docs/backup.md). Exit status 1, and a message
naming what is wrong, when it cannot be made; nothing half-written is left behind."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, ngettext

from dateline.server import backup


class Command(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        # Translated here, not in class attributes: the language is only known once Django runs.
        parser.description = gettext(
            "Back up the database and the media files into DIR, a new or empty directory. "
            "The site may keep serving meanwhile."
        )
        parser.add_argument("directory", metavar="DIR", help=gettext("where the backup goes"))

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        try:
            done = backup.backup(Path(directory))
        except backup.BackupError as error:
            self.stderr.write(f"dateline backup: {error}")
            sys.exit(1)
        if options["verbosity"] > 0:
            self.stdout.write(
                gettext(
                    "Backed up the %(engine)s database (%(database)s) and %(media)s "
                    "(%(media_size)s) to %(directory)s in %(seconds).1f s."
                )
                % {
                    "engine": backup.ENGINE_NAMES[done.engine],
                    "database": filesizeformat(done.database_bytes),
                    "media": ngettext(
                        "%(count)d media file", "%(count)d media files", done.media_files
                    )
                    % {"count": done.media_files},
                    "media_size": filesizeformat(done.media_bytes),
                    "directory": done.directory,
                    "seconds": done.seconds,
                }
            )
