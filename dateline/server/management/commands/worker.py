"""``dateline worker``: runs background tasks (django-tasks database backend) and, beside them,
scheduled publishing and unpublishing every ``DATELINE_SCHEDULER_INTERVAL`` seconds, with the
chores and loops the apps register (``dateline.server.scheduler``)."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_tasks_db.management.commands.db_worker import Worker

from dateline.server import scheduler

# How long a stopping worker waits for the scheduler and the apps' loops to finish what they
# are doing (the web server gives its workers 30 s before it kills them).
SHUTDOWN_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Run background tasks and scheduled publishing until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls for tasks."
        )
        parser.add_argument("--batch", action="store_true", help="Run queued tasks, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        beside: list[threading.Thread] = []
        if not options["batch"]:
            beside.append(
                threading.Thread(
                    target=scheduler.run_forever, args=(stop,), name="scheduler", daemon=True
                )
            )
            # The apps' own loops beside it (the email outbox: dateline/notifications/apps.py).
            for name, run in scheduler.loops().items():
                beside.append(threading.Thread(target=run, args=(stop,), name=name, daemon=True))
            for thread in beside:
                thread.start()
        worker = Worker(
            queue_names=["*"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"{socket.gethostname()}-{os.getpid()}"[:64],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        self.stdout.write("Worker started: background tasks and scheduled publishing.")
        try:
            worker.run()
        finally:
            stop.set()
            # Let a publish or a delivery under way finish its transaction: a daemon thread
            # cut off mid-commit as the interpreter exits prints a traceback (and on a busy
            # machine, that happened).
            for thread in beside:
                thread.join(timeout=SHUTDOWN_GRACE_SECONDS)
