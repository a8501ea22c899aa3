"""Nothing lost: readers posting at the same moment, from several OS processes, to a real
``dateline serve`` (granian, several worker processes) over HTTP, as readers do. Every comment
the server accepted is stored exactly once, counters agree with the rows, and no "database is
locked" (or any other 5xx) reaches a reader. Runs on the SQLite file and, under DATABASE_URL,
on PostgreSQL."""

import json
import subprocess
import sys
import time

import pytest

from dateline.discussion.models import Comment, Commenter, DiscussionSettings, Thread
from tests.factories import discussion_policy, make_article, post_guest_comment
from tests.servers import PROJECT_DIR, running_server, server_env

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 4
COMMENTS_EACH = 25
THREADS_EACH = 5  # requests in flight per process: 20 at once against the server
# Typically 15-30 s on a busy two-core machine; the bound only keeps a hung server from
# hanging the suite (communicate raises TimeoutExpired past it).
POSTING_DEADLINE = 90

# One poster process: no Django, just what a reader's browser does (a JSON POST), from
# several threads at once. Prints one JSON line per comment: its text and what came back.
POSTER = r"""
import json, sys
from concurrent.futures import ThreadPoolExecutor
import requests

base_url, article_id, parent_id, process, count, threads = sys.argv[1:7]
article_id, parent_id, process, count, threads = map(int, (article_id, parent_id, process, count, threads))
session = requests.Session()

def post(n):
    body = f"Process {process}, comment {n}: the water came back on this morning."
    # Most share the process's email (one commenter created by racing requests); some are
    # replies, which move the root comment's counter too.
    email = f"poster{process}@example.org" if n % 4 else f"poster{process}-{n}@example.org"
    payload = {"thread": {"article": article_id}, "body": body, "name": f"Reader {process}", "email": email}
    if n % 5 == 0:
        payload["parent"] = parent_id
    try:
        response = requests.post(
            base_url + "/comments/api/comments/", json=payload, timeout=30,
            headers={"Accept": "application/json"},
        )
        status, text = response.status_code, response.text
    except requests.RequestException as error:
        status, text = 0, repr(error)
    return {"body": body, "reply": n % 5 == 0, "status": status, "response": text[:2000]}

with ThreadPoolExecutor(max_workers=threads) as pool:
    for result in pool.map(post, range(count)):
        print(json.dumps(result), flush=True)
"""


def test_comments_posted_at_once_from_many_processes_are_all_stored_exactly_once(section):
    article = make_article(section, title="Water returns to the eastern districts")
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, flood_seconds=0)
    root = post_guest_comment(article, "The first comment, replied to below.", policy=policy)
    env = server_env()
    env.pop("AKISMET_API_KEY", None)  # local checks only: the test must not leave 127.0.0.1

    # A generous start-up allowance: booting the web server's worker processes on a busy CI machine
    # is not what this test measures.
    with running_server("--no-worker", env=env, timeout=120) as base_url:
        started = time.monotonic()
        posters = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    POSTER,
                    base_url,
                    str(article.pk),
                    str(root.pk),
                    str(process),
                    str(COMMENTS_EACH),
                    str(THREADS_EACH),
                ],
                cwd=PROJECT_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for process in range(PROCESSES)
        ]
        results = []
        deadline = started + POSTING_DEADLINE
        try:
            for poster in posters:
                out, err = poster.communicate(timeout=max(1.0, deadline - time.monotonic()))
                assert poster.returncode == 0, err
                results += [json.loads(line) for line in out.splitlines()]
        finally:
            for poster in posters:
                if poster.poll() is None:
                    poster.kill()
                    poster.wait()
        elapsed = time.monotonic() - started

    failures = [r for r in results if not 200 <= r["status"] < 300]
    accepted = {r["body"]: json.loads(r["response"])["comment"]["id"] for r in results}
    thread = Thread.objects.get(article=article)
    stored = Comment.objects.filter(thread=thread).exclude(pk=root.pk)
    root.refresh_from_db()

    print(
        f"\n{PROCESSES} processes x {COMMENTS_EACH} comments: "
        f"{len(results) - len(failures)} accepted, {stored.count()} stored, {elapsed:.1f} s"
    )
    assert len(results) == PROCESSES * COMMENTS_EACH
    assert failures == []  # no 5xx ("database is locked"), no 4xx, no dropped connection
    assert len(accepted) == len(set(accepted.values())) == PROCESSES * COMMENTS_EACH
    assert sorted(stored.values_list("pk", flat=True)) == sorted(accepted.values())
    assert dict(stored.values_list("body", "pk")) == accepted  # each text once, with its id
    assert stored.filter(status=Comment.Status.APPROVED).count() == len(accepted)
    assert thread.approved_count == len(accepted) + 1
    assert thread.pending_count == 0
    replies = sum(r["reply"] for r in results)
    assert root.approved_reply_count == replies == stored.filter(parent=root).count()
    shared_each = sum(1 for n in range(COMMENTS_EACH) if n % 4)
    for process in range(PROCESSES):
        shared = Commenter.objects.get(subject=f"poster{process}@example.org")
        assert shared.approved_comment_count == shared.comments.count() == shared_each
    assert Commenter.objects.count() == 1 + PROCESSES * (1 + COMMENTS_EACH - shared_each)
