"""Start the real ``dateline`` server command against the test database, for tests that must
speak HTTP to a separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(**extra: str) -> dict[str, str]:
    """Environment for a child process that must use this test run's database."""
    env = {**os.environ, "DATELINE_DATA_DIR": str(settings.DATA_DIR), "DATELINE_HTTPS": "false"}
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env["DATELINE_SQLITE_FILE"] = str(db["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(extra)
    return env


_static_collected: set[str] = set()


def collect_static(env: dict[str, str]) -> None:
    """A production server serves fingerprinted static files, so collect them once per run."""
    if env["DATELINE_DATA_DIR"] in _static_collected:
        return
    subprocess.run(
        [sys.executable, "-m", "dateline", "collectstatic", "--noinput", "-v", "0"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )
    _static_collected.add(env["DATELINE_DATA_DIR"])


@contextmanager
def running_server(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30, port: int = 0
) -> Iterator[str]:
    """Run ``dateline serve`` (or the given command) and yield its base URL once /healthz
    answers. ``port``: one chosen beforehand (for a ``DATELINE_BASE_URL`` that names it)."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "dateline",
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        *args,
    ]
    env = env or server_env()
    collect_static(env)
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early with status {process.returncode}")
            try:
                if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("server did not answer /healthz in time")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
