"""Imports started from the admin's "Import a site" page: who may start one, starting it,
running it in the worker (``tasks.run_import``), starting it again, and reading its report.

The uploaded export holds readers' emails and IP addresses: it lives in the private
``imports`` storage, never under MEDIA_ROOT, and is deleted once a real import has finished;
a dry run or a failed run keeps it, so it can be imported (again) without uploading it twice.
The import itself is resumable (every item is remembered), so running a stopped import again
carries on where it stopped.
"""

from __future__ import annotations

import datetime
import logging
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from wagtail.models import Site

from dateline.importers.errors import UnreadableFile
from dateline.importers.models import ImportRun
from dateline.importers.report import Report, Warning

logger = logging.getLogger(__name__)

Status = ImportRun.Status

# Which function imports each format. All take (path, *, dry_run, progress) and return a
# wordpress.importer.Report; a format whose module is not installed is not offered.
IMPORTERS: dict[str, str] = {
    ImportRun.Format.WORDPRESS: "dateline.importers.wordpress.importer.import_wordpress",
    ImportRun.Format.DISQUS: "dateline.importers.disqus.import_disqus",
}
# A run "running" with no progress for this long is shown as stalled (its worker was stopped
# or died) and may be started again; a run still waiting this long means no worker is running.
STALLED_AFTER = datetime.timedelta(minutes=10)
# Progress is written at most this often (one UPDATE of three columns), and at the last item.
PROGRESS_EVERY_SECONDS = 1.0


def importer_for(format: str) -> Callable[..., Report] | None:
    try:
        return import_string(IMPORTERS[format])
    except (KeyError, ImportError):
        return None


def available_formats() -> list[tuple[str, str]]:
    """The formats this site can import, labelled in the current language."""
    return [(value, str(label)) for value, label in ImportRun.Format.choices if importer_for(value)]


def may_import(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Importing a site creates sections under the home page and publishes posts in them, adds
    authors, redirects, images and readers' comments: only someone who could add and publish
    pages anywhere under the home page (or a superuser) may do it."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return False
    permissions = site.root_page.permissions_for_user(user)
    return bool(permissions.can_add_subpage() and permissions.can_publish_subpage())


# Starting ------------------------------------------------------------------------------------


def start(
    *,
    upload: UploadedFile,
    format: str,
    dry_run: bool,
    user: AbstractBaseUser | AnonymousUser,
) -> ImportRun:
    """Keep the uploaded file in the private storage, record the run and queue it. The row and
    the queued task are written in one transaction (the database queue), so neither exists
    without the other."""
    from dateline.importers import tasks

    original = Path(upload.name or "export.xml").name[:255]
    run = ImportRun(
        format=format,
        original_name=original,
        dry_run=dry_run,
        created_by=user if isinstance(user, User) else None,
        heartbeat_at=timezone.now(),
    )
    # A name of our own: the reader's file name is only shown, never used as a path.
    run.file.save(f"{uuid.uuid4().hex}.xml", upload, save=False)
    with transaction.atomic():
        run.save()
        tasks.run_import.enqueue(run.pk, run.attempt)
    return run


def is_stalled(run: ImportRun, *, now: datetime.datetime | None = None) -> bool:
    last = run.heartbeat_at or run.started_at or run.created_at
    return run.status == Status.RUNNING and last < (now or timezone.now()) - STALLED_AFTER


def is_waiting_long(run: ImportRun, *, now: datetime.datetime | None = None) -> bool:
    last = run.heartbeat_at or run.created_at
    return run.status == Status.QUEUED and last < (now or timezone.now()) - STALLED_AFTER


def can_run_again(run: ImportRun) -> bool:
    """A failed or stalled run, or a finished dry run, while its file is still kept."""
    if not run.file:
        return False
    return (
        run.status == Status.FAILED
        or (run.status == Status.DONE and run.dry_run)
        or is_stalled(run)
    )


def run_again(run: ImportRun, *, dry_run: bool) -> bool:
    """Queue the run's file again as a new attempt (the old attempt's worker, if it is still
    alive after all, then writes nothing more). False when the run may not be started again."""
    from dateline.importers import tasks

    if not can_run_again(run):
        return False
    with transaction.atomic():
        updated = (
            ImportRun.objects.filter(pk=run.pk, attempt=run.attempt)
            .exclude(status=Status.QUEUED)
            .update(
                attempt=F("attempt") + 1,
                status=Status.QUEUED,
                dry_run=dry_run,
                done=0,
                total=0,
                report={},
                error="",
                started_at=None,
                heartbeat_at=timezone.now(),
                finished_at=None,
            )
        )
        if not updated:
            return False
        tasks.run_import.enqueue(run.pk, run.attempt + 1)
    return True


def delete_file(run: ImportRun) -> None:
    if run.file:
        run.file.delete(save=False)
        ImportRun.objects.filter(pk=run.pk).update(file="")


# Running (in the worker) ------------------------------------------------------------------


class ProgressWriter:
    """The importer's ``progress(done, total)``: one UPDATE of done, total and the heartbeat,
    at most once a second and always at the last item."""

    def __init__(self, rows: QuerySet[ImportRun], every: float = PROGRESS_EVERY_SECONDS) -> None:
        self.rows = rows
        self.every = every
        self.last = float("-inf")

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.every:
            return
        self.last = now
        self.rows.update(done=done, total=total, heartbeat_at=timezone.now())


@contextmanager
def local_copy(file: FieldFile) -> Iterator[Path]:
    """The stored file as a path on this machine (the importers read a path twice as a stream);
    a storage without local paths is copied to a temporary file first."""
    try:
        local: str | None = file.storage.path(file.name or "")
    except NotImplementedError:
        local = None
    if local is not None:
        yield Path(local)
        return
    with tempfile.NamedTemporaryFile(suffix=".xml") as copy:
        with file.storage.open(file.name or "") as source:
            shutil.copyfileobj(source, copy)
        copy.flush()
        yield Path(copy.name)


def describe_error(error: BaseException, *, path: str, original_name: str) -> str:
    """What went wrong, naming the file as the editor uploaded it, never the storage path."""
    if isinstance(error, UnreadableFile):
        return f"{original_name}:{error.line}: {error.message}"
    text = str(error) or type(error).__name__
    return text.replace(path, original_name) if path else text


def execute(run_id: int, attempt: int) -> None:
    """Run one attempt of an import: claim it (only a waiting run of this attempt), import with
    progress, then store the report or the error. Whatever happens, the run ends finished or
    failed, never "running"."""
    now = timezone.now()
    mine = ImportRun.objects.filter(pk=run_id, attempt=attempt)
    if not mine.filter(status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now
    ):
        logger.info("Import %s attempt %s: not waiting any more, nothing to do", run_id, attempt)
        return
    run = ImportRun.objects.get(pk=run_id)
    importer = importer_for(run.format)
    path = ""
    try:
        if importer is None:
            raise LookupError(
                _("This site has no importer for %(format)s files.")
                % {"format": run.get_format_display()}
            )
        with local_copy(run.file) as local:
            path = str(local)
            report = importer(local, dry_run=run.dry_run, progress=ProgressWriter(mine))
    except UnreadableFile as error:
        _failed(mine, describe_error(error, path=path, original_name=run.original_name))
        return
    except Exception as error:
        logger.exception("Import %s (%s) failed", run_id, run.original_name)
        _failed(mine, describe_error(error, path=path, original_name=run.original_name))
        return
    except BaseException:
        # The worker is being stopped: say so, and let it stop.
        _failed(mine, _("The import was interrupted. Run it again to carry on where it stopped."))
        raise
    mine.update(status=Status.DONE, report=report.as_dict(), finished_at=timezone.now())
    if not run.dry_run and mine.exists():
        # The readers' emails and addresses are in the database now; the file is not needed.
        delete_file(run)


def _failed(rows: QuerySet[ImportRun], message: str) -> None:
    rows.update(status=Status.FAILED, error=message, finished_at=timezone.now())


# Reading the report --------------------------------------------------------------------------


def report_from_dict(data: dict[str, Any]) -> Report:
    """The stored ``Report.as_dict()`` back as a Report, so its lines are written in the
    language of whoever reads them."""
    return Report(
        source=str(data.get("source", "")),
        dry_run=bool(data.get("dry_run", False)),
        counts=Counter(
            {
                (kind, outcome): int(n)
                for kind, outcomes in (data.get("counts") or {}).items()
                for outcome, n in outcomes.items()
            }
        ),
        warnings=[
            Warning(
                str(w.get("kind", "")),
                str(w.get("wp_id", "")),
                int(w.get("line") or 0),
                str(w.get("message", "")),
            )
            for w in data.get("warnings") or []
        ],
        kept_as_html=Counter(data.get("kept_as_html") or {}),
        skipped_types=Counter(data.get("skipped_types") or {}),
        media_left_out=int(data.get("media_left_out") or 0),
        failed=int(data.get("failed") or 0),
    )


def summary_lines(report: Report) -> list[str]:
    """The report's summary without its warnings (the page lists those apart)."""
    without = Report(**{**report.__dict__, "warnings": []})
    return [line.strip() for line in without.lines()]
