"""Bench data, run inside the bench's throwaway data directory (``python -m bench.load``):

load    front page, a section, a story with 20 approved comments, one with 10,000 (bulk
        created, counters set as the actions would have), and an empty story to post to;
        discussion settings: publish at once, no flood limit. Prints JSON for the runner.
rows    the comments a POST run stored (by the run's marker, which starts their text): JSON
        pairs of id and the text's first word, for ``bench/post_ab.py`` to check.
"""

from __future__ import annotations

import datetime
import json
import os
import sys

import django

BIG_THREAD = 10_000
SMALL_THREAD = 20
REPLY_EVERY = 4  # every fourth top-level comment of the big thread has one reply


def _setup() -> None:
    from dateline import datadir

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dateline.settings")
    datadir.prepare()  # as the dateline command does: the data directory's secret key
    django.setup()


def _comments(article, n: int, *, label: str) -> None:
    from django.db.models import F
    from django.utils import timezone

    from dateline.discussion import actions
    from dateline.discussion.models import Comment, Commenter, Thread
    from dateline.discussion.text import render_comment

    thread = actions.thread_for_article(article=article)
    readers = [
        Commenter.objects.get_or_create(
            provider="guest",
            subject=f"{label}-{i}@example.org",
            defaults={
                "kind": Commenter.Kind.GUEST,
                "display_name": f"Reader {i}",
                "email": f"{label}-{i}@example.org",
            },
        )[0]
        for i in range(25)
    ]
    start = timezone.now() - datetime.timedelta(days=2)
    html = render_comment(
        "A considered reply about the water, the reeds and the people who came back."
    ).html
    roots = Comment.objects.bulk_create(
        [
            Comment(
                thread=thread,
                commenter=readers[i % len(readers)],
                author_name=readers[i % len(readers)].display_name,
                body=f"{label} comment {i}",
                body_html=html,
                status=Comment.Status.APPROVED,
                created_at=start + datetime.timedelta(seconds=i),
                content_hash=f"{label}-{i}",
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    with_reply = roots[::REPLY_EVERY] if n > SMALL_THREAD else []
    replies = Comment.objects.bulk_create(
        [
            Comment(
                thread=thread,
                commenter=readers[0],
                author_name=readers[0].display_name,
                parent=root,
                root=root,
                depth=1,
                body=f"{label} reply to {root.pk}",
                body_html=html,
                status=Comment.Status.APPROVED,
                created_at=root.created_at + datetime.timedelta(milliseconds=500),
                content_hash=f"{label}-r{root.pk}",
            )
            for root in with_reply
        ],
        batch_size=2000,
    )
    # The counters post_comment would have kept.
    Comment.objects.filter(pk__in=[r.pk for r in with_reply]).update(approved_reply_count=1)
    Thread.objects.filter(pk=thread.pk).update(
        approved_count=len(roots) + len(replies), last_comment_at=timezone.now()
    )
    for reader in readers:
        Commenter.objects.filter(pk=reader.pk).update(
            approved_comment_count=F("approved_comment_count") + n // len(readers)
        )


def load() -> dict[str, object]:
    from django.db import connection
    from wagtail.models import Site

    from dateline.discussion import threads
    from dateline.discussion.models import Comment, DiscussionSettings
    from dateline.newsroom import actions

    home = actions.ensure_home_page(site_name="Bench Gazette")
    section = actions.create_section(parent=home, title="World", slug="world")
    author = actions.get_or_create_author(name="Bench Writer")
    paragraphs = [
        actions.Block("paragraph", f"<p>Paragraph {i} of a story of ordinary length.</p>")
        for i in range(12)
    ]

    def story(title: str):
        return actions.create_article(
            section=section,
            title=title,
            body=paragraphs,
            bylines=[author],
            standfirst="What happened, in one sentence.",
            dateline_place="Baghdad",
            dateline_source="Bench Agency",
            tags=["bench"],
            publish=True,
        )

    small = story("Twenty comments")
    big = story("Ten thousand comments")
    target = story("Comments posted here")
    _comments(small, SMALL_THREAD, label="small")
    _comments(big, BIG_THREAD, label="big")

    site = Site.objects.get(is_default_site=True)
    policy = DiscussionSettings.for_site(site)
    policy.mode = DiscussionSettings.Mode.PUBLISH
    policy.flood_seconds = 0
    policy.page_size = 50
    policy.save()

    if connection.vendor == "postgresql":
        # What autovacuum would soon do after a bulk load: give the planner statistics.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    roots = threads._visible_roots(big.discussion_thread).order_by("created_at", "id")
    deep = roots.only("id", "created_at")[BIG_THREAD - 120]
    return {
        "small_url": small.url,
        "big_url": big.url,
        "small_id": small.pk,
        "big_id": big.pk,
        "target_id": target.pk,
        "deep_cursor": threads.Cursor.after(deep).encode(),
        "comments": Comment.objects.count(),
    }


def rows(marker: str) -> list[tuple[int, str]]:
    from dateline.discussion.models import Comment

    stored = Comment.objects.filter(body__startswith=marker).values_list("pk", "body")
    return [(pk, body.split(" ", 1)[0]) for pk, body in stored]


def main() -> None:
    _setup()
    command = sys.argv[1] if len(sys.argv) > 1 else "load"
    if command == "load":
        result: object = load()
    elif command == "rows":
        result = rows(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
