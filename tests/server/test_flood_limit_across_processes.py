"""The comment flood limit holds across app processes without Redis. Two ``dateline serve``
processes (one web worker process each, so two processes with two local-memory caches) share
only the database: a reader who posts through one and at once again through the other is
told to wait. With Redis the cache is shared; tests/server/test_two_processes.py covers that."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from http import HTTPStatus

import pytest
import requests

from dateline.discussion.models import Comment
from tests.factories import discussion_policy, make_article
from tests.servers import running_server, server_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def policy(db):
    return discussion_policy(mode="publish", flood_seconds=60)


@pytest.fixture
def two_servers_without_redis(policy) -> Iterator[tuple[str, str]]:
    # The policy is saved before the servers start: when this test run itself uses Redis, its
    # invalidation counters are not the ones these servers read.
    env = server_env()
    env.pop("REDIS_URL", None)  # each process counts in its own memory, as on a small site
    with ExitStack() as stack:
        first = stack.enter_context(running_server("--no-worker", "--workers", "1", env=env))
        second = stack.enter_context(running_server("--no-worker", "--workers", "1", env=env))
        yield first, second


def post_comment(base_url: str, *, article_id: int, body: str, email: str) -> requests.Response:
    return requests.post(
        base_url + "/comments/api/comments/",
        json={"thread": {"article": article_id}, "body": body, "name": "Sami", "email": email},
        timeout=20,
    )


def test_a_second_comment_through_another_process_within_the_window_is_a_429(
    section, two_servers_without_redis
):
    first_server, second_server = two_servers_without_redis
    article = make_article(section, title="Spice market moves indoors")

    first = post_comment(
        first_server, article_id=article.pk, body="Good for winter.", email="sami@example.org"
    )
    # Another email, same address: the address alone is enough to be held back.
    second = post_comment(
        second_server, article_id=article.pk, body="And summer.", email="other@example.org"
    )

    assert first.status_code == HTTPStatus.CREATED, first.text
    assert second.status_code == HTTPStatus.TOO_MANY_REQUESTS, second.text
    assert 1 <= int(second.headers["Retry-After"]) <= 60
    assert second.json()["retry_after"] == int(second.headers["Retry-After"])
    assert second.json()["errors"]["__all__"] == (
        "You are posting comments too quickly. Please wait a moment and try again."
    )
    assert Comment.objects.filter(thread__article=article).count() == 1
