"""Isso, the Python comment server, as the POST benchmark's peer (``python -m bench post``).

Installed with pip into its own virtual environment, ``bench/.peers/isso-venv`` (git-ignored;
created on first use, reused while ``ISSO_REQUIREMENTS`` stay the same), configured with an
SQLite database in the run's temporary directory, the guard (its rate limits) off and
moderation off, and served by gunicorn with 4 sync workers and ``--preload``, as Isso's
documentation deploys it. Everything else is Isso's default (``notify = stdout`` included:
Isso logs each new comment).

How Isso takes a comment (isso/views/comments.py, ``API.new``): ``POST /new?uri=<page>`` with
a JSON body (``Content-Type: application/json``, its CSRF check); ``text`` of at least 3
characters; ``author``, ``email``, ``website``, ``parent``, ``title`` optional. The first
comment of a page creates its thread and, without a ``title``, fetches the page from the
configured ``host`` for one, so the bench sends a title. The answer is 201 (202 when
moderated) with the comment as JSON, ``id`` included.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness import stop, wait_until_answering

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".peers" / "isso-venv"
# The newest Isso of 0.13/0.14 that installs (0.14.0, on Python 3.12), and the gunicorn
# Dateline itself runs on (requirements.lock), so both servers differ only in the application.
ISSO_REQUIREMENTS = ("isso==0.14.0", "gunicorn==27.0.1")
WORKERS = 4
URI = "/bench/comments-posted-here/"


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def ensure_venv() -> Path:
    """The Isso virtual environment's python, installing it first when missing or stale."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    wanted = "\n".join(ISSO_REQUIREMENTS) + "\n"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    say(f"installing {' '.join(ISSO_REQUIREMENTS)} into {VENV.relative_to(BENCH.parent)}")
    VENV.parent.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        # The interpreter Dateline runs on (its venv's base), so both run the same Python.
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         *ISSO_REQUIREMENTS],
        check=True,
    )  # fmt: skip
    stamp.write_text(wanted)
    return python


def version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('isso'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def write_config(directory: Path, *, port: int) -> Path:
    config = directory / "isso.cfg"
    config.write_text(
        "\n".join(
            [
                "[general]",
                f"dbpath = {directory / 'comments.db'}",
                # The site that embeds the comments: where Isso would fetch a page's title
                # from, and the origin its CORS answers name.
                f"host = http://127.0.0.1:{port}/",
                "[server]",
                f"listen = http://127.0.0.1:{port}/",
                "[moderation]",
                "enabled = false",
                "[guard]",
                "enabled = false",
                "",
            ]
        )
    )
    return config


@dataclass
class IssoServer:
    base: str
    pid: int
    db: Path
    version: str


@contextlib.contextmanager
def server(directory: Path, *, port: int, log: Path) -> Iterator[IssoServer]:
    """Isso under gunicorn on 127.0.0.1:``port``, stopped (by its PID) on the way out."""
    python = ensure_venv()
    directory.mkdir(parents=True, exist_ok=True)
    config = write_config(directory, port=port)
    env = {
        "PATH": f"{python.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(directory),
        "ISSO_SETTINGS": str(config),
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(python.parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
             "--workers", str(WORKERS), "--preload", "--no-control-socket", "isso.run"],
            cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(proc, base + "/info", what="Isso", log=log)
            yield IssoServer(
                base=base, pid=proc.pid, db=directory / "comments.db", version=version(python)
            )
        finally:
            stop(proc)


def rows(db: Path, marker: str) -> list[tuple[int, str]]:
    """The comments a run stored (by its marker, which starts their text): id and the text's
    first word, as ``bench.load rows`` gives them for Dateline."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        found = con.execute(
            "SELECT id, text FROM comments WHERE substr(text, 1, ?) = ?", (len(marker), marker)
        ).fetchall()
    return [(pk, text.split(" ", 1)[0]) for pk, text in found]
