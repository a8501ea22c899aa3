"""The ``dateline`` command: Django's management commands under one name, with dashes.

``dateline import-text story.txt`` runs the ``import_text`` management command, ``dateline
serve`` the production server, and any other Django command works as usual
(``dateline migrate``, ``dateline createsuperuser``). Before Django starts, the data directory
is made ready and the secret key generated when none is given (``dateline.datadir``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dateline.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from dateline import datadir
    from dateline.env import EnvError

    try:
        datadir.prepare()
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except EnvError as error:
        sys.stderr.write(f"dateline: configuration error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
