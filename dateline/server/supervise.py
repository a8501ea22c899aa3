"""What ``dateline serve`` becomes once it has read its options: a small process that starts
the web server and the background worker, passes signals on and stops both if one stops.

Plain Python, no Django: ``dateline serve`` replaces itself with this (``os.execv``, same
process id, so systemd and signals reach it as before), because a management command that
only waits would otherwise keep a whole Django and Wagtail in memory — about 130 MB of the
site's total, measured in docs/performance.md.

    python -m dateline.server.supervise --marker PATH [--with-worker] -- WEB SERVER COMMAND…

Ctrl-C or SIGTERM stops both; SIGHUP marks the web workers as replaced
(``dateline.server.reloading``) and has granian replace them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from dateline.server import reloading

RESEND_STOP_SECONDS = 3


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m dateline.server.supervise")
    parser.add_argument("--marker", type=Path, required=True)
    parser.add_argument("--with-worker", action="store_true")
    parser.add_argument("web", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    web = options.web[1:] if options.web[:1] == ["--"] else options.web
    if not web:
        parser.error("the web server's command is missing after --")
    return supervise(web, marker=options.marker, with_worker=options.with_worker)


def _children_of(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _forget_stale_markers(marker: Path) -> None:
    """Markers left by instances that were killed outright (their supervisor had no chance to
    remove its own)."""
    for old in marker.parent.glob("serve-*.reloaded"):
        pid = old.name.removeprefix("serve-").removesuffix(".reloaded")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            old.unlink(missing_ok=True)


def supervise(web: list[str], *, marker: Path, with_worker: bool) -> int:
    if marker.parent.exists():
        _forget_stale_markers(marker)
    children: dict[str, subprocess.Popen[bytes]] = {"web server": subprocess.Popen(web)}
    if with_worker:
        children["worker"] = subprocess.Popen([sys.executable, "-m", "dateline", "worker"])
    stopping = False
    last_nudge = time.monotonic()

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping, last_nudge
        stopping = True
        last_nudge = time.monotonic()
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def reload(signum: int, _frame: Any) -> None:
        reloading.mark_reload(marker)
        children["web server"].send_signal(signal.SIGHUP)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, reload)

    exit_code = 0
    try:
        while True:
            for name, child in children.items():
                code = child.poll()
                if code is not None and not stopping:
                    print(
                        f"The {name} stopped (exit status {code}); stopping the rest.",
                        file=sys.stderr,
                        flush=True,
                    )
                    exit_code = code or 1
                    stop(signal.SIGTERM, None)
            if all(child.poll() is not None for child in children.values()):
                break
            if stopping and time.monotonic() - last_nudge > RESEND_STOP_SECONDS:
                # A web worker still loading the site when the stop came has not yet set up
                # its own signal handling (granian does that once the application is loaded)
                # and misses it, then serves on until killed. Tell its workers again.
                last_nudge = time.monotonic()
                web_server = children["web server"]
                if web_server.poll() is None:
                    for pid in _children_of(web_server.pid):
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGTERM)
            time.sleep(0.2)
    finally:
        marker.unlink(missing_ok=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
