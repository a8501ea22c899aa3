"""SQLite writers queue on a lock file (``dateline/server/sqlite3/base.py``): a write transaction
holds the file's lock from its BEGIN to its COMMIT or ROLLBACK, whatever ends it, and writers
in many threads all get through, each write seen by the next, none lost."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, connections, transaction
from django.utils import timezone

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the writer queue is SQLite's"),
]


def lock_file() -> Path:
    name = Path(str(connection.settings_dict["NAME"]))
    return name.with_name(name.name + "-writers")


@pytest.fixture
def outsider() -> Iterator[int]:
    """Another open file description of the lock file, as another process would have."""
    connection.ensure_connection()
    with transaction.atomic():  # the file exists once a transaction has queued
        pass
    fd = os.open(lock_file(), os.O_RDWR)
    yield fd
    os.close(fd)


def free(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def test_the_engine_is_the_queued_one() -> None:
    assert connection.settings_dict["ENGINE"] == "dateline.server.sqlite3"
    assert connection.vendor == "sqlite"


def test_a_transaction_holds_the_queue_until_it_commits(outsider: int) -> None:
    assert free(outsider)
    with transaction.atomic():
        Session.objects.create(session_key="a" * 32, session_data="x", expire_date=timezone.now())
        assert not free(outsider)
        with transaction.atomic():  # a savepoint keeps the place; it is not a second BEGIN
            assert not free(outsider)
        assert not free(outsider)
    assert free(outsider)
    assert Session.objects.filter(session_key="a" * 32).exists()


def test_a_rolled_back_transaction_leaves_the_queue(outsider: int) -> None:
    def refused() -> None:
        with transaction.atomic():
            Session.objects.create(
                session_key="b" * 32, session_data="x", expire_date=timezone.now()
            )
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        refused()
    assert free(outsider)
    assert not Session.objects.filter(session_key="b" * 32).exists()


def test_a_closed_connection_leaves_the_queue(outsider: int) -> None:
    transaction.set_autocommit(False)
    connection._start_transaction_under_autocommit()  # what atomic() does on SQLite
    assert not free(outsider)
    connection.close()
    assert free(outsider)


def test_autocommit_writes_do_not_queue(outsider: int) -> None:
    Session.objects.create(session_key="c" * 32, session_data="x", expire_date=timezone.now())
    assert free(outsider)


def test_many_writers_in_threads_each_see_the_last_write() -> None:
    """Read, then write what was read plus one, in one transaction each: a lost update or a
    "database is locked" would show in the count."""
    Session.objects.create(session_key="n" * 32, session_data="0", expire_date=timezone.now())
    threads, rounds = 8, 15
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(rounds):
                with transaction.atomic():
                    row = Session.objects.get(session_key="n" * 32)
                    row.session_data = str(int(row.session_data) + 1)
                    row.save(update_fields=["session_data"])
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connections.close_all()

    started = [threading.Thread(target=writer) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(60)
    assert not failures
    assert Session.objects.get(session_key="n" * 32).session_data == str(threads * rounds)


def test_a_wait_is_bounded_and_an_abandoned_wait_gives_the_lock_back(outsider: int) -> None:
    """``flock`` has no timeout: a writer that waited the busy timeout in vain goes on without
    the queue (SQLite's busy handler decides, as before), and the lock its helper thread gets
    later is handed straight back."""
    import time

    from dateline.server.sqlite3.base import _lock_within

    fcntl.flock(outsider, fcntl.LOCK_EX)  # a writer that never lets go
    started = time.monotonic()
    assert _lock_within(str(lock_file()), 0.3) is None
    assert 0.3 <= time.monotonic() - started < 2
    fcntl.flock(outsider, fcntl.LOCK_UN)
    deadline = time.monotonic() + 5
    while not free(outsider) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert free(outsider)


def test_a_waiting_writer_gets_the_lock_as_soon_as_it_is_free(outsider: int) -> None:
    import time

    from dateline.server.sqlite3.base import _lock_within

    fcntl.flock(outsider, fcntl.LOCK_EX)
    threading.Timer(0.2, fcntl.flock, (outsider, fcntl.LOCK_UN)).start()
    started = time.monotonic()
    fd = _lock_within(str(lock_file()), 10)
    waited = time.monotonic() - started
    assert fd is not None
    assert waited < 1.5
    assert not free(outsider)
    os.close(fd)
    assert free(outsider)
