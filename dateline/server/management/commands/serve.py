"""``dateline serve``: the production web server (granian) with the background worker beside
it, under a small supervisor that takes this process's place (``dateline.server.supervise``).
Ctrl-C or SIGTERM stops both; SIGHUP replaces granian's worker processes one at a time without
losing a request (in-flight requests finish, keep-alive clients are told to reconnect: see
``dateline.server.reloading``).

Why granian and not gunicorn: measured side by side in docs/performance.md (``bash bench/run.sh
servers``). granian reads requests in Rust and hands Python only complete ones, so slow clients
cannot tie up the threads that run the site (200 slowloris connections left gunicorn's 20
threads unable to answer ``/healthz`` for 10 s; granian answered every probe within 0.04 s); it
serves the cached story at about twice gunicorn's rate and with 2 processes takes half the
memory."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dateline import env
from dateline.server import reloading


def default_workers() -> int:
    # One process a core: requests are read and written by granian's Rust threads, so Python
    # processes are only needed for Python work; threads in each cover waits on the database.
    return min(os.cpu_count() or 1, 8)


def split_bind(bind: str) -> list[str]:
    """granian's options for ``HOST:PORT`` (``[::1]:8000`` for IPv6) or ``unix:PATH``."""
    if bind.startswith("unix:"):
        return ["--uds", bind.removeprefix("unix:")]
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise CommandError(f"--bind {bind!r}: expected HOST:PORT (or unix:PATH).")
    return ["--host", host.strip("[]"), "--port", port]


def granian_command(*, bind: str, workers: int, threads: int, access_log: bool) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dateline.server.granian_main",  # granian, one listening socket for all its workers
        "--interface",
        "wsgi",
        *split_bind(bind),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-ws",
        # A worker that dies is replaced, as gunicorn's arbiter did.
        "--respawn-failed-workers",
        # A worker asked to stop has 30 s to finish its requests before it is killed.
        "--workers-kill-timeout",
        "30",
        # Only when asked: a log line per request is a real share of serving a cached page.
        "--access-log" if access_log else "--no-access-log",
        "dateline.wsgi:application",
    ]


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
            help="Web server processes (DATELINE_WEB_WORKERS; default one a core, at most 8).",
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
        web_cmd = granian_command(
            bind=options["bind"],
            workers=options["workers"],
            threads=options["threads"],
            access_log=options["access_log"],
        )
        # The supervisor replaces this process (same pid): see dateline.server.supervise.
        # The workers find the reload marker in the environment they inherit.
        marker = reloading.marker_path(env.data_dir(), os.getpid())
        os.environ[reloading.MARKER_VARIABLE] = str(marker)
        supervisor = [sys.executable, "-m", "dateline.server.supervise", "--marker", str(marker)]
        if not options["no_worker"]:
            supervisor.append("--with-worker")
        self.stdout.write(
            f"Dateline is serving on http://{options['bind']}/ "
            f"({options['workers']} processes × {options['threads']} threads"
            f"{'' if options['no_worker'] else ', with the background worker'}). "
            "Ctrl-C stops it."
        )
        self.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [*supervisor, "--", *web_cmd])  # noqa: S606 - our own argv
