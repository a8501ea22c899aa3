"""The real ``dateline worker`` process: scheduled publishing and unpublishing without cron,
background tasks, and a clean stop on SIGTERM."""

from __future__ import annotations

import datetime
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import ReferenceIndex

from dateline.newsroom.models import ArticlePage
from tests.factories import make_article, make_image
from tests.servers import PROJECT_DIR, server_env

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition: Callable[[], bool], *, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def is_live(article: ArticlePage) -> bool:
    return ArticlePage.objects.filter(pk=article.pk, live=True).exists()


def test_the_worker_publishes_scheduled_stories_and_unpublishes_expired_ones(section):
    soon = timezone.now() + datetime.timedelta(seconds=2)
    scheduled = make_article(section, title="Goes live in two seconds", publish=False)
    scheduled.go_live_at = soon
    scheduled.save_revision(approved_go_live_at=soon).publish()
    expiring = make_article(section, title="Expires in two seconds")
    expiring.expire_at = soon
    expiring.save_revision().publish()
    assert not is_live(scheduled)
    assert is_live(expiring)

    worker = subprocess.Popen(
        [sys.executable, "-m", "dateline", "worker"],
        cwd=PROJECT_DIR,
        env=server_env(DATELINE_SCHEDULER_INTERVAL="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        published = wait_until(lambda: is_live(scheduled) and not is_live(expiring))
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            stdout, stderr = worker.communicate()

    assert published, stderr
    assert worker.returncode == 0, stderr
    assert "Worker started" in stdout
    assert "Traceback" not in stderr
    expiring.refresh_from_db()
    assert expiring.expired
    assert ArticlePage.objects.published().filter(pk=scheduled.pk).exists()


def test_the_worker_in_batch_mode_runs_the_queued_tasks_and_exits(section):
    # Publishing enqueues Wagtail's reference-index update (through the django-tasks backport);
    # the worker must run it from the same database queue as Django's own tasks.
    image = make_image()
    article = make_article(section, lead_image=image)
    queued = DBTaskResult.objects.filter(status="READY")
    assert queued.filter(task_path="wagtail.tasks.update_reference_index_task").exists()

    finished = subprocess.run(
        [sys.executable, "-m", "dateline", "worker", "--batch"],
        cwd=PROJECT_DIR,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    assert ReferenceIndex.get_references_to(image).filter(object_id=str(article.pk)).exists()


def test_the_worker_in_batch_mode_exits_at_once_when_nothing_is_queued(db):
    DBTaskResult.objects.all().delete()

    finished = subprocess.run(
        [sys.executable, "-m", "dateline", "worker", "--batch"],
        cwd=PROJECT_DIR,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
