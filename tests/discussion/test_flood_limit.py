"""The comment flood limit without a shared cache: each web worker process has its own
local-memory counters, so the database decides whether this address or this commenter has
just posted. Here "another process" is this one with its counters wiped (``cache.clear()``);
tests/server/test_flood_limit_across_processes.py does it with real server processes."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db.models import F

from dateline import ratelimits
from dateline.discussion import actions, targets
from dateline.discussion.models import Comment, Commenter, DiscussionSettings
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

FLOOD_MESSAGE = "You are posting comments too quickly. Please wait a moment and try again."


# The run's own caches (Redis in the PostgreSQL run of scripts/test.sh).
RUN_CACHES = dict(django_settings.CACHES)


@pytest.fixture(autouse=True)
def per_process_counters(settings) -> None:
    """Counters as one web worker process of the README's site keeps them, whatever this run's
    cache is: in its own memory."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "flood-limit-tests",
        },
    }
    cache.clear()


@pytest.fixture
def article(section):
    return make_article(section, title="Harbour lights switched on")


@pytest.fixture
def policy():
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, flood_seconds=15)


def post_as(commenter: Commenter, article, body: str, *, policy, ip: str) -> Comment:  # type: ignore[no-untyped-def]
    return actions.post_comment(
        target=targets.of_thread(actions.thread_for_article(article=article)),
        body=body,
        policy=policy,
        meta=actions.RequestMeta(ip_address=ip),
        author=commenter,
    ).comment


@pytest.mark.parametrize(
    ("backend", "shared"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", False),
        ("django.core.cache.backends.dummy.DummyCache", False),
        # Increments by reading then writing: two processes can both count "first".
        ("django.core.cache.backends.filebased.FileBasedCache", False),
        ("django.core.cache.backends.redis.RedisCache", True),
        ("dateline.server.cache.RedisCache", True),
    ],
)
def test_only_redis_counts_for_every_process_at_once(settings, tmp_path, backend, shared):
    location = "redis://127.0.0.1:1/0" if "redis" in backend.lower() else str(tmp_path / "c")
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": backend, "LOCATION": location}}

    assert ratelimits.cache_is_shared() is shared


def test_a_second_comment_from_the_same_address_is_refused_by_a_process_that_never_counted_it(
    article, policy
):
    post_guest_comment(article, "One.", policy=policy, ip="198.51.100.7", email="a@example.org")
    cache.clear()

    with pytest.raises(ratelimits.RateLimited) as limited:
        post_guest_comment(article, "Two.", policy=policy, ip="198.51.100.7", email="b@example.org")

    assert 1 <= limited.value.retry_after <= 15
    assert limited.value.message == FLOOD_MESSAGE
    assert Comment.objects.count() == 1


def test_a_second_comment_under_the_same_email_is_refused_from_another_address(article, policy):
    post_guest_comment(article, "One.", policy=policy, ip="198.51.100.7", email="Sam@example.org")
    cache.clear()

    with pytest.raises(ratelimits.RateLimited):
        post_guest_comment(
            article, "Two.", policy=policy, ip="203.0.113.9", email=" sam@EXAMPLE.org "
        )

    assert Comment.objects.count() == 1


def test_a_signed_in_commenter_is_limited_whatever_address_they_post_from(article, policy):
    commenter = Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER, provider="google", subject="1234", display_name="Nadia"
    )
    post_as(commenter, article, "One.", policy=policy, ip="198.51.100.7")
    cache.clear()

    with pytest.raises(ratelimits.RateLimited):
        post_as(commenter, article, "Two.", policy=policy, ip="203.0.113.9")

    assert Comment.objects.count() == 1


def test_other_readers_on_other_addresses_are_not_held_back(article, policy):
    post_guest_comment(article, "One.", policy=policy, ip="198.51.100.7", email="a@example.org")
    cache.clear()

    post_guest_comment(article, "Two.", policy=policy, ip="203.0.113.9", email="b@example.org")

    assert Comment.objects.count() == 2


def test_the_wait_is_what_is_left_of_the_window_and_then_posting_works_again(article, policy):
    post_guest_comment(article, "One.", policy=policy, ip="198.51.100.7")
    Comment.objects.update(created_at=F("created_at") - datetime.timedelta(seconds=10))
    cache.clear()

    with pytest.raises(ratelimits.RateLimited) as limited:
        post_guest_comment(article, "Two.", policy=policy, ip="198.51.100.7")
    Comment.objects.update(created_at=F("created_at") - datetime.timedelta(seconds=6))
    cache.clear()
    post_guest_comment(article, "Three.", policy=policy, ip="198.51.100.7")

    assert limited.value.retry_after in {4, 5}
    assert Comment.objects.count() == 2


def test_with_the_flood_limit_off_nothing_is_refused(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, flood_seconds=0)

    post_guest_comment(article, "One.", policy=policy, ip="198.51.100.7")
    post_guest_comment(article, "Two.", policy=policy, ip="198.51.100.7")

    assert Comment.objects.count() == 2


def test_with_a_shared_cache_the_cache_alone_decides(article, policy, settings):
    settings.CACHES = RUN_CACHES
    if not ratelimits.cache_is_shared():
        pytest.skip("needs REDIS_URL (scripts/test.sh sets it for the PostgreSQL run)")
    post_guest_comment(article, "One.", policy=policy, ip="198.51.100.7")
    cache.clear()  # the shared counters expired or were flushed: nothing else is asked

    post_guest_comment(article, "Two.", policy=policy, ip="198.51.100.7")

    assert Comment.objects.count() == 2
