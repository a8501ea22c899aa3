"""What a change to the discussion invalidates: its own counters (``gen:thread:<id>``) and its
story's page, through ``dateline.server.pagecache`` and ``dateline.server.invalidation``.

- a comment becoming visible, hidden or edited (``comment_changed``, ``comments_changed``,
  called by the discussion's and identity's actions where that happens): its thread and its
  story, and on a CDN the story's page;
- a thread saved whole (closed, retitled) or deleted (``thread_changed``, registered in
  ``DiscussionConfig.ready`` with the discussion settings, which bump ``gen:site``): its
  thread and its story. A new thread shows nothing yet (its first comment bumps when it is
  shown); counters move by UPDATE and bump with their comments.
"""

from __future__ import annotations

from collections.abc import Iterable

from wagtail.models import Page

from dateline.discussion.models import Comment, Thread
from dateline.server import invalidation, pagecache

# The bans in force, kept per process by ``actions.active_bans``: any ban saved or deleted.
BANS_GEN = pagecache.gen_name("bans", "all")


def bans_changed(ban: object) -> None:
    pagecache.bump(BANS_GEN)


def thread_gen(thread_id: int) -> str:
    """The counter of a thread's own fragments (its rendered comments, its JSON)."""
    return pagecache.gen_name("thread", thread_id)


def thread_counters(thread: Thread) -> list[str]:
    """What a story carrying ``thread`` reads next (``routing.carry_with_stories``)."""
    return [thread_gen(thread.pk)]


def comment_changed(comment: Comment) -> None:
    """A comment became visible or hidden, or its text changed: its story's page and its
    thread are stale."""
    if Comment.thread.is_cached(comment):
        article_id = comment.thread.article_id
    else:
        article_id = (
            Thread.objects.filter(pk=comment.thread_id).values_list("article_id", flat=True).first()
        )
    names = [thread_gen(comment.thread_id)]
    if article_id is not None:
        names.append(pagecache.page_gen(article_id))
    pagecache.bump(*names)
    if article_id is not None and invalidation.frontend_cache_enabled():
        page = Page.objects.filter(pk=article_id).first()
        if page is not None:
            invalidation.purge([page.get_full_url()])


def comments_changed(comment_ids: Iterable[int]) -> None:
    """Many comments changed at once (a deleted identity's comments renamed or removed):
    every thread and story they are on is stale."""
    rows = (
        Comment.objects.filter(pk__in=list(comment_ids))
        .values_list("thread_id", "thread__article_id")
        .distinct()
    )
    names: list[str] = []
    article_ids: list[int] = []
    for thread_id, article_id in rows:
        names.append(thread_gen(thread_id))
        if article_id is not None:
            names.append(pagecache.page_gen(article_id))
            article_ids.append(article_id)
    pagecache.bump(*names)
    if article_ids and invalidation.frontend_cache_enabled():
        invalidation.purge(p.get_full_url() for p in Page.objects.filter(pk__in=article_ids))


def thread_changed(thread: Thread) -> None:
    """A thread saved whole or deleted: its story's page and fragments, and the story kept
    for routing, are stale."""
    names = [thread_gen(thread.pk)]
    if thread.article_id is not None:
        names.append(pagecache.page_gen(thread.article_id))
    pagecache.bump(*names)
