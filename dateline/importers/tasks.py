"""Background work for the importers, run by ``dateline worker``."""

from __future__ import annotations

from django.tasks import task

from dateline.importers import runs


@task()
def run_import(run_id: int, attempt: int) -> None:
    """Import the file of an admin's ImportRun (see ``runs.execute``)."""
    runs.execute(run_id, attempt)
