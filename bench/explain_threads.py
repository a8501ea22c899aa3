"""Query plans of the queries that fetch a thread page — top-level comments (first page and a
deep cursor page) and the replies under them — on whichever database the settings select. Run
against a database with a big thread (``bench/load.py`` makes one):

    DATELINE_DATA_DIR=… .venv/bin/python -m bench.explain_threads
"""

from __future__ import annotations

import os

import django


def main() -> None:
    from dateline import datadir

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dateline.settings")
    datadir.prepare()  # as the dateline command does: the data directory's secret key
    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from dateline.discussion import threads
    from dateline.discussion.models import DiscussionSettings, Thread

    thread = Thread.objects.annotate(n=Count("comments")).order_by("-n").first()
    if thread is None:
        raise SystemExit("no thread in this database")
    policy = DiscussionSettings(page_size=50)
    roots = threads._visible_roots(thread).order_by("created_at", "id").only("id", "created_at")
    deep = roots[roots.count() // 2]
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    for label, cursor in (
        ("first page", None),
        ("middle page", threads.Cursor.after(deep).encode()),
    ):
        with CaptureQueriesContext(connection) as captured:
            threads.thread_page(thread=thread, policy=policy, cursor=cursor)
        for query, what in zip(
            captured.captured_queries, ("top-level comments", "replies"), strict=False
        ):
            with connection.cursor() as c:
                c.execute(explain + query["sql"])
                plan = "\n".join("  " + " ".join(str(x) for x in row) for row in c.fetchall())
            print(f"== {what}, {label} ({connection.vendor})\n{plan}\n")


if __name__ == "__main__":
    main()
