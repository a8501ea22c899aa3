"""The real ``dateline worker`` killed with SIGKILL in the middle of a batch and started again.

What Dateline guarantees, and exactly what this test checks: every queued message is
delivered to the mail server at least once; a message is delivered twice only if the worker
died after the server accepted it and before ``sent`` was committed (the one message in
flight), and the second copy carries the same Message-ID as the first."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

import pytest

from dateline.notifications import emails
from dateline.notifications.models import OutboundMessage
from tests.notifications.support import Mailbox, smtp_server
from tests.servers import PROJECT_DIR, server_env

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 50


def wait_until(condition: Callable[[], bool], *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dateline", "worker"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def sent_count() -> int:
    return OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count()


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_only_the_message_in_flight(db):
    queued = [
        OutboundMessage.objects.create(
            event_key=f"crash-test:{n}",
            recipient=f"reader{n}@example.org",
            category=OutboundMessage.Category.POST,
            subject=f"Story {n}",
            text=f"Story number {n}.",
            message_id=emails.new_message_id(),
        )
        for n in range(COUNT)
    ]
    # Each message is stored by the server, which then takes a moment to say "250 OK": a
    # kill in that moment is the worst case, a message delivered but not yet marked sent.
    box = Mailbox(delay=0.15)
    with smtp_server(box) as port:
        env = server_env(
            EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=5",
            DATELINE_EMAIL_LEASE_SECONDS="3",
            DATELINE_EMAIL_PER_MINUTE="10000",
        )
        worker = start_worker(env)
        try:
            assert box.wait_for(10, timeout=60), "the worker never started sending"
            worker.kill()  # SIGKILL: no signal handler, no cleanup, no last commit
            worker.wait(timeout=10)
        finally:
            stop(worker)
        in_flight = set(
            OutboundMessage.objects.filter(status=OutboundMessage.Status.SENDING).values_list(
                "message_id", flat=True
            )
        )
        delivered_before_restart = len(box.messages)
        assert delivered_before_restart < COUNT, "the batch finished before the kill"

        worker = start_worker(env)
        try:
            finished = wait_until(lambda: sent_count() == COUNT, timeout=120)
            time.sleep(0.5)  # anything still on its way arrives
        finally:
            stop(worker)

    assert finished, f"only {sent_count()} of {COUNT} messages were marked sent"
    received = Counter(box.message_ids())
    expected = {m.message_id for m in queued}
    assert set(received) == expected  # every message arrived, and nothing else did
    duplicates = {message_id for message_id, n in received.items() if n > 1}
    assert duplicates <= in_flight  # only a message the dead worker was sending came twice
    assert len(duplicates) <= 1
    assert max(received.values()) <= 2
