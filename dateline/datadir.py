"""The data directory, made ready by Dateline's entry points before Django's settings load:
the directories the settings name, and the secret key.

``dateline.settings`` only reads the environment; it never writes a file. So the entry points
— the ``dateline`` command (``dateline serve``, ``dateline worker``, ``dateline migrate``…,
and ``scripts/run.sh`` through it) and ``dateline.wsgi`` for a web server started on its own —
call ``prepare()`` first: it creates ``DATELINE_DATA_DIR`` and the static root, and when
``SECRET_KEY`` is not given, generates one once, keeps it in ``DATELINE_DATA_DIR/secret_key``
(so sessions and signed links survive restarts) and puts it in this process's environment,
where the settings read it and every child process (the web server, the worker) inherits it.

Plain Python, like ``dateline.env``: it runs before Django is configured.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import tempfile
from pathlib import Path

from dateline import env

KEY_FILE = "secret_key"


def prepare() -> None:
    """Make the data directory ready and ``SECRET_KEY`` known (see the module docstring).
    Raises ``EnvError`` for a bad value of a variable it reads."""
    data_dir = env.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    env.static_root().mkdir(parents=True, exist_ok=True)
    if not env.get_str("SECRET_KEY"):
        os.environ["SECRET_KEY"] = stored_secret_key(data_dir)


def stored_secret_key(data_dir: Path) -> str:
    """The key kept in ``data_dir``, generated the first time."""
    key_file = data_dir / KEY_FILE
    if not _key_in(key_file):
        # Several processes start at once (the web server's workers, the background worker): the
        # first to take the lock writes the key, the others then read that one.
        with open(data_dir / f".{KEY_FILE}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _key_in(key_file):
                _write_secret_key(key_file)
    return key_file.read_text().strip()


def _key_in(key_file: Path) -> bool:
    try:
        return bool(key_file.read_text().strip())
    except FileNotFoundError:
        return False


def _write_secret_key(key_file: Path) -> None:
    """Write the key whole under a temporary name, then put it in place in one step, so no
    process ever reads a file created but not yet written (an empty key)."""
    fd, temporary = tempfile.mkstemp(dir=key_file.parent, prefix=f".{KEY_FILE}.")
    try:
        os.fchmod(fd, 0o600)  # mkstemp's mode already, whatever the umask; said for the reader
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, key_file)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
