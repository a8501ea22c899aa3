"""``dateline serve``: the production web server (gunicorn) with the background worker beside
it. Ctrl-C or SIGTERM stops both; SIGHUP restarts gunicorn's workers gracefully (in-flight
requests finish first)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def default_workers() -> int:
    # gunicorn's rule of thumb; threads inside each process cover waits on the database.
    return min(2 * (os.cpu_count() or 1) + 1, 9)


class Command(BaseCommand):
    help = "Run the production web server and the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("DATELINE_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("DATELINE_WEB_WORKERS", 0)) or default_workers(),
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("DATELINE_WEB_THREADS", 4))
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        web_cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "dateline.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--worker-class",
            "gthread",
            "--threads",
            str(options["threads"]),
            "--graceful-timeout",
            "30",
            "--timeout",
            "60",
            "--keep-alive",
            "5",
        ]
        if os.environ.get("DATELINE_ACCESS_LOG"):
            # Only when asked: even into /dev/null, gunicorn formats a log line per request,
            # a fifth of the cost of serving a cached page.
            web_cmd += ["--access-logfile", "-"]
        children: dict[str, subprocess.Popen[bytes]] = {"web server": subprocess.Popen(web_cmd)}
        if not options["no_worker"]:
            children["worker"] = subprocess.Popen([sys.executable, "-m", "dateline", "worker"])
        self.stdout.write(
            f"Dateline is serving on http://{options['bind']}/ "
            f"({options['workers']} processes × {options['threads']} threads"
            f"{', with the background worker' if len(children) > 1 else ''}). Ctrl-C stops it."
        )
        self.stdout.flush()

        stopping = False

        def stop(signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        def reload(signum: int, _frame: Any) -> None:
            children["web server"].send_signal(signal.SIGHUP)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, reload)

        exit_code = 0
        while True:
            for name, child in children.items():
                code = child.poll()
                if code is not None and not stopping:
                    self.stderr.write(
                        f"The {name} stopped (exit status {code}); stopping the rest."
                    )
                    exit_code = code or 1
                    stop(signal.SIGTERM, None)
            if all(child.poll() is not None for child in children.values()):
                break
            time.sleep(0.2)
        if exit_code:
            sys.exit(exit_code)
