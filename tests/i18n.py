"""makemessages on a copy of the package, as docs/architecture.md says to run it, for the
tests that check the catalogues are complete (tests/newsroom/test_arabic.py and
tests/notifications/test_catalogues.py). A copy, so a test run never rewrites the committed
catalogues."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PACKAGE_DIR = Path(settings.BASE_DIR)
# Apps that keep their Python strings in their own catalogue (docs/architecture.md).
APP_CATALOGUES = ("newsroom", "identity", "notifications")


def makemessages_on_a_copy(root: Path) -> Path:
    """Copy the package under ``root``, run makemessages for Arabic there, return the copy."""
    copy = root / "dateline"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    for app in APP_CATALOGUES:
        # makemessages writes to the nearest locale/ folder: each app's must exist.
        (copy / app / "locale").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "DJANGO_SETTINGS_MODULE": "dateline.settings",
        "DATELINE_DATA_DIR": str(root / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ar", "-i", "migrations/*"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return copy
