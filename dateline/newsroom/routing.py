"""Finding a story by its address: one query, with what other apps carry on every story
joined in (the discussion's thread), and between changes to the story none at all.

Compiling that query (Wagtail's page tables and the thread: some seventy columns) costs more
than running it, and was two fifths of an uncached story page once the page's parts were
shared fragments. So each process keeps the story it found, by address, and reuses it while
the story's ``gen:page:<id>`` and the site's ``gen:site`` stand still. Every change a reader
could see moves one of them: publishing, unpublishing, moving or deleting the story (and any
change to a section or the site), and every comment on it (``dateline.server.invalidation``
and what the apps register there).

What a story carries: another app's one-to-one row read on every story page (the discussion's
``Thread``) registers with ``carry_with_stories`` from its app's ``ready()``. Its relation is
joined into the story's query, the row is kept beside the kept story, and each copy is handed
back with it (through the relation's own field cache, Django's ``FieldCacheMixin``), so
reading it costs no query.

A comment's POST keeps the story too, but only its own row, under ``gen:rows:<id>``
(``pagecache.page_rows_gen``: every save or delete of the page's rows moves it, comments do
not), and reads the thread afresh (``discussion.targets.published_story``): under a burst of
comments the page's number moves with each one, and finding the story was a quarter of a
comment's CPU.

The numbers are read *before* the query, as for fragments (``pagecache.fragment``): a story
read while an editor publishes is kept under numbers the publish moves past. The story's id is
needed for that, so a story is kept from its second request on. Each request gets its own
copy; the kept one never reaches a template. Like fragments, this is off when
``DATELINE_FRAGMENT_CACHE`` is (the tests' default).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from dateline.server import pagecache, siteconfig

if TYPE_CHECKING:
    from dateline.newsroom.models import ArticlePage

logger = logging.getLogger(__name__)

# Stories kept per process, at most; past that the whole set starts again (a story costs a
# few kilobytes, and a burst of readers is on a handful of stories).
MAX_STORIES = 2_000


@dataclass(frozen=True)
class Companion:
    """A row another app carries on every story (see the module docstring)."""

    relation: str  # the one-to-one relation's name on ArticlePage (its related_name)
    # The counters the row's own fragments read next, read in the same round trip as the
    # story's number (the cache's numbers are read once per request).
    counters: Callable[[Any], Sequence[str]]


_companions: dict[str, Companion] = {}


def carry_with_stories(relation: str, *, counters: Callable[[Any], Sequence[str]]) -> None:
    """Join ``relation`` (a one-to-one relation of ``ArticlePage``, by its related name) into
    every story read by its address, and keep its row with the kept story. Every change to
    that row must bump the story's ``gen:page:<id>``. Called from an app's ``ready()``."""
    _companions[relation] = Companion(relation=relation, counters=counters)


@functools.cache
def _field(relation: str) -> Any:
    from dateline.newsroom.models import ArticlePage

    return ArticlePage._meta.get_field(relation)


class _Kept:
    __slots__ = ("article", "companions", "expires", "generations")

    def __init__(
        self,
        *,
        article: ArticlePage,
        companions: dict[str, Any],
        generations: tuple[int | None, int],
    ) -> None:
        self.article = article
        self.companions = companions  # relation -> its row (None: the story has none)
        self.generations = generations
        # A change that moved no number (a row edited by hand) is still seen in the end.
        self.expires = time.monotonic() + settings.DATELINE_PAGE_CACHE_TIMEOUT


_ids: dict[str, int] = {}  # address -> story id, learnt from the first request
_kept: dict[tuple[str, Any], _Kept] = {}
_lock = threading.Lock()


def _copy(kept: _Kept) -> ArticlePage:
    article = siteconfig.copy_for_request(kept.article)
    for relation, row in kept.companions.items():
        mine = siteconfig.copy_for_request(row) if row is not None else None
        _field(relation).set_cached_value(article, mine)
    return article


def _carried(article: ArticlePage) -> dict[str, Any]:
    """The companions ``load`` joined in, each as a copy to keep (None: no such row)."""
    carried = {}
    for relation in _companions:
        field = _field(relation)
        if field.is_cached(article):
            row = field.get_cached_value(article)
            carried[relation] = siteconfig.copy_for_request(row) if row is not None else None
    return carried


def _numbers(story_id: int, kept: _Kept | None, counter: str) -> tuple[int | None, int] | None:
    """The numbers a kept story is checked against, read before the database is; None when
    nothing may be kept (the cache is off or out of reach, or no site snapshot). The kept
    companions' counters come in the same read: their fragments ask for them next."""
    if not settings.DATELINE_FRAGMENT_CACHE or siteconfig.generation() is None:
        return None
    names = [counter]
    if kept is not None:
        for relation, row in kept.companions.items():
            if row is not None:
                names += _companions[relation].counters(row)
    try:
        page_number = pagecache.read_numbers(names)[0]
    except Exception:  # a cache outage: the database still answers
        logger.warning("story routing: could not read gen:page:%s", story_id, exc_info=True)
        return None
    return (siteconfig.generation(), page_number)


def kept_story(
    *,
    key: tuple[str, Any],
    story_id: int,
    load: Callable[[], ArticlePage | None],
    counter: str | None = None,
) -> ArticlePage | None:
    """The story ``load`` reads (with the carried relations joined in), or this process's
    copy of what it read last time, while the story's and the site's numbers stand still.
    ``key`` names the reader's query: each shape of it (all columns, a few) is kept apart.
    ``counter``: the story's number to check, by default its page's (``gen:page:<id>``, which
    comments move too); a reader that needs only the story's own row and carries nothing
    passes ``pagecache.page_rows_gen``."""
    kept = _kept.get(key)
    numbers = _numbers(story_id, kept, counter or pagecache.page_gen(story_id))
    if kept is not None and kept.generations == numbers and kept.expires > time.monotonic():
        return _copy(kept)
    article = load()
    if numbers is None or article is None or article.pk != story_id:
        return article
    with _lock:
        if len(_kept) >= MAX_STORIES:
            _kept.clear()
        _kept[key] = _Kept(
            article=siteconfig.copy_for_request(article),
            companions=_carried(article),
            generations=numbers,
        )
    return article


def find_story(*, home_path: str, url_path: str, slug: str) -> ArticlePage | None:
    """The live story at ``url_path`` under the home page at ``home_path``, with what other
    apps carry on every story joined in."""
    from dateline.newsroom.models import ArticlePage

    def load() -> ArticlePage | None:
        stories = ArticlePage.objects.filter(
            slug=slug, url_path=url_path, path__startswith=home_path, live=True
        )
        if _companions:  # select_related() with no names would follow every foreign key
            stories = stories.select_related(*_companions)
        return stories.first()

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
