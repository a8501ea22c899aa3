"""What Dateline forgets, and when (docs/privacy.md; issue #14, point 3): old IP addresses,
old spam and trash, settled outgoing emails, single-use records of expired links — each by
the worker's hourly chore, tested here by moving the clock forward; and a moderator's
permanent delete, which the purge also uses."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from dateline.discussion import actions, retention
from dateline.discussion.errors import CommenterBanned
from dateline.discussion.models import Ban, Comment, DiscussionSettings
from dateline.identity import actions as identity_actions
from dateline.identity.models import UsedEmailLink
from dateline.notifications import delivery
from dateline.notifications.models import OutboundMessage, Subscription
from dateline.server import scheduler
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
MODERATE = "/admin/discussion/comments/moderate/"
QUEUE = "/admin/discussion/comments/"


@pytest.fixture
def article(section):
    return make_article(section, title="Water rationing ends in the eastern districts")


@pytest.fixture
def policy():
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


def _aged(comment: Comment, days: int, **fields: object) -> Comment:
    then = timezone.now() - days * DAY
    Comment.objects.filter(pk=comment.pk).update(created_at=then, **fields)
    comment.refresh_from_db()
    return comment


def test_the_apps_register_their_retention_with_the_worker_hourly():
    for name in ("comment retention", "outbox retention", "used link retention"):
        assert name in scheduler._chores
        assert scheduler._every[name] == 3600


def test_ip_addresses_are_dropped_after_90_days_and_recent_ones_kept(article, policy):
    old = post_guest_comment(article, "From last spring.", policy=policy, ip="198.51.100.7")
    recent = post_guest_comment(article, "From this week.", policy=policy, ip="198.51.100.8")
    Comment.objects.filter(pk__in=[old.pk, recent.pk]).update(user_agent="Firefox/140")
    _aged(old, 89)

    # Nothing is old enough yet.
    assert retention.forget_ip_addresses() == 0
    # Two days later (the clock moved), the first comment has passed 90 days.
    assert retention.forget_ip_addresses(now=timezone.now() + 2 * DAY) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.ip_address, old.user_agent) == (None, "")
    assert (recent.ip_address, recent.user_agent) == ("198.51.100.8", "Firefox/140")
    assert old.status == Comment.Status.APPROVED  # the comment itself stays
    assert retention.forget_ip_addresses(now=timezone.now() + 2 * DAY) == 0


def test_an_ip_ban_keeps_working_once_old_addresses_are_forgotten(article, policy):
    first = post_guest_comment(article, "Long ago.", policy=policy, ip="203.0.113.9")
    _aged(first, 200)
    Ban.objects.create(kind=Ban.Kind.IP, value="203.0.113.0/24", reason="flooding")
    retention.run()

    with pytest.raises(CommenterBanned):
        post_guest_comment(article, "Back again.", policy=policy, ip="203.0.113.44")


def test_the_ip_retention_can_be_changed_or_switched_off(article, policy, settings):
    comment = _aged(post_guest_comment(article, "Older.", policy=policy), 40)
    settings.DATELINE_IP_RETENTION_DAYS = 0
    assert retention.forget_ip_addresses(now=timezone.now() + 1000 * DAY) == 0
    settings.DATELINE_IP_RETENTION_DAYS = 30
    assert retention.forget_ip_addresses() == 1
    comment.refresh_from_db()
    assert comment.ip_address is None


def test_spam_and_trash_are_purged_30_days_after_they_were_put_there(article, policy):
    spam = post_guest_comment(article, "Cheap watches.", policy=policy)
    trashed = post_guest_comment(article, "Off topic rant.", policy=policy)
    approved = post_guest_comment(article, "A fair point.", policy=policy)
    fresh_spam = post_guest_comment(article, "More watches.", policy=policy)
    actions.set_status(comments=[spam, fresh_spam], status=Comment.Status.SPAM, moderator=None)
    actions.set_status(comments=[trashed], status=Comment.Status.TRASH, moderator=None)
    for comment in (spam, trashed, approved):
        # Posted long ago, but moved to spam or the trash 31 days ago.
        _aged(comment, 400, moderated_at=timezone.now() - 31 * DAY)

    deleted, emptied = retention.purge_spam_and_trash()

    assert (deleted, emptied) == (2, 0)
    assert set(Comment.objects.values_list("pk", flat=True)) == {approved.pk, fresh_spam.pk}
    article_thread = approved.thread
    article_thread.refresh_from_db()
    assert article_thread.approved_count == 1  # the counters never counted spam or trash
    # The fresh spam goes when its 30 days are up.
    assert retention.purge_spam_and_trash(now=timezone.now() + 31 * DAY) == (1, 0)


def test_a_trashed_comment_with_replies_is_emptied_and_the_replies_stay(article, policy):
    parent = post_guest_comment(
        article, "Something rude.", policy=policy, name="Rude Guest", ip="192.0.2.99"
    )
    reply = post_guest_comment(article, "Please be civil.", policy=policy, parent=parent)
    actions.set_status(comments=[parent], status=Comment.Status.TRASH, moderator=None)
    _aged(parent, 60, moderated_at=timezone.now() - 60 * DAY)

    assert retention.purge_spam_and_trash() == (0, 1)

    parent.refresh_from_db()
    assert (parent.body, parent.body_html, parent.author_name) == ("", "", "")
    assert parent.ip_address is None
    reply.refresh_from_db()
    assert reply.status == Comment.Status.APPROVED
    # Emptied once; later runs leave it alone.
    assert retention.purge_spam_and_trash(now=timezone.now() + 100 * DAY) == (0, 0)
    page = Client().get(article.url).content.decode()
    assert "Please be civil." in page
    assert "Something rude." not in page


@pytest.fixture
def moderator_client():
    user = User.objects.create_user("mona", "mona@newsroom.example", "pw-mona-123")
    user.groups.add(Group.objects.get(name="Comment moderators"))
    client = Client()
    client.force_login(user)
    return client


def test_a_moderator_deletes_spam_for_good_and_nothing_else(article, policy, moderator_client):
    spam = post_guest_comment(article, "Buy followers.", policy=policy)
    approved = post_guest_comment(article, "Good reporting.", policy=policy)
    actions.set_status(comments=[spam], status=Comment.Status.SPAM, moderator=None)

    spam_tab = moderator_client.get(QUEUE + "?status=spam").content.decode()
    assert f'value="delete:{spam.pk}"' in spam_tab
    assert 'name="action" value="delete"' in spam_tab
    approved_tab = moderator_client.get(QUEUE + "?status=approved").content.decode()
    assert f'value="delete:{approved.pk}"' not in approved_tab
    assert 'name="action" value="delete"' not in approved_tab

    answer = moderator_client.post(
        MODERATE, {"action": "delete", "comment": [spam.pk, approved.pk]}, follow=True
    )

    assert answer.status_code == HTTPStatus.OK
    text = answer.content.decode()
    assert "1 comment deleted permanently." in text
    assert "1 comment was not deleted: only spam and trashed comments can be." in text
    assert list(Comment.objects.values_list("pk", flat=True)) == [approved.pk]


def test_deleting_needs_the_delete_permission(article, policy):
    spam = post_guest_comment(article, "Buy followers.", policy=policy)
    actions.set_status(comments=[spam], status=Comment.Status.SPAM, moderator=None)
    user = User.objects.create_user("viv", "viv@newsroom.example", "pw-viv-1234")
    group = Group.objects.create(name="Queue only")
    group.permissions.set(
        Group.objects.get(name="Comment moderators")
        .permissions.exclude(codename="delete_comment")
        .all()
    )
    user.groups.add(group)
    client = Client()
    client.force_login(user)

    answer = client.post(MODERATE, {"row": f"delete:{spam.pk}"})

    assert answer.status_code == HTTPStatus.FORBIDDEN
    assert Comment.objects.filter(pk=spam.pk).exists()


def _message(status: str, days_ago: int, n: int) -> OutboundMessage:
    when = timezone.now() - days_ago * DAY
    return OutboundMessage.objects.create(
        event_key=f"test:{n}",
        recipient=f"reader{n}@example.org",
        category=OutboundMessage.Category.COMMENT,
        subject="A new comment",
        text="Someone answered.",
        message_id=f"<m{n}@example.org>",
        status=status,
        created_at=when,
        sent_at=when if status == OutboundMessage.Status.SENT else None,
    )


def test_settled_emails_are_pruned_after_30_days_and_waiting_ones_never(settings):
    old_sent = _message(OutboundMessage.Status.SENT, 31, 1)
    old_failed = _message(OutboundMessage.Status.FAILED, 45, 2)
    old_queued = _message(OutboundMessage.Status.QUEUED, 60, 3)
    recent_sent = _message(OutboundMessage.Status.SENT, 2, 4)

    assert delivery.prune_settled() == 2

    left = set(OutboundMessage.objects.values_list("pk", flat=True))
    assert left == {old_queued.pk, recent_sent.pk}
    assert not {old_sent.pk, old_failed.pk} & left
    settings.DATELINE_EMAIL_RETENTION_DAYS = 0
    assert delivery.prune_settled(now=timezone.now() + 1000 * DAY) == 0


def test_used_link_records_go_once_every_link_they_guard_has_expired():
    recent = UsedEmailLink.objects.create(link_id="recent", used_at=timezone.now() - 2 * DAY)
    UsedEmailLink.objects.create(link_id="old", used_at=timezone.now() - 4 * DAY)

    assert identity_actions.forget_used_links() == 1
    assert list(UsedEmailLink.objects.values_list("link_id", flat=True)) == [recent.link_id]


def test_a_subscription_is_not_touched_by_retention(article, policy):
    """Subscriptions are the reader's own choice: kept until they end them."""
    before = Subscription.objects.count()
    retention.run(now=timezone.now() + 1000 * DAY)
    assert Subscription.objects.count() == before
