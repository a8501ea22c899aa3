"""From a comment being posted or approved to a message in a real SMTP server's mailbox."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User

from dateline.discussion import actions as discussion
from dateline.discussion.models import Comment, DiscussionSettings
from dateline.notifications.models import FanOut, OutboundMessage, Subscription
from tests.factories import discussion_policy, post_guest_comment
from tests.notifications.support import active_subscription, deliver_all, hide_story, outbox

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '<b onmouseover="alert(1)">Mallory</b>'
HOSTILE_BODY = "<script>alert('x')</script> Nice **story** [link](javascript:alert(1)) & more"


def follow(article, email: str, kind: str = Subscription.Kind.COMMENTS, **kwargs):
    return active_subscription(
        email, kind, thread=discussion.thread_for_article(article=article), **kwargs
    )


def follow_replies_to(article, comment, email: str):
    """As the comment form does once its link is followed: the subscription belongs to the
    identity that asked, and follows the comment it was asked from."""
    return follow(
        article,
        email,
        kind=Subscription.Kind.REPLIES,
        commenter=comment.commenter,
        asked_from=[comment],
    )


def bodies(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_an_approved_comment_reaches_a_follower_with_every_header_a_mailbox_needs(
    article, publish_at_once, mailbox
):
    follow(article, "fatima@example.org")

    comment = post_guest_comment(article, HOSTILE_BODY, name=HOSTILE_NAME, policy=publish_at_once)
    deliver_all()

    [message] = mailbox.to("fatima@example.org")
    [row] = outbox(recipient="fatima@example.org")
    assert comment.status == Comment.Status.APPROVED
    assert row.status == OutboundMessage.Status.SENT
    assert message["Message-ID"] == row.message_id
    # No sender named by the deployment: the configured address, under the site's name.
    assert settings.DEFAULT_FROM_EMAIL == "Dateline <newsroom@localhost>"
    assert message["From"] == "Test Gazette <newsroom@localhost>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"])
    assert unsubscribe is not None
    assert unsubscribe.group(1).startswith(f"{settings.BASE_URL}/notifications/unsubscribe/")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert "Mallory" in message["Subject"]
    assert "Bridge reopens after repairs" in message["Subject"]

    text, html = bodies(message)
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "&lt;b onmouseover=" in html  # the name is shown as typed, never as markup
    assert "<b onmouseover" not in html
    assert "<strong>story</strong>" in html
    assert f"{settings.BASE_URL}/comments/{comment.pk}/" in html
    assert f"{settings.BASE_URL}/comments/{comment.pk}/" in text
    assert f"{settings.BASE_URL}{article.url}" in text
    # The text part is text: what the reader typed, entities decoded, no markup interpreted.
    assert "<script>alert('x')</script> Nice story [link](javascript:alert(1)) & more" in text
    assert "/notifications/manage/" in text
    assert unsubscribe.group(1) in html


def test_nobody_hears_about_their_own_comment(article, publish_at_once, mailbox):
    follow(article, "amal@example.org")

    post_guest_comment(article, policy=publish_at_once, email="Amal@Example.org")
    deliver_all()

    assert mailbox.messages == []


def test_a_reply_tells_the_parent_author_that_someone_replied(article, publish_at_once, mailbox):
    first = post_guest_comment(
        article, "The ferry is back too.", policy=publish_at_once, email="amal@example.org"
    )
    follow_replies_to(article, first, "amal@example.org")
    bashir = post_guest_comment(article, policy=publish_at_once, email="bashir@example.org")
    follow_replies_to(article, bashir, "bashir@example.org")

    reply = post_guest_comment(
        article, "Since Tuesday, yes.", policy=publish_at_once, name="Omar", parent=first
    )
    deliver_all()

    [message] = mailbox.messages  # bashir follows replies to *his* comments only
    text, _html = bodies(message)
    assert message["To"] == "amal@example.org"
    assert message["Subject"] == "Omar replied to your comment on “Bridge reopens after repairs”"
    assert "Since Tuesday, yes." in text
    assert "The ferry is back too." in text
    assert f"/comments/{reply.pk}/" in text
    assert outbox()[0].category == OutboundMessage.Category.REPLY


def test_a_follower_of_every_comment_gets_a_reply_to_them_once_as_a_reply(
    article, publish_at_once, mailbox
):
    first = post_guest_comment(article, policy=publish_at_once, email="amal@example.org")
    follow(article, "amal@example.org", commenter=first.commenter, asked_from=[first])
    follow_replies_to(article, first, "amal@example.org")

    post_guest_comment(article, policy=publish_at_once, parent=first)
    deliver_all()

    [message] = mailbox.messages
    assert "replied to your comment" in message["Subject"]


def test_a_held_comment_notifies_editors_but_not_followers_until_it_is_approved_once(
    article, mailbox
):
    policy = discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    follow(article, "fatima@example.org")
    User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")
    moderator = User.objects.create_user("mona", "mona@newsroom.example", "pw-mona-123")
    desk = Group.objects.create(name="Night desk")
    desk.permissions.add(
        Permission.objects.get(content_type__app_label="discussion", codename="change_comment")
    )
    moderator.groups.add(desk)
    User.objects.create_user("writer", "writer@newsroom.example", "pw-writer-123")

    comment = post_guest_comment(article, "Held for now.", policy=policy, name="Karim")
    deliver_all()

    assert comment.status == Comment.Status.PENDING
    assert sorted(m["To"] for m in mailbox.messages) == [
        "mona@newsroom.example",
        "root@newsroom.example",
    ]
    notice = mailbox.to("mona@newsroom.example")[0]
    text, html = bodies(notice)
    assert "waiting for moderation" in notice["Subject"]
    assert f"{settings.BASE_URL}/admin/discussion/comments/" in text
    assert "Held for now." in html
    assert notice["List-Unsubscribe"]

    discussion.set_status(comments=[comment], status=Comment.Status.APPROVED, moderator=None)
    deliver_all()
    discussion.set_status(comments=[comment], status=Comment.Status.PENDING, moderator=None)
    discussion.set_status(comments=[comment], status=Comment.Status.APPROVED, moderator=None)
    deliver_all()

    [message] = mailbox.to("fatima@example.org")
    assert "Karim" in message["Subject"]
    assert FanOut.objects.filter(event_key=f"comment:{comment.pk}").count() == 1


def test_editors_hear_about_a_burst_of_held_comments_once_and_find_the_rest_in_the_queue(
    article, mailbox
):
    policy = discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")

    for _n in range(5):
        post_guest_comment(article, policy=policy)
    deliver_all()

    assert len(mailbox.messages) == 1


def test_spam_notifies_nobody(article, mailbox):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, blocked_words="casino")
    follow(article, "fatima@example.org")
    User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")

    comment = post_guest_comment(article, "Best casino bonus", policy=policy)
    deliver_all()

    assert comment.status == Comment.Status.SPAM
    assert mailbox.messages == []


def test_a_comment_withdrawn_before_its_notification_leaves_is_not_sent(
    article, publish_at_once, mailbox
):
    follow(article, "fatima@example.org")
    comment = post_guest_comment(article, policy=publish_at_once)

    discussion.set_status(comments=[comment], status=Comment.Status.TRASH, moderator=None)
    deliver_all()

    assert mailbox.messages == []
    assert outbox()[0].status == OutboundMessage.Status.CANCELLED


@pytest.mark.parametrize("how", ["unpublished", "private", "expired"])
def test_a_comment_notice_whose_story_was_hidden_before_it_left_is_not_sent(
    article, publish_at_once, mailbox, how
):
    follow(article, "fatima@example.org")
    post_guest_comment(article, policy=publish_at_once)

    hide_story(article, how)
    deliver_all()

    assert mailbox.messages == []
    [row] = outbox()
    assert row.status == OutboundMessage.Status.CANCELLED
    assert row.last_error == "The story is no longer published."


def test_the_outbox_row_is_written_in_the_comments_transaction(article, publish_at_once):
    follow(article, "fatima@example.org")

    comment = post_guest_comment(article, policy=publish_at_once)

    # No worker, no on_commit hook: the row exists as soon as the comment does.
    [row] = outbox()
    assert row.event_key == f"comment:{comment.pk}"
    assert row.status == OutboundMessage.Status.QUEUED
    assert row.message_id.endswith("@127.0.0.1>") or "@" in row.message_id


def test_an_unconfirmed_follower_hears_nothing(article, publish_at_once, mailbox):
    subscription = follow(article, "fatima@example.org")
    subscription.confirmed_at = None
    subscription.save(update_fields=["confirmed_at"])

    post_guest_comment(article, policy=publish_at_once)
    deliver_all()

    assert mailbox.messages == []
