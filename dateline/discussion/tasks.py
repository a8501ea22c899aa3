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
    candidate = _candidate(comment)
    for checker in spam.checkers():
        if kind == "spam":
            checker.submit_spam(candidate)
        else:
            checker.submit_ham(candidate)


def _candidate(comment: Comment) -> spam.Candidate:
    """What the spam checkers are told about a comment a moderator judged."""
    return spam.Candidate(
        body=comment.body,
        author_name=comment.author_name,
        author_email=comment.commenter.email,
        author_website=comment.author_website,
        ip_address=str(comment.ip_address or ""),
        user_agent=comment.user_agent,
        referrer="",
        permalink=comment.thread.url,
        link_count=comment.body_html.count("<a "),
    )
