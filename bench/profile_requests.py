"""CPU cost of one request, measured inside one process without a server or a network, so a
busy machine skews it less than wrk does. Run against a bench data directory:

    DATELINE_DATA_DIR=… .venv/bin/python -m bench.profile_requests /world/twenty-comments/ \
        [--n 300] [--cache on|off] [--profile]

Prints CPU milliseconds per request (process time, so time spent waiting for other processes
on a shared machine is not counted); ``--profile`` adds the top of a cProfile listing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from typing import Any


def environ_for(
    path: str, method: str = "GET", body: bytes = b"", **headers: str
) -> dict[str, Any]:
    from urllib.parse import urlsplit

    parts = urlsplit(path)
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--cache", choices=["on", "off"], default="on")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--conn-max-age", type=int, default=None, help="override CONN_MAX_AGE (-1: forever)"
    )
    options = parser.parse_args()
    os.environ["DATELINE_PAGE_CACHE"] = "true" if options.cache == "on" else "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dateline.settings")
    from dateline.wsgi import application

    if options.conn_max_age is not None:
        from django.conf import settings

        age = None if options.conn_max_age < 0 else options.conn_max_age
        settings.DATABASES["default"]["CONN_MAX_AGE"] = age

    statuses: dict[str, int] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        statuses[status] = statuses.get(status, 0) + 1

    def one() -> None:
        result = application(environ_for(options.path), start_response)  # type: ignore[arg-type]
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close:
            close()

    for _ in range(5):  # warm: imports, the first render, the cache entry
        one()
    statuses.clear()
    profiler = cProfile.Profile() if options.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for _ in range(options.n):
        one()
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{options.path} cache={options.cache}: {cpu / options.n * 1000:.2f} ms CPU per request "
        f"({options.n / cpu:,.0f} per CPU-second), wall {wall / options.n * 1000:.2f} ms; {statuses}"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())


if __name__ == "__main__":
    main()
