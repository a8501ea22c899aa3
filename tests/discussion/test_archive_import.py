"""``actions.import_comments``: an archive's comments (WordPress, Disqus) come in through one
write — statuses and times kept, the same person one commenter, threads rebuilt parents
first, replies deeper than the site's limit at the deepest level, counters exact, nobody
emailed — and importing them again changes only what changed."""

from __future__ import annotations

import datetime

import pytest

from dateline.discussion import actions, targets
from dateline.discussion.models import Comment, Commenter, Thread
from dateline.notifications.models import OutboundMessage
from tests.factories import discussion_policy, make_article

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2018, 3, 1, 12, 0, tzinfo=datetime.UTC)


def archived(key: str, parent: str = "", *, status: str = Comment.Status.APPROVED, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("name", "Reader")
    kw.setdefault("email", "reader@example.net")
    kw.setdefault("body", f"Comment {key}")
    return actions.ArchivedComment(
        key=key,
        parent_key=parent,
        status=status,
        created_at=T0 + datetime.timedelta(minutes=int(key)),
        **kw,
    )


def test_a_thread_comes_in_whole_with_its_counters(section):
    article = make_article(section)
    policy = discussion_policy(max_depth=3)
    # Replies listed before their parents, as exports sometimes do.
    comments = [
        archived("4", "3", email="Other@Example.net", name="Other"),
        archived("3", "2"),
        archived("2", "1", email="other@example.net", name="Other"),
        archived("1"),
        archived("5", status=Comment.Status.PENDING),
        archived("6", "99"),  # its parent was deleted at the source
        archived("7", body="   ", status=Comment.Status.SPAM),
        archived("8", status="deleted"),
    ]
    result = actions.import_comments(
        target=targets.for_article(article), comments=comments, source="test:site", policy=policy
    )
    assert set(result.created) == {"1", "2", "3", "4", "5", "6"}
    assert set(result.refused) == {"7", "8"}
    made = result.created
    assert made["2"].parent_id == made["1"].pk
    assert made["3"].parent_id == made["2"].pk
    assert made["3"].depth == 2
    # Asked to hang at depth 3; the site shows three levels (0, 1, 2): at the deepest.
    assert made["4"].depth == 2
    assert made["4"].parent_id == made["2"].pk
    assert "4" in result.notes
    assert made["6"].parent_id is None
    assert "6" in result.notes
    assert made["1"].created_at == T0 + datetime.timedelta(minutes=1)
    # One commenter per person, whatever the case of the address.
    assert made["2"].commenter_id == made["4"].commenter_id
    assert Commenter.objects.count() == 2
    thread = Thread.objects.get(article=article)
    assert (thread.approved_count, thread.pending_count) == (5, 1)
    assert thread.last_comment_at == made["6"].created_at
    made["1"].refresh_from_db()
    assert made["1"].approved_reply_count == 3
    assert Commenter.objects.get(subject="other@example.net").approved_comment_count == 2
    assert not OutboundMessage.objects.exists()


def test_importing_again_updates_only_what_changed(section):
    article = make_article(section)
    policy = discussion_policy()
    target = targets.for_article(article)
    first = actions.import_comments(
        target=target,
        comments=[archived("1"), archived("2", status=Comment.Status.PENDING)],
        source="test:site",
        policy=policy,
    )
    again = actions.import_comments(
        target=targets.for_article(article),
        comments=[archived("1"), archived("2"), archived("3", "2")],
        known=first.created,
        source="test:site",
        policy=policy,
    )
    assert set(again.unchanged) == {"1"}
    assert set(again.updated) == {"2"}
    assert set(again.created) == {"3"}
    assert again.created["3"].parent_id == first.created["2"].pk
    assert Comment.objects.count() == 3
    thread = Thread.objects.get(article=article)
    assert (thread.approved_count, thread.pending_count) == (3, 0)


def test_comments_without_an_email_are_one_commenter_per_name_within_the_archive(section):
    article = make_article(section)
    result = actions.import_comments(
        target=targets.for_article(article),
        comments=[archived("1", email="", name="Anon"), archived("2", email="", name="anon")],
        source="test:site",
        policy=discussion_policy(),
    )
    assert result.created["1"].commenter_id == result.created["2"].commenter_id
    commenter = Commenter.objects.get(pk=result.created["1"].commenter_id)
    assert commenter.provider == "archive"
    assert commenter.email == ""


def _counters_agree_with_the_rows() -> None:
    """Every top-level comment's and commenter's counter equals what the rows say."""
    for root in Comment.objects.filter(parent__isnull=True):
        shown = Comment.objects.filter(root_id=root.pk, status=Comment.Status.APPROVED).count()
        assert root.approved_reply_count == shown, root.pk
    for commenter in Commenter.objects.all():
        shown = commenter.comments.filter(status=Comment.Status.APPROVED).count()
        assert commenter.approved_comment_count == shown, commenter.subject


def test_counters_stay_exact_across_stories_reimports_and_changes_of_status(section):
    """New comments add themselves to their commenter's count (who may have commented on
    other stories); what changed status is counted again from the rows."""
    policy = discussion_policy()
    first, second = make_article(section), make_article(section)
    one = actions.import_comments(
        target=targets.for_article(first),
        comments=[archived("1"), archived("2", "1"), archived("3", status=Comment.Status.PENDING)],
        source="test:site",
        policy=policy,
    )
    _counters_agree_with_the_rows()
    actions.import_comments(
        target=targets.for_article(second),
        comments=[archived("10"), archived("11", "10", email="new@example.net", name="New")],
        source="test:site",
        policy=policy,
    )
    _counters_agree_with_the_rows()
    assert Commenter.objects.get(subject="reader@example.net").approved_comment_count == 3
    # The archive again, newer: 3 approved, 2 marked spam, a reply to 1 that was there, and
    # a new comment by the reader whose others changed status (counted once, from the rows).
    actions.import_comments(
        target=targets.for_article(first),
        comments=[
            archived("1"),
            archived("2", "1", status=Comment.Status.SPAM),
            archived("3"),
            archived("4", "1", email="new@example.net", name="New"),
            archived("5"),
        ],
        known=one.created,
        source="test:site",
        policy=policy,
    )
    _counters_agree_with_the_rows()
    assert Comment.objects.get(pk=one.created["1"].pk).approved_reply_count == 1
    assert Commenter.objects.get(subject="reader@example.net").approved_comment_count == 4
    assert Commenter.objects.get(subject="new@example.net").approved_comment_count == 2
