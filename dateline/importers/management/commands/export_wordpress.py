"""``dateline export-wordpress [--output FILE]``: the whole site as a WordPress WXR 1.2 file, on
standard output or into FILE (see docs/importing.md, "Leaving: export to WordPress"). Progress
and the counts go to standard error, so they never mix with the file."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from dateline.importers.wordpress.export import ExportSummary, write_wxr


class _TextOut:
    """Standard output when it is a text stream without bytes underneath (``call_command``
    with a StringIO): Django's wrapper would add a newline to every write."""

    encoding = "utf-8"

    def __init__(self, wrapper: Any) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()


class Command(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.description = gettext(
            "Write every story, page, section, tag, author, picture and comment as a WordPress "
            "export file (WXR 1.2), which WordPress's importer and dateline import-wordpress read."
        )
        parser.add_argument(
            "--output",
            "-o",
            metavar="FILE",
            help=gettext(
                "write to FILE instead of standard output (FILE only appears once the export "
                "is complete)"
            ),
        )

    def handle(self, *args: Any, output: str | None, verbosity: int, **options: Any) -> None:
        def progress(summary: ExportSummary) -> None:
            if verbosity >= 2:
                self.stderr.write(
                    gettext("… %(posts)d stories, %(pages)d pages, %(comments)d comments")
                    % summary.as_dict()
                )

        summary = self._to_file(Path(output), progress) if output else self._to_stdout(progress)
        if verbosity >= 1:
            self.stderr.write(
                gettext(
                    "Exported %(posts)d stories, %(pages)d pages, %(categories)d sections, "
                    "%(tags)d tags, %(authors)d authors, %(attachments)d files and "
                    "%(comments)d comments."
                )
                % summary.as_dict()
            )

    def _to_stdout(self, progress: Any) -> ExportSummary:
        binary = getattr(self.stdout, "buffer", None)
        out: Any = binary if binary is not None else _TextOut(self.stdout)
        try:
            summary = write_wxr(out, progress=progress)
            out.flush()
        except BrokenPipeError:
            # The reader went away (`| head`). Point stdout at /dev/null so Python's own flush
            # at exit does not fail again with a traceback, and say so once.
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            raise CommandError(
                gettext("The output was closed before the export was complete.")
            ) from None
        return summary

    def _to_file(self, path: Path, progress: Any) -> ExportSummary:
        # Written beside the target and renamed at the end: an export that fails half-way
        # leaves no file that looks complete.
        directory = path.parent if str(path.parent) else Path()
        try:
            handle, temporary = tempfile.mkstemp(
                dir=directory, prefix=f".{path.name}.", suffix=".part"
            )
        except OSError as error:
            raise CommandError(
                gettext("Cannot write in %(directory)s: %(error)s")
                % {"directory": directory, "error": error.strerror}
            ) from None
        try:
            file: IO[bytes]
            with os.fdopen(handle, "wb") as file:
                summary = write_wxr(file, progress=progress)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return summary
