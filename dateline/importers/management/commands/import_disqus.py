"""``dateline import-disqus FILE.xml [--dry-run] [--report FILE]``: bring a Disqus forum's
comments in under the stories they were written on (see docs/importing.md). What every import
command does (progress, summary, report, exit status) is ``progress.ImportCommand``'s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from dateline.importers.disqus import import_disqus
from dateline.importers.progress import ImportCommand, ProgressBar
from dateline.importers.report import Report


class Command(ImportCommand):
    description = gettext_noop(
        "Import a Disqus export (Moderation → Export comments, unzipped): each thread's "
        "comments under the story it was on, with replies, deleted and spam comments kept "
        "as such. Threads that match no story are reported. Importing it again updates "
        "what changed and duplicates nothing."
    )
    file_help = gettext_noop("the Disqus export")

    def run_import(
        self, path: Path, *, dry_run: bool, progress: ProgressBar, **options: Any
    ) -> Report:
        return import_disqus(path, dry_run=dry_run, progress=progress)
