"""Finding a story by its address: one query, with its thread joined in, and between changes
to the story none at all.

Compiling that query (Wagtail's page tables and the thread: some seventy columns) costs more
than running it, and was two fifths of an uncached story page once the page's parts were
shared fragments. So each process keeps the story it found, by address, and reuses it while
the story's ``gen:page:<id>`` and the site's ``gen:site`` stand still. Every change a reader
could see moves one of them: publishing, unpublishing, moving or deleting the story (and any
change to a section or the site), and every comment on it (``dateline.server.invalidation``).

The numbers are read *before* the query, as for fragments (``pagecache.fragment``): a story
read while an editor publishes is kept under numbers the publish moves past. The story's id is
needed for that, so a story is kept from its second request on. Each request gets its own
copy; the kept one never reaches a template. Like fragments, this is off when
``DATELINE_FRAGMENT_CACHE`` is (the tests' default).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings

from dateline.server import pagecache, siteconfig

if TYPE_CHECKING:
    from dateline.newsroom.models import ArticlePage

logger = logging.getLogger(__name__)

# Stories kept per process, at most; past that the whole set starts again (a story costs a
# few kilobytes, and a burst of readers is on a handful of stories).
MAX_STORIES = 2_000
THREAD_CACHE_NAME = "discussion_thread"


class _Kept:
    __slots__ = ("article", "expires", "generations", "thread")

    def __init__(
        self, *, article: ArticlePage, thread: Any, generations: tuple[int | None, int]
    ) -> None:
        self.article = article
        self.thread = thread
        self.generations = generations
        # A change that moved no number (a row edited by hand) is still seen in the end.
        self.expires = time.monotonic() + settings.DATELINE_PAGE_CACHE_TIMEOUT


_ids: dict[str, int] = {}  # address -> story id, learnt from the first request
_kept: dict[tuple[str, Any], _Kept] = {}
_lock = threading.Lock()


def _copy(kept: _Kept) -> ArticlePage:
    article = siteconfig.copy_for_request(kept.article)
    article._state.fields_cache[THREAD_CACHE_NAME] = (
        siteconfig.copy_for_request(kept.thread) if kept.thread is not None else None
    )
    return article


def _numbers(story_id: int, thread_id: int | None) -> tuple[int | None, int] | None:
    """The numbers a kept story is checked against, read before the database is; None when
    nothing may be kept (the cache is off or out of reach, or no site snapshot). The kept
    thread's number comes in the same read: its fragments ask for it next."""
    if not settings.DATELINE_FRAGMENT_CACHE or siteconfig.generation() is None:
        return None
    names = [pagecache.page_gen(story_id)]
    if thread_id is not None:
        names.append(pagecache.gen_name("thread", thread_id))
    try:
        page_number = pagecache.read_numbers(names)[0]
    except Exception:  # a cache outage: the database still answers
        logger.warning("story routing: could not read gen:page:%s", story_id, exc_info=True)
        return None
    return (siteconfig.generation(), page_number)


def kept_story(
    *, key: tuple[str, Any], story_id: int, load: Callable[[], ArticlePage | None]
) -> ArticlePage | None:
    """The story ``load`` reads (with its thread joined in), or this process's copy of what it
    read last time, while the story's and the site's numbers stand still. ``key`` names the
    reader's query: each shape of it (all columns, a few) is kept apart."""
    kept = _kept.get(key)
    numbers = _numbers(story_id, kept.thread.pk if kept is not None and kept.thread else None)
    if kept is not None and kept.generations == numbers and kept.expires > time.monotonic():
        return _copy(kept)
    article = load()
    if numbers is None or article is None or article.pk != story_id:
        return article
    thread = article._state.fields_cache.get(THREAD_CACHE_NAME)
    with _lock:
        if len(_kept) >= MAX_STORIES:
            _kept.clear()
        _kept[key] = _Kept(
            article=siteconfig.copy_for_request(article),
            thread=siteconfig.copy_for_request(thread) if thread is not None else None,
            generations=numbers,
        )
    return article


def find_story(*, home_path: str, url_path: str, slug: str) -> ArticlePage | None:
    """The live story at ``url_path`` under the home page at ``home_path``, thread joined in."""
    from dateline.newsroom.models import ArticlePage

    def load() -> ArticlePage | None:
        return (
            ArticlePage.objects.filter(
                slug=slug, url_path=url_path, path__startswith=home_path, live=True
            )
            .select_related(THREAD_CACHE_NAME)
            .first()
        )

    story_id = _ids.get(url_path) if settings.DATELINE_FRAGMENT_CACHE else None
    if story_id is None:
        # First sight of this address: its id, for the numbers next time.
        article = load()
        if article is not None and settings.DATELINE_FRAGMENT_CACHE:
            with _lock:
                if len(_ids) >= MAX_STORIES:
                    _ids.clear()
                _ids[url_path] = article.pk
        return article
    article = kept_story(key=("route", url_path), story_id=story_id, load=load)
    if article is None or article.pk != story_id:
        # Gone from here, or another story has the address now: learn it again.
        _ids.pop(url_path, None)
    return article


def forget() -> None:
    """Drop every kept story (tests, whose rolled-back rows must not outlive them)."""
    with _lock:
        _kept.clear()
        _ids.clear()
