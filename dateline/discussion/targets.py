"""Which discussion a request means, and whether it is open. Reads only: a discussion nobody
has joined yet has no Thread row, and resolving it never creates one — ``actions.post_comment``
does, once a comment has passed every check.

Two kinds of place have a discussion: a story of this site (by its id) and a page of another
site that embeds Dateline (by its address, or an id the site chose, scoped to its origin).
The form view, the JSON API and the embed all resolve a place here."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dateline.discussion.errors import NotAllowed, NotFound
from dateline.discussion.models import DiscussionSettings, Thread
from dateline.newsroom import routing
from dateline.newsroom.models import ArticlePage, SectionPage
from dateline.server import pagecache, siteconfig

MAX_PAGE_URL_LENGTH = 2000

# What the discussion needs of a story: whether it is open for comments (``comments_open``),
# what a new thread records, and its address. Building the query for every column of
# Wagtail's page tables cost more than running it.
STORY_FIELDS = (
    "id",
    "path",
    "depth",
    "title",
    "slug",
    "url_path",
    "live",
    "comments_enabled",
    "published_at",
    "first_published_at",
    "expire_at",
    "content_type",
)
_THREAD_FIELDS = tuple(f"discussion_thread__{f.name}" for f in Thread._meta.concrete_fields)


@dataclass(frozen=True)
class Target:
    """A place with a discussion. ``thread`` is None until someone has commented there."""

    key: str
    title: str = ""
    article: ArticlePage | None = None
    thread: Thread | None = None
    page_url: str = ""  # a page of another site: its normalised address

    @property
    def exists(self) -> bool:
        return self.thread is not None

    @property
    def url(self) -> str:
        """The page's full address. A story's is worked out only when asked (a new thread, a
        spam check without the request's own permalink): it costs a site lookup."""
        if self.article is not None:
            return self.article.full_url or ""
        return self.page_url

    def permalink(self, request: HttpRequest) -> str:
        """``url`` as the request sees the site (the site's root paths the request has already
        looked up, rather than a lookup of their own)."""
        if self.article is not None:
            return self.article.get_full_url(request=request) or ""
        return self.page_url

    def thread_or_stand_in(self) -> Thread:
        """The thread, or an unsaved stand-in with the same key for reads and checks."""
        if self.thread is not None:
            return self.thread
        return Thread(
            key=self.key, url=self.page_url[:500], title=self.title[:255], article=self.article
        )


def of_thread(thread: Thread) -> Target:
    """The place an existing thread belongs to (moderation, importers, tests)."""
    return Target(
        key=thread.key,
        title=thread.title,
        article=thread.article,
        thread=thread,
        page_url=thread.url,
    )


# Stories ----------------------------------------------------------------------------------


def published_story(article_id: int, *, fresh: bool = False) -> ArticlePage:
    """The published story with this id, with its thread, or ``NotFound``. Reads join the
    thread in (one query) and, between changes to the story, get the process's kept copy
    (``newsroom.routing``).

    ``fresh`` (writes): the thread is always read from its row, and the story kept only
    under the story's own number (``page_rows_gen``), which comments do not move: finding
    the story was a quarter of a comment's CPU, and under a burst of comments the page's
    number moved with every one of them."""

    def load() -> ArticlePage | None:
        stories = ArticlePage.objects.published().filter(pk=article_id)
        if fresh:
            return stories.only(*STORY_FIELDS).first()
        return (
            stories.only(*STORY_FIELDS, *_THREAD_FIELDS).select_related("discussion_thread").first()
        )

    article = routing.kept_story(
        key=("story-rows" if fresh else "story", article_id),
        story_id=article_id,
        load=load,
        counter=pagecache.page_rows_gen(article_id) if fresh else None,
    )
    # A kept copy may have passed its expiry time since; published() checks it in the database.
    if article is None or article.is_expired():
        raise NotFound({"__all__": _("There is no such story.")})
    if fresh:
        thread = Thread.objects.filter(article_id=article_id).first()
        ArticlePage._meta.get_field("discussion_thread").set_cached_value(article, thread)
    return article


def thread_of(article: ArticlePage) -> Thread | None:
    """A story's thread, or None before anyone commented: no query when it was joined in with
    the story (``published_story``, ``HomePage.route``), one otherwise. The thread keeps the
    story in hand, so checks such as ``comments_open`` do not fetch it again."""
    try:
        thread: Thread = article.discussion_thread
    except Thread.DoesNotExist:
        return None
    thread.article = article
    return thread


def for_article(article: ArticlePage) -> Target:
    return Target(
        key=f"article:{article.pk}", title=article.title, article=article, thread=thread_of(article)
    )


def story(article_id: int, *, fresh: bool = False) -> Target:
    """The discussion under a published story (see ``published_story``)."""
    return for_article(published_story(article_id, fresh=fresh))


# Pages of other sites ---------------------------------------------------------------------


def normalise_page_url(url: str) -> str:
    """One thread per page, whatever tracking parameters or fragment the address carries."""
    url = url.strip()
    # NUL and other control characters would reach the database (PostgreSQL refuses NUL with
    # an error), and urlsplit raises ValueError on a bad port or IPv6 literal.
    invalid = NotAllowed({"__all__": _("The page address must be an http or https URL.")})
    if len(url) > MAX_PAGE_URL_LENGTH or not url.isprintable():
        raise invalid
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise invalid from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise invalid
    netloc = parts.hostname.lower() + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def embed_key(
    *, origin: str, allowed_origins: Iterable[str], page_url: str = "", thread_id: str = ""
) -> tuple[str, str]:
    """The key and normalised page address of the thread for a page of another site. Only
    allowed origins have threads, and a page address must belong to the origin asking."""
    origin = origin.strip().rstrip("/").lower()
    if origin not in set(allowed_origins):
        raise NotAllowed({"__all__": _("This site is not allowed to host a Dateline discussion.")})
    if thread_id:
        if len(thread_id) > 200 or not thread_id.isprintable():
            raise NotAllowed({"__all__": _("The discussion id is not valid.")})
        key = f"embed:{origin}:id:{thread_id}"
        url = normalise_page_url(page_url) if page_url else ""
    else:
        url = normalise_page_url(page_url)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            raise NotAllowed(
                {"__all__": _("The page address does not belong to the site that asked.")}
            )
        key = f"embed:url:{url}"
    if len(key) > 255:
        key = "embed:sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key, url


def embedded_page(
    *,
    origin: str,
    allowed_origins: Iterable[str],
    page_url: str = "",
    thread_id: str = "",
    title: str = "",
) -> Target:
    """The discussion of a page of another site (see ``embed_key``)."""
    key, url = embed_key(
        origin=origin, allowed_origins=allowed_origins, page_url=page_url, thread_id=thread_id
    )
    return Target(key=key, title=title, page_url=url, thread=Thread.objects.filter(key=key).first())


# Open or closed ---------------------------------------------------------------------------


def _sections_closed_to_comments() -> frozenset[str]:
    # Few sections and all of them small rows; every change to one bumps gen:site.
    return frozenset(
        SectionPage.objects.filter(comments_enabled=False).values_list("path", flat=True)
    )


def comments_open(
    *, thread: Thread, policy: DiscussionSettings, now: datetime.datetime | None = None
) -> bool:
    """Whether readers may comment: the thread is not closed, and under a story, the story is
    live, takes comments, sits in no section closed to them and is within the policy's time."""
    if thread.closed:
        return False
    article = thread.article
    if article is None:
        return True
    if not article.comments_enabled or not article.live:
        return False
    closed = siteconfig.shared("sections-closed-to-comments", _sections_closed_to_comments)
    if any(article.path.startswith(path) for path in closed if path != article.path):
        return False
    closes = policy.closes_at(article.publication_time)
    return closes is None or (now or timezone.now()) < closes
