"""A web worker that has been replaced closes its keep-alive connections cleanly.

On SIGHUP, ``dateline serve`` touches a marker file, then asks granian to replace its worker
processes one at a time (start the new one, wait its respawn interval, stop the old one). An
old worker that simply stops closes the keep-alive connections it holds, and a client that
sent its next request on one of them at that moment gets a reset instead of an answer (the
server comparison in docs/performance.md counted 13 of 21,265 requests lost that way).

So from the moment the marker changes, a worker started before it answers every request with
``Connection: close``: each client learns, with a complete response, not to reuse the
connection and opens a new one, which the shared listening socket hands to any worker. By the
time granian stops the old worker its connections have all been told, and a request on one
can no longer be lost.

Not yet closed: on 2026-12-07 one CI run of ``tests/server/test_graceful_serving.py`` saw one
request of some thousands reset during a reload (twenty-odd runs before and since, some under
extra load, lost none). The likeliest window is a connection the old worker accepted from the
shared socket in its last moment and closed, stopping, before reading its request; granian
offers no way to stop a worker's accepting earlier than its serving.

``Connection`` is a hop-by-hop header, which PEP 3333 keeps from applications because a
gateway may manage connections itself; granian passes it on to hyper, which then closes the
connection after the response. The wrapper only acts under ``dateline serve`` (the marker's
path is in the environment), never under a server started another way (Django's development
server refuses hop-by-hop headers outright).

Plain WSGI, no Django: it wraps the application in ``dateline.wsgi``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

MARKER_VARIABLE = "DATELINE_SERVE_RELOAD_MARKER"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def marker_path(data_dir: Path, serve_pid: int) -> Path:
    """One marker per ``dateline serve`` process, so two instances on a host never share it."""
    return data_dir / "run" / f"serve-{serve_pid}.reloaded"


def mark_reload(marker: Path) -> None:
    """Tell the workers running now that they are being replaced."""
    marker.parent.mkdir(parents=True, exist_ok=True)
    # A new modification time every time, even for two reloads within the clock's resolution.
    previous = _stamp(marker) or 0
    marker.touch()
    if _stamp(marker) == previous:
        os.utime(marker, ns=(previous + 1, previous + 1))


def _stamp(marker: Path) -> int | None:
    try:
        return marker.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def closing_when_replaced(application: WSGIApp) -> WSGIApp:
    """``application``, adding ``Connection: close`` once ``dateline serve`` has reloaded, and
    to every 413: a request refused for its size before its body was read leaves that body
    on the connection, where it would be read as the next request."""
    path = os.environ.get(MARKER_VARIABLE)
    if not path:
        return application
    marker = Path(path)
    born = _stamp(marker)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def closing(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # One stat a response (about a microsecond) rather than a signal handler:
            # granian's worker keeps the signals for its own shutdown.
            if status.startswith("413") or _stamp(marker) != born:
                headers = [(k, v) for k, v in headers if k.lower() != "connection"]
                headers.append(("Connection", "close"))
            return start_response(status, headers, exc_info)

        return application(environ, closing)

    return app
