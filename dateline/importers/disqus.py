"""Moving comments in from Disqus: ``import_disqus`` reads Disqus's XML export (Admin →
Moderation → Export comments) and brings each thread's posts under the story the thread was
about, through the discussion's archive write (``discussion.actions.import_comments``). The
``import-disqus`` command calls it.

The export lists every thread (a page Disqus was loaded on: its link, the identifier the site
gave it, its title), then every post (a comment: which thread, which parent, the HTML, the
time, deleted and spam flags, the author's name and email). The posts of one thread are
spread through the file, and a thread's comments are written together, in one transaction
(their replies need their parents, and the thread's counters are recounted once). So:

1. One pass reads the threads and counts each thread's posts, keeping the threads (a few
   short strings each) but no post. A malformed file is refused here, ``FILE:LINE:``,
   before anything is written.
2. Each thread with posts is matched to a story (``selectors.story_for_address``), or to a
   page of a site allowed to embed the discussion; any other is reported, with its link
   and how many posts it has, and left out.
3. The posts of matched threads are read again and written thread by thread. They are
   collected in batches of at most ``BATCH_POSTS`` posts (a thread is never split), one
   pass over the file per batch: memory holds one batch's posts, however large the export
   (most exports take one pass).

Each post is remembered by its Disqus id (``ImportedItem``, source ``disqus:<forum>``): a
second import of the same export changes nothing, a newer export updates the status and text
of what changed and adds the new posts, and an interrupted import carries on.
"""

from __future__ import annotations

import datetime
import gzip
import io
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from lxml import etree
from wagtail.models import Site

from dateline.discussion import actions as discussion
from dateline.discussion import targets
from dateline.discussion.api_access import allowed_origins
from dateline.discussion.errors import NotAllowed
from dateline.discussion.models import Comment, DiscussionSettings
from dateline.importers import selectors
from dateline.importers.errors import UnreadableFile
from dateline.importers.models import ImportedItem
from dateline.importers.report import Memory, Progress, Report
from dateline.importers.wordpress.comment_text import comment_markdown
from dateline.newsroom.models import ArticlePage
from dateline.web import normalise_origin

logger = logging.getLogger(__name__)

Kind = ImportedItem.Kind
DISQUS_NS = "http://disqus.com"
INTERNALS_NS = "http://disqus.com/disqus-internals"
_DSQ_ID = f"{{{INTERNALS_NS}}}id"
# Posts held in memory at once while writing (see the module's docstring).
BATCH_POSTS = 20_000


class DisqusError(UnreadableFile):
    """The file cannot be read as a Disqus export; ``str()`` is ``FILE:LINE: what``."""


# Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Thread:
    """A page Disqus ran on. ``identifier`` is what the site's embed code called it (often
    empty; WordPress's Disqus plugin writes ``123 http://site/?p=123``)."""

    dsq_id: str
    identifier: str
    forum: str
    link: str
    title: str
    deleted: bool
    line: int


@dataclass(frozen=True, slots=True)
class Post:
    """A comment. ``message`` is HTML; ``created_at`` is None when missing or unreadable."""

    dsq_id: str
    thread_id: str
    parent_id: str
    message: str
    created_at: datetime.datetime | None
    deleted: bool
    spam: bool
    name: str
    email: str
    anonymous: bool
    username: str
    ip: str
    line: int


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _fields(el: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for child in el:
        if isinstance(child.tag, str):
            found.setdefault(_local(child), child)
    return found


def _text(fields: dict[str, etree._Element], name: str) -> str:
    el = fields.get(name)
    return (el.text or "").strip() if el is not None else ""


def _flag(fields: dict[str, etree._Element], name: str) -> bool:
    return _text(fields, name).lower() in {"true", "1"}


def _ref(fields: dict[str, etree._Element], name: str) -> str:
    """The ``dsq:id`` of a reference such as ``<thread dsq:id="…"/>``."""
    el = fields.get(name)
    return _dsq_id(el) if el is not None else ""


def _dsq_id(el: etree._Element) -> str:
    value = el.get(_DSQ_ID)
    if value is None:  # a hand-made file that spelled the namespace differently
        value = next((v for k, v in el.attrib.items() if etree.QName(k).localname == "id"), "")
    return str(value).strip()


def parse_time(value: str) -> datetime.datetime | None:
    """Disqus's ``2015-03-04T12:00:00Z`` (UTC) as an aware time; None when unreadable."""
    try:
        parsed = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _thread(el: etree._Element) -> Thread:
    f = _fields(el)
    return Thread(
        dsq_id=_dsq_id(el),
        identifier=_text(f, "id"),
        forum=_text(f, "forum"),
        link=_text(f, "link"),
        title=" ".join(_text(f, "title").split()),
        deleted=_flag(f, "isDeleted"),
        line=el.sourceline or 0,
    )


def _post(el: etree._Element) -> Post:
    f = _fields(el)
    author = _fields(f["author"]) if "author" in f else {}
    message = f.get("message")
    return Post(
        dsq_id=_dsq_id(el),
        thread_id=_ref(f, "thread"),
        parent_id=_ref(f, "parent"),
        message=(message.text or "") if message is not None else "",
        created_at=parse_time(_text(f, "createdAt")),
        deleted=_flag(f, "isDeleted"),
        spam=_flag(f, "isSpam"),
        name=_text(author, "name"),
        email=_text(author, "email"),
        anonymous=_flag(author, "isAnonymous"),
        username=_text(author, "username"),
        ip=_text(f, "ipAddress"),
        line=el.sourceline or 0,
    )


def read(path: str | Path, *, posts: bool = True) -> Iterator[Thread | Post]:
    """Threads and posts in file order (without ``posts``, posts are still read, to check the
    file, but not built). Raises ``DisqusError`` (``FILE:LINE:``) for a file that is not
    well-formed XML or not a Disqus export. lxml, as for WordPress exports: each element's
    line, huge text nodes, no entities resolved and nothing fetched (the file is untrusted);
    every element is freed once read, so memory stays flat. A ``.xml.gz`` is read as it is."""
    label = str(path)
    with Path(path).open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    with gzip.open(path, "rb") if compressed else Path(path).open("rb") as handle:
        yield from _read(handle, label=label, posts=posts)


def _read(handle: io.BufferedIOBase, *, label: str, posts: bool) -> Iterator[Thread | Post]:
    parser = etree.iterparse(
        handle,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    try:
        for event, el in parser:
            if not isinstance(el.tag, str):
                continue
            if event == "start":
                depth += 1
                if depth == 1 and (
                    _local(el) != "disqus" or etree.QName(el).namespace not in {DISQUS_NS, None}
                ):
                    raise DisqusError(
                        label,
                        el.sourceline or 1,
                        _(
                            "this is not a Disqus export: it starts with <%(tag)s>, not "
                            "<disqus> (Disqus's Export comments writes one)."
                        )
                        % {"tag": _local(el)},
                    )
                continue
            depth -= 1
            if depth != 1:
                continue
            local = _local(el)
            if local == "thread":
                yield _thread(el)
            elif local == "post" and posts:
                yield _post(el)
            # Free what has been read: the element and everything before it.
            el.clear(keep_tail=False)
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        raise DisqusError(
            label,
            error.lineno or 1,
            _("the file is not well-formed XML: %(why)s") % {"why": error.msg or str(error)},
        ) from None
    except (OSError, EOFError) as error:  # a damaged .gz
        raise DisqusError(label, 1, str(error)) from None


@dataclass
class Scan:
    """What the first pass keeps: every thread, and how many posts each has."""

    threads: dict[str, Thread] = field(default_factory=dict)
    posts: Counter[str] = field(default_factory=Counter)  # thread's dsq:id → posts
    first_post_line: dict[str, int] = field(default_factory=dict)  # thread's dsq:id → line
    forums: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        return ", ".join(_source(f) for f in self.forums) or _source("")


def _source(forum: str) -> str:
    return f"disqus:{forum or 'disqus'}"


def scan(path: str | Path) -> Scan:
    """Read the whole file once (see the module's docstring); ``DisqusError`` when it is not a
    well-formed Disqus export."""
    found = Scan()
    for entry in read(path):
        if isinstance(entry, Thread):
            if entry.dsq_id:
                found.threads.setdefault(entry.dsq_id, entry)
            if entry.forum and entry.forum not in found.forums:
                found.forums.append(entry.forum)
        else:
            found.posts[entry.thread_id] += 1
            found.first_post_line.setdefault(entry.thread_id, entry.line)
    return found


# Matching threads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Where a thread's comments go: a story (found by ``identifier``, ``path`` or
    ``redirect``), or a page of a site allowed to embed the discussion (``embed``)."""

    how: str
    article: ArticlePage | None = None
    origin: str = ""
    page_url: str = ""
    title: str = ""

    def target(self, embed_origins: frozenset[str]) -> targets.Target:
        """The place, as it is now: two Disqus threads (the same page under two addresses)
        often land on one story, and the first one's import makes its thread."""
        if self.article is not None:
            article = ArticlePage.objects.filter(pk=self.article.pk).first() or self.article
            return targets.for_article(article)
        return targets.embedded_page(
            origin=self.origin,
            allowed_origins=embed_origins,
            page_url=self.page_url,
            title=self.title,
        )


def match_thread(thread: Thread, *, embed_origins: frozenset[str]) -> Match | None:
    """Where a Disqus thread's comments go: the story it was (by identifier, address or old
    address: ``selectors.story_for_address``), else, when its link is a page of a site allowed
    to embed the discussion, that page's discussion; None when neither. A link on an
    embedding site is never taken for one of our stories by its path alone: the page is that
    site's, whatever its path looks like."""
    origin = _origin(thread.link)
    embedded = bool(origin) and origin in embed_origins
    found = selectors.story_for_address(
        link="" if embedded else thread.link, identifier=thread.identifier
    )
    if found is not None:
        return Match(found.how, article=found.article)
    if not embedded:
        return None
    match = Match("embed", origin=origin, page_url=thread.link, title=thread.title)
    try:
        match.target(embed_origins)  # the address must be one an embed could ask for
    except NotAllowed:
        return None
    return match


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return normalise_origin(f"{parts.scheme}://{parts.netloc}")


# The import ---------------------------------------------------------------------------------


@dataclass
class _Run:
    report: Report
    policy: DiscussionSettings
    dry_run: bool
    embed_origins: frozenset[str] = frozenset()
    memories: dict[str, Memory] = field(default_factory=dict)

    def memory(self, forum: str) -> Memory:
        source = _source(forum)
        if source not in self.memories:
            self.memories[source] = Memory(source)
        return self.memories[source]


def import_disqus(
    path: str | Path, *, dry_run: bool = False, progress: Progress | None = None
) -> Report:
    """Import the Disqus export at ``path``; see the module's docstring. Raises
    ``DisqusError`` before writing anything when the file is not a well-formed export."""
    found = scan(path)
    report = Report(source=found.source, dry_run=dry_run)
    site = Site.objects.filter(is_default_site=True).first()
    policy = DiscussionSettings.for_site(site) if site else DiscussionSettings()
    embed_origins = allowed_origins(policy)
    run = _Run(report=report, policy=policy, dry_run=dry_run, embed_origins=embed_origins)

    matched: dict[str, Match] = {}
    for dsq_id, thread in found.threads.items():
        n = found.posts.get(dsq_id, 0)
        if not n:
            report.count("thread", "without comments")
            continue
        match = match_thread(thread, embed_origins=embed_origins)
        if match is None:
            report.count("thread", "unmatched")
            report.count("comment", "skipped", n)
            report.warn(
                "thread",
                dsq_id,
                thread.line,
                ngettext(
                    "no story here was at %(link)s: its %(n)d comment was not imported",
                    "no story here was at %(link)s: its %(n)d comments were not imported",
                    n,
                )
                % {"link": thread.link or _("(no link)"), "n": n},
            )
            continue
        report.count("thread", "matched" if match.how != "embed" else "embedded page")
        matched[dsq_id] = match
    for thread_id, n in found.posts.items():
        if thread_id not in found.threads:
            report.count("comment", "skipped", n)
            report.warn(
                "thread",
                thread_id,
                found.first_post_line.get(thread_id, 0),
                ngettext(
                    "%(n)d comment belongs to a thread the export does not list: not imported",
                    "%(n)d comments belong to a thread the export does not list: not imported",
                    n,
                )
                % {"n": n},
            )

    total = sum(found.posts[t] for t in matched)
    done = 0
    for batch in _batches(list(matched), found.posts):
        wanted = set(batch)
        posts: dict[str, list[Post]] = {t: [] for t in batch}
        for entry in read(path):
            if isinstance(entry, Post) and entry.thread_id in wanted:
                posts[entry.thread_id].append(entry)
        for thread_id in batch:
            thread = found.threads[thread_id]
            _guarded(run, thread, matched[thread_id], posts.pop(thread_id))
            done += found.posts[thread_id]
            if progress:
                progress(done, total)
    return report


def _batches(thread_ids: list[str], sizes: Counter[str]) -> Iterator[list[str]]:
    """Threads in file order, grouped so that a group holds at most ``BATCH_POSTS`` posts (or
    one thread, if a thread alone has more)."""
    batch: list[str] = []
    held = 0
    for thread_id in thread_ids:
        if batch and held + sizes[thread_id] > BATCH_POSTS:
            yield batch
            batch, held = [], 0
        batch.append(thread_id)
        held += sizes[thread_id]
    if batch:
        yield batch


def _guarded(run: _Run, thread: Thread, match: Match, posts: list[Post]) -> None:
    """One thread's import; a database or validation failure is reported against the thread
    and the run goes on (the thread's transaction is rolled back: nothing half-written)."""
    try:
        _import_thread(run, thread, match, posts)
    except (DatabaseError, ValueError, TypeError, LookupError) as error:
        logger.exception("Disqus import: thread %s failed", thread.dsq_id)
        run.report.fail(
            "thread",
            thread.dsq_id,
            thread.line,
            ngettext(
                "its %(n)d comment was not imported: %(why)s",
                "its %(n)d comments were not imported: %(why)s",
                len(posts),
            )
            % {"n": len(posts), "why": str(error) or type(error).__name__},
        )


def _status(post: Post, thread: Thread) -> str:
    """Spam stays spam; what was deleted on Disqus (the post, or its whole thread: Disqus
    keeps both in its exports) goes to the trash, where it does not show; the rest is
    approved, as Disqus showed it."""
    if post.spam:
        return Comment.Status.SPAM
    if post.deleted or thread.deleted:
        return Comment.Status.TRASH
    return Comment.Status.APPROVED


def _archived(run: _Run, thread: Thread, posts: list[Post]) -> list[discussion.ArchivedComment]:
    archived = []
    for post in posts:
        if not post.dsq_id:
            run.report.fail(
                "comment",
                "",
                post.line,
                _("it has no Disqus id (dsq:id), so a second import could not find it again"),
            )
            continue
        if post.created_at is None:
            run.report.fail(
                "comment", post.dsq_id, post.line, _("it has no readable time (createdAt)")
            )
            continue
        body = comment_markdown(post.message)
        if not body.strip() and post.deleted:
            # Disqus empties a deleted post; kept (in the trash) so its replies stay in place.
            body = _("(deleted on Disqus)")
        archived.append(
            discussion.ArchivedComment(
                key=post.dsq_id,
                parent_key=post.parent_id,
                name=post.name or post.username,
                email=post.email,
                body=body,
                status=_status(post, thread),
                created_at=post.created_at,
                ip_address=post.ip,
            )
        )
    return archived


def _already_here(
    target: targets.Target, items: list[discussion.ArchivedComment], known: dict[str, Comment]
) -> dict[str, Comment]:
    """Posts the story already has as comments from elsewhere: WordPress's Disqus plugin
    copies every Disqus comment into WordPress, so a WordPress export imported before holds
    them too. The same author name at the same second in the same thread is the same
    comment: it is left as it is (replies still find it) rather than shown twice."""
    if target.thread is None:
        return {}
    new = [item for item in items if item.key not in known]
    if not new:
        return {}
    ours = {c.pk for c in known.values()}
    candidates: dict[tuple[datetime.datetime, str], Comment] = {}
    for comment in Comment.objects.filter(
        thread=target.thread, created_at__in=[item.created_at for item in new]
    ).exclude(pk__in=ours):
        candidates.setdefault((comment.created_at, _name_key(comment.author_name)), comment)
    found = {}
    for item in new:
        key = (item.created_at, _name_key(item.name))
        if key in candidates:
            found[item.key] = candidates.pop(key)
    return found


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _import_thread(run: _Run, thread: Thread, match: Match, posts: list[Post]) -> None:
    memory = run.memory(thread.forum)
    target = match.target(run.embed_origins)
    items = _archived(run, thread, posts)
    known = memory.comments([item.key for item in items])
    here = _already_here(target, items, known)
    if here:
        run.report.count("comment", "matched", len(here))
        items = [item for item in items if item.key not in here]
    if thread.deleted:
        run.report.warn(
            "thread",
            thread.dsq_id,
            thread.line,
            ngettext(
                "the thread was deleted on Disqus: its %(n)d comment is in the trash",
                "the thread was deleted on Disqus: its %(n)d comments are in the trash",
                len(items),
            )
            % {"n": len(items)},
        )
    if run.dry_run:
        unchanged = sum(1 for item in items if item.key in known)
        run.report.count("comment", "unchanged", unchanged)
        run.report.count("comment", "created", len(items) - unchanged)
        return
    if not items:
        return
    lines = {post.dsq_id: post.line for post in posts}
    with transaction.atomic():
        result = discussion.import_comments(
            target=target,
            comments=items,
            known={**known, **here},
            source=memory.source,
            policy=run.policy,
        )
        if result.created:
            memory.remember_many(Kind.COMMENT, {k: c.pk for k, c in result.created.items()})
    for key, why in result.refused.items():
        run.report.fail("comment", key, lines.get(key, thread.line), why)
    for key, note in result.notes.items():
        run.report.warn("comment", key, lines.get(key, thread.line), note)
    run.report.count("comment", "created", len(result.created))
    run.report.count("comment", "updated", len(result.updated))
    run.report.count("comment", "unchanged", len(result.unchanged))


__all__ = ["DisqusError", "Report", "import_disqus", "match_thread", "read", "scan"]
