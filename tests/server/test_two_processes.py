"""Several app processes, one truth: two ``dateline serve`` processes on different ports share
one PostgreSQL database and one Redis. What one process (or the admin, or the worker) changes,
the other shows on its next request — including pages it had cached — and a rate limit hit
through one applies through the other.

Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); scripts/test.sh provides both for its
PostgreSQL run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from http import HTTPStatus

import pytest
import requests

from dateline.discussion import actions as discussion_actions
from dateline.discussion.models import Comment
from tests.factories import discussion_policy, make_article, post_guest_comment
from tests.servers import running_server, server_env

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
        or not os.environ.get("REDIS_URL"),
        reason="needs PostgreSQL (DATABASE_URL=postgres://…) and Redis (REDIS_URL=redis://…): "
        "several processes share nothing else",
    ),
]


@pytest.fixture
def shared_prefix(settings, worker_id: str) -> str:
    """Keys of this test (and its two servers) under a prefix of their own in Redis."""
    prefix = f"{os.environ.get('DATELINE_CACHE_PREFIX', 'dateline')}-two-{worker_id}"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": prefix},
        "pages": {**settings.CACHES["pages"], "KEY_PREFIX": prefix + ".pages"},
    }
    return prefix


@pytest.fixture
def two_servers(shared_prefix: str) -> Iterator[tuple[str, str]]:
    env = server_env(DATELINE_PAGE_CACHE="true", DATELINE_CACHE_PREFIX=shared_prefix)
    with ExitStack() as stack:
        a = stack.enter_context(running_server("--no-worker", env=env))
        b = stack.enter_context(running_server("--no-worker", env=env))
        assert a != b
        yield a, b


def _get(url: str) -> requests.Response:
    response = requests.get(url, timeout=20)
    assert response.status_code == HTTPStatus.OK, url
    return response


def _post_comment(base_url: str, article_id: int, body: str, email: str) -> requests.Response:
    return requests.post(
        base_url + "/comments/api/comments/",
        json={
            "thread": {"article": article_id},
            "body": body,
            "name": "Layla",
            "email": email,
        },
        timeout=20,
    )


def _warm(url: str) -> None:
    _get(url)
    assert _get(url).headers["X-Cache"] == "hit", url


def test_a_comment_posted_through_one_process_shows_through_the_other(section, two_servers):
    a, b = two_servers
    discussion_policy(mode="publish")
    article = make_article(section, title="Ferry service resumes")
    _warm(b + article.url)

    posted = _post_comment(a, article.pk, "The first crossing was full.", "layla@example.org")

    assert posted.status_code == HTTPStatus.CREATED, posted.text
    page = _get(b + article.url)
    assert page.headers["X-Cache"] == "miss"
    assert "The first crossing was full." in page.text
    thread = _get(f"{b}/comments/api/threads/?article={article.pk}").json()
    assert "The first crossing was full." in str(thread["comments"])


def test_approving_a_comment_invalidates_the_page_cached_by_both(section, two_servers):
    a, b = two_servers
    policy = discussion_policy(mode="hold_all")
    article = make_article(section, title="Library reopens")
    comment = post_guest_comment(article, "Its reading room is lovely.", policy=policy)
    for base in (a, b):
        _warm(base + article.url)
        assert "Its reading room is lovely." not in _get(base + article.url).text

    discussion_actions.set_status(
        comments=[comment], status=Comment.Status.APPROVED, moderator=None
    )

    for base in (a, b):
        page = _get(base + article.url)
        assert page.headers["X-Cache"] == "miss", base
        assert "Its reading room is lovely." in page.text, base


def test_the_flood_limit_hit_through_one_process_applies_through_the_other(section, two_servers):
    a, b = two_servers
    discussion_policy(mode="publish", flood_seconds=60)
    article = make_article(section, title="Market day")

    first = _post_comment(a, article.pk, "Fresh dates today.", "sami@example.org")
    second = _post_comment(b, article.pk, "And fresh bread.", "sami@example.org")

    assert first.status_code == HTTPStatus.CREATED, first.text
    assert second.status_code == HTTPStatus.TOO_MANY_REQUESTS, second.text
    assert int(second.headers["Retry-After"]) > 0
    assert Comment.objects.filter(thread__article=article).count() == 1
