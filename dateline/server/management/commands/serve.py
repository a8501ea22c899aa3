"""``dateline serve``: the production web server (gunicorn) with the background worker beside
it. Ctrl-C or SIGTERM stops both; SIGHUP restarts gunicorn's workers gracefully (in-flight
requests finish first)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dateline import env


def default_workers() -> int:
    # gunicorn's rule of thumb; threads inside each process cover waits on the database.
    return min(2 * (os.cpu_count() or 1) + 1, 9)


def gunicorn_command(*, bind: str, workers: int, threads: int, access_log: bool) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "dateline.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--graceful-timeout",
        "30",
        "--timeout",
        "60",
        "--keep-alive",
        "5",
        # gunicorn 24+ opens a control socket at one fixed path per user
        # ($HOME/.gunicorn/gunicorn.ctl), shared by every instance on the host: two sites, or
        # a site and its tests, would take over each other's. Nothing of ours uses it.
        "--no-control-socket",
    ]
    if access_log:
        # Only when asked: even into /dev/null, gunicorn formats a log line per request,
        # a fifth of the cost of serving a cached page.
        command += ["--access-logfile", "-"]
    return command


class Command(BaseCommand):
    help = "Run the production web server and the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        # The environment gives the defaults, read with the same helpers as the settings: an
        # empty value means the default, a bad one stops here with the variable's name
        # (``dateline serve`` prints it as a configuration error, without a traceback).
        parser.add_argument("--bind", default=env.get_str("DATELINE_BIND") or "127.0.0.1:8000")
        parser.add_argument(
            "--workers",
            type=int,
            default=env.get_int("DATELINE_WEB_WORKERS", default_workers(), minimum=1),
            help="Web server processes (DATELINE_WEB_WORKERS; default 2 × cores + 1, at most 9).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=env.get_int("DATELINE_WEB_THREADS", 4, minimum=1),
            help="Threads in each process (DATELINE_WEB_THREADS; default 4).",
        )
        parser.add_argument(
            "--access-log",
            action=argparse.BooleanOptionalAction,
            default=env.get_bool("DATELINE_ACCESS_LOG", False),
            help="Log every request on standard output (DATELINE_ACCESS_LOG; default off).",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        web_cmd = gunicorn_command(
            bind=options["bind"],
            workers=options["workers"],
            threads=options["threads"],
            access_log=options["access_log"],
        )
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
