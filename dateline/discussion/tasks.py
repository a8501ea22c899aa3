"""Background work for the discussion, run by ``dateline worker``."""

from __future__ import annotations

from django.tasks import task

from dateline.discussion import spam
from dateline.discussion.models import Comment


@task()
def report_to_spam_checkers(comment_id: int, kind: str) -> None:
    """Tell the spam checkers a moderator's verdict, so their models learn from it."""
    from dateline.discussion.actions import candidate_for

    comment = Comment.objects.select_related("commenter", "thread").filter(pk=comment_id).first()
    if comment is None:
        return
    candidate = candidate_for(comment)
    for checker in spam.checkers():
        if kind == "spam":
            checker.submit_spam(candidate)
        else:
            checker.submit_ham(candidate)
