"""``dateline restore DIR``: bring a backup made by ``dateline backup`` back into an empty site,
then migrate it to this version (dateline/server/backup.py, docs/backup.md). Exit status 1, and
a message naming what is wrong, when a check fails; the site is then left as it was."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext, ngettext

from dateline.server import backup


class Command(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.description = gettext(
            "Restore a backup made by dateline backup into this site, whose database must be "
            "empty, then bring it up to date with migrate. Stop the site's server and worker "
            "first."
        )
        parser.add_argument("directory", metavar="DIR", help=gettext("the backup's directory"))

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        try:
            done = backup.restore(Path(directory))
        except backup.BackupError as error:
            self.stderr.write(f"dateline restore: {error}")
            sys.exit(1)
        if options["verbosity"] > 0:
            self.stdout.write(
                gettext(
                    "Restored the %(engine)s database and %(media)s from %(directory)s (made "
                    "%(created)s by Dateline %(version)s), migrated to this version, in "
                    "%(seconds).1f s."
                )
                % {
                    "engine": backup.ENGINE_NAMES[done.engine],
                    "media": ngettext(
                        "%(count)d media file", "%(count)d media files", done.media_files
                    )
                    % {"count": done.media_files},
                    "directory": done.directory,
                    "created": done.manifest.get("created", "?"),
                    "version": done.manifest.get("dateline_version", "?"),
                    "seconds": done.seconds,
                }
            )
        for note in done.notes:
            self.stderr.write(note)
