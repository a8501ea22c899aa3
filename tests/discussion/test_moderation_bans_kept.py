"""Bans are read once per process and kept until one is added, changed or removed: every post
checks them, and a ban must still count from the moment it is saved."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dateline.discussion import actions
from dateline.discussion.models import Ban

# Outside a test transaction: the kept list is only ever filled outside one. (A plain
# transactional test must not run just before a serialized_rollback one, such as
# test_browser.py: the flush recreates the content types, and the restore then fails.)
pytestmark = pytest.mark.django_db(transaction=True)


def checks_the_database() -> int:
    with CaptureQueriesContext(connection) as queries:
        actions.is_banned(email="reader@example.org", ip_address="192.0.2.7", commenter=None)
    return len(queries)


def test_bans_are_read_once_while_none_changes():
    actions.is_banned(email="reader@example.org", ip_address="192.0.2.7", commenter=None)

    assert checks_the_database() == 0


def test_a_new_ban_counts_at_once_and_a_removed_one_stops_counting():
    assert not actions.is_banned(email="Reader@Example.org", ip_address="", commenter=None)

    ban = actions.ban(kind=Ban.Kind.EMAIL, value="reader@example.org")
    assert actions.is_banned(email="Reader@Example.org", ip_address="", commenter=None)

    ip_ban = actions.ban(kind=Ban.Kind.IP, value="192.0.2.0/24")
    assert actions.is_banned(email="", ip_address="192.0.2.7", commenter=None)

    ban.delete()
    ip_ban.delete()
    assert not actions.is_banned(email="Reader@Example.org", ip_address="192.0.2.7", commenter=None)


def test_a_kept_ban_that_expires_stops_counting_without_a_change():
    soon = timezone.now() + datetime.timedelta(minutes=5)
    actions.ban(kind=Ban.Kind.IP, value="198.51.100.9", expires_at=soon)

    assert actions.is_banned(email="", ip_address="198.51.100.9", commenter=None)
    assert not actions.is_banned(
        email="", ip_address="198.51.100.9", commenter=None, now=soon + datetime.timedelta(1)
    )


def test_a_post_reads_neither_bans_nor_the_newsrooms_names_once_they_are_kept(section):
    """What every post checks but rarely changes — the bans, the staff names a commenter may
    not pass for — is read by the first post of a process, not by every post (a read inside
    the posting transaction could not be kept, and cost ~10 ms of CPU a comment)."""
    from tests.factories import discussion_policy, make_article, post_guest_comment

    policy = discussion_policy(mode="publish")  # a held comment also reads its moderators
    article = make_article(section, title="Tram line extended to the port")
    post_guest_comment(article, "First.", policy=policy)

    with CaptureQueriesContext(connection) as queries:
        post_guest_comment(article, "Second.", policy=policy)

    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "discussion_ban" not in read
    assert "newsroom_author" not in read
    assert "auth_user" not in read
