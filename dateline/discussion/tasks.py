"""Background work for the discussion, run by ``dateline worker``."""

from __future__ import annotations

from django.tasks import task

from dateline.discussion import spam
from dateline.discussion.models import Comment


@task()
def report_to_spam_checkers(comment_id: int, kind: str) -> None:
    """Tell the spam checkers a moderator's verdict, so their models learn from it."""
    comment = Comment.objects.select_related("commenter", "thread").filter(pk=comment_id).first()
    if comment is None:
        return
    # What the checkers were told when it was posted, as far as the row keeps it.
    candidate = spam.Candidate.of_comment(
        comment, body=comment.body, link_count=comment.body_html.count("<a ")
    )
    for checker in spam.checkers():
        if kind == "spam":
            checker.submit_spam(candidate)
        else:
            checker.submit_ham(candidate)


@task()
def store_avatar(commenter_id: int) -> None:
    """Fetch, resize and keep a signed-in commenter's provider picture (avatars.store)."""
    from dateline.discussion import avatars

    avatars.store(commenter_id)
