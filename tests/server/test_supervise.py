"""The supervisor ``dateline serve`` becomes (``dateline.server.supervise``), with a stand-in
web server made of real processes: a parent that, like granian's main process, passes SIGTERM
to its worker and waits for it; and a worker that misses the first SIGTERM, as a granian worker
does while it is still loading the site."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

STAND_IN = r"""
import signal, subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", '''
import signal, time
missed = []
def handler(signum, frame):
    if not missed:
        missed.append(signum)  # the first one is lost, as while loading the site
        return
    raise SystemExit(0)
signal.signal(signal.SIGTERM, handler)
open(__import__("sys").argv[1], "w").close()
while True:
    time.sleep(0.1)
''', sys.argv[1]])
def stop(signum, frame):
    worker.send_signal(signal.SIGTERM)
    worker.wait()
    raise SystemExit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(0.1)
"""


def test_a_worker_that_missed_the_stop_is_told_again(tmp_path: Path) -> None:
    ready = tmp_path / "worker-ready"
    marker = tmp_path / "run" / "serve-1.reloaded"
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "dateline.server.supervise", "--marker", str(marker), "--",
         sys.executable, "-c", STAND_IN, str(ready)],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert time.monotonic() < deadline, "the stand-in worker did not start"
            time.sleep(0.05)
        started = time.monotonic()
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=15) == 0
        # Told again after RESEND_STOP_SECONDS (3), not left to run for ever.
        assert time.monotonic() - started < 10
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


def test_the_supervisor_refuses_to_start_without_a_web_server_command(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "dateline.server.supervise", "--marker", str(tmp_path / "m")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert finished.returncode == 2
    assert "the web server's command is missing" in finished.stderr
