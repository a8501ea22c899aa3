"""Reads for showing a thread: keyset pages of top-level comments with the first replies under
each, in three queries whatever the size of the thread.

A page is the next ``page_size`` top-level comments after (or before) a cursor, so page 200 of
a 10,000-comment story costs what page 1 costs. Under each of them the page shows the first
``REPLIES_SHOWN`` replies in the order they were written; the rest are a link away, on keyset
pages of their own (``reply_page``), so a comment with thousands of replies costs a story page
no more than one with twenty. Only approved comments are ever returned with their content; a
removed comment that still has approved replies keeps its place as an empty placeholder, so
the replies are not orphaned.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from dateline.discussion.models import (
    Comment,
    CommentQuerySet,
    DiscussionSettings,
    Thread,
    shown_to_readers,
)

LISTING_FIELDS = (
    "id",
    "thread_id",
    "parent_id",
    "root_id",
    "depth",
    "author_name",
    "author_website",
    "body_html",
    "status",
    "created_at",
    "edited_at",
    "approved_reply_count",
    "useful_count",
    "commenter_id",
    # The face beside the name: one join, no extra query (discussion/avatars.py).
    "commenter__avatar_image",
    "commenter__subject",
)


# Replies shown under each top-level comment on a thread page, and per page of replies after.
REPLIES_SHOWN = 20
REPLIES_PAGE = 50


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    created_at: datetime.datetime
    pk: int
    before: bool = False
    # Set on pages ordered most useful first: the count the keyset starts from.
    useful: int | None = None

    def encode(self) -> str:
        """``a<µs>.<id>`` (``b`` backwards); most useful first: ``u<count>.<µs>.<id>`` (``v``)."""
        micros = int(self.created_at.timestamp() * 1_000_000)
        if self.useful is None:
            return f"{'b' if self.before else 'a'}{micros}.{self.pk}"
        return f"{'v' if self.before else 'u'}{self.useful}.{micros}.{self.pk}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        try:
            direction, parts = raw[0], raw[1:].split(".")
            useful = None
            if direction in "uv" and len(parts) == 3:
                useful = int(parts.pop(0))
                if not 0 <= useful < 2**31:
                    raise ValueError
            elif direction not in "ab" or len(parts) != 2:
                raise ValueError
            micros, pk = parts
            if len(raw) > 60:
                raise ValueError
            created = datetime.datetime.fromtimestamp(int(micros) / 1_000_000, tz=datetime.UTC)
            # Out of the database's integer range, the keyset filter itself would fail.
            if not 0 < int(pk) < 2**63:
                raise ValueError
            return cls(created_at=created, pk=int(pk), before=direction in "bv", useful=useful)
        except (ValueError, IndexError, OverflowError, OSError):
            raise InvalidCursor(raw) from None

    @classmethod
    def after(cls, comment: Comment) -> Cursor:
        return cls(created_at=comment.created_at, pk=comment.pk)

    @classmethod
    def of_root(cls, comment: Comment, *, by_useful: bool, before: bool = False) -> Cursor:
        """Where a page of top-level comments starts or ends, in the thread's order."""
        return cls(
            created_at=comment.created_at,
            pk=comment.pk,
            before=before,
            useful=comment.useful_count if by_useful else None,
        )


@dataclass
class Node:
    comment: Comment
    children: list[Node] = field(default_factory=list)
    # On a top-level comment: approved replies not shown under it, and where they start.
    more_replies: int = 0
    replies_cursor: str | None = None

    @property
    def is_placeholder(self) -> bool:
        return not self.comment.is_visible


@dataclass
class ThreadPage:
    nodes: list[Node]
    total: int
    next_cursor: str | None
    previous_cursor: str | None
    newest_first: bool

    @property
    def comment_count(self) -> int:
        return self.total


def _visible_roots(thread: Thread) -> CommentQuerySet:
    return Comment.objects.filter(thread=thread, root__isnull=True).filter(
        shown_to_readers() | Q(approved_reply_count__gt=0)
    )


def _after(created_at: datetime.datetime, pk: int) -> Q:
    """Comments after (created_at, pk) in keyset order. The redundant range on created_at
    lets the database seek to the cursor in the (…, created_at, id) indexes instead of
    filtering every earlier row: a deep page then costs what the first page costs (EXPLAIN:
    bench/explain_threads.py)."""
    return Q(created_at__gte=created_at) & (
        Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk)
    )


def _before(created_at: datetime.datetime, pk: int) -> Q:
    """Comments before (created_at, pk) in keyset order; the same seek as ``_after``."""
    return Q(created_at__lte=created_at) & (
        Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
    )


def _useful_after(useful: int, created_at: datetime.datetime, pk: int) -> Q:
    """Top-level comments after (useful, created_at, pk) in the "most useful first" order:
    fewer marks, or as many and written later."""
    return Q(useful_count__lt=useful) | (Q(useful_count=useful) & _after(created_at, pk))


def _useful_before(useful: int, created_at: datetime.datetime, pk: int) -> Q:
    return Q(useful_count__gt=useful) | (Q(useful_count=useful) & _before(created_at, pk))


USEFUL_ORDER = ("-useful_count", "created_at", "id")
USEFUL_ORDER_BACKWARDS = ("useful_count", "-created_at", "-id")


def thread_page(
    *, thread: Thread | None, policy: DiscussionSettings, cursor: str | None = None
) -> ThreadPage:
    newest_first = policy.order == DiscussionSettings.Order.NEWEST
    by_useful = policy.order == DiscussionSettings.Order.USEFUL
    if thread is None:
        return ThreadPage(
            nodes=[], total=0, next_cursor=None, previous_cursor=None, newest_first=newest_first
        )
    position = Cursor.decode(cursor) if cursor else None
    if position is not None and (position.useful is not None) != by_useful:
        # A cursor from before the site changed its order: start again from the top.
        position = None
    roots_qs = _visible_roots(thread).select_related("commenter").only(*LISTING_FIELDS)
    # "Forward" is the reading order; a "before" cursor walks backwards and is flipped after.
    forward = not (position and position.before)
    if by_useful:
        if position is not None and position.useful is not None:
            beyond_useful = _useful_after if forward else _useful_before
            roots_qs = roots_qs.filter(
                beyond_useful(position.useful, position.created_at, position.pk)
            )
        ordering: tuple[str, ...] = USEFUL_ORDER if forward else USEFUL_ORDER_BACKWARDS
    else:
        ascending = forward != newest_first
        if position is not None:
            beyond = _after if ascending else _before
            roots_qs = roots_qs.filter(beyond(position.created_at, position.pk))
        ordering = ("created_at", "id") if ascending else ("-created_at", "-id")
    roots = list(roots_qs.order_by(*ordering)[: policy.page_size + 1])
    more = len(roots) > policy.page_size
    roots = roots[: policy.page_size]
    if not forward:
        roots.reverse()

    nodes = _attach_replies(roots)
    has_next = more if forward else position is not None
    has_previous = position is not None if forward else more
    return ThreadPage(
        nodes=nodes,
        total=thread.approved_count,
        next_cursor=(
            Cursor.of_root(roots[-1], by_useful=by_useful).encode() if roots and has_next else None
        ),
        previous_cursor=(
            Cursor.of_root(roots[0], by_useful=by_useful, before=True).encode()
            if roots and has_previous
            else None
        ),
        newest_first=newest_first,
    )


def _shown(replies: CommentQuerySet) -> CommentQuerySet:
    """The replies a reader may see: approved ones, and those that are not but have an
    approved reply (placeholders). Spam and removed replies are skipped in the database,
    however many there are."""
    answered = Comment.objects.approved().filter(parent_id=OuterRef("pk"))
    return replies.filter(shown_to_readers() | Q(Exists(answered)))


def _shown_replies(root_id: int) -> CommentQuerySet:
    # root_id= (not __in): the database walks the comment_root_subtree index in order and
    # stops at the page's end.
    return _shown(Comment.objects.filter(root_id=root_id))


def _attach(nodes: dict[int, Node], top: Node, replies: list[Comment]) -> None:
    """Hang each reply under its parent, or under ``top`` when its parent is not shown (on an
    earlier page, or removed with no approved reply of its own)."""
    for reply in replies:
        parent = nodes.get(reply.parent_id) if reply.parent_id is not None else None
        (parent or top).children.append(nodes[reply.pk])


def _attach_replies(roots: list[Comment]) -> list[Node]:
    if not roots:
        return []
    # In one statement: every shown reply of the top-level comments with few approved replies
    # (at most as many placeholders again), and the first REPLIES_SHOWN, in writing order, of
    # each one with more — an index range scan that stops there, whatever the subthread's
    # size. A top-level comment without approved replies has nothing to show below it.
    few = [r.pk for r in roots if 0 < r.approved_reply_count <= REPLIES_SHOWN]
    many = [r.pk for r in roots if r.approved_reply_count > REPLIES_SHOWN]
    wanted = Q(root_id__in=few) if few else Q()
    for root_id in many:
        wanted |= Q(
            pk__in=_shown_replies(root_id).order_by("created_at", "id").values("pk")[:REPLIES_SHOWN]
        )
    replies = (
        list(
            _shown(Comment.objects.filter(wanted))
            .select_related("commenter")
            .only(*LISTING_FIELDS)
            .order_by("created_at", "id")
        )
        if few or many
        else []
    )
    nodes = {c.pk: Node(c) for c in [*roots, *replies]}
    by_root: dict[int, list[Comment]] = {}
    for reply in replies:
        by_root.setdefault(reply.root_id or 0, []).append(reply)
    for root in roots:
        under = by_root.get(root.pk, [])
        _attach(nodes, nodes[root.pk], under)
        shown = sum(reply.is_visible for reply in under)
        hidden = root.approved_reply_count - shown
        if hidden > 0 and under:
            nodes[root.pk].more_replies = hidden
            nodes[root.pk].replies_cursor = Cursor.after(under[-1]).encode()
    return [node for node in (_prune(nodes[r.pk]) for r in roots) if node is not None]


def replied_comment(comment_id: int) -> Comment | None:
    """The top-level comment a page of replies hangs from, with its thread: approved, or a
    placeholder with approved replies. None for a reply or anything a reader may not see."""
    return (
        Comment.objects.select_related("thread")
        .filter(pk=comment_id, root__isnull=True)
        .filter(shown_to_readers() | Q(approved_reply_count__gt=0))
        .first()
    )


@dataclass
class ReplyPage:
    root: Node  # the top-level comment, its children this page's replies
    next_cursor: str | None
    more_replies: int  # approved replies after this page


def reply_page(*, root: Comment, cursor: str | None = None) -> ReplyPage:
    """The next ``REPLIES_PAGE`` replies under ``root`` after ``cursor`` (None: from the
    first). A reply whose parent is on an earlier page is listed under the root (its depth
    says where it belongs), so nothing is dropped."""
    replies_qs = _shown_replies(root.pk).select_related("commenter").only(*LISTING_FIELDS)
    if cursor:
        position = Cursor.decode(cursor)
        replies_qs = replies_qs.filter(_after(position.created_at, position.pk))
    replies = list(replies_qs.order_by("created_at", "id")[: REPLIES_PAGE + 1])
    more = len(replies) > REPLIES_PAGE
    replies = replies[:REPLIES_PAGE]
    top = Node(root)
    nodes = {c.pk: Node(c) for c in replies}
    _attach(nodes, top, replies)
    remaining = 0
    if more:
        remaining = (
            _shown_replies(root.pk)
            .filter(status=Comment.Status.APPROVED)
            .filter(_after(replies[-1].created_at, replies[-1].pk))
            .count()
        )
    top.children = [child for child in (_prune(c) for c in top.children) if child is not None]
    return ReplyPage(
        root=top,
        next_cursor=Cursor.after(replies[-1]).encode() if more else None,
        more_replies=remaining,
    )


def reply_cursor_for(*, comment: Comment) -> str | None:
    """For a reply beyond the first ``REPLIES_SHOWN`` under its top-level comment, the cursor
    of the page of replies that holds it; None when the thread page itself shows it."""
    if comment.root_id is None:
        return None
    approved = (
        Comment.objects.filter(pk=comment.root_id)
        .values_list("approved_reply_count", flat=True)
        .first()
    )
    if approved is None or approved <= REPLIES_SHOWN:
        return None  # the thread page shows every reply under this one (_attach_replies)
    before = (
        _shown_replies(comment.root_id)
        .filter(_before(comment.created_at, comment.pk))
        .order_by("created_at", "id")
    )
    index = before.count()
    if index < REPLIES_SHOWN:
        return None
    # Pages of replies start after the REPLIES_SHOWN the thread page shows.
    start = REPLIES_SHOWN + (index - REPLIES_SHOWN) // REPLIES_PAGE * REPLIES_PAGE
    previous = before.only("id", "created_at")[start - 1]
    return Cursor.after(previous).encode()


def _prune(node: Node) -> Node | None:
    """Drop comments that are not approved unless an approved reply hangs below them; those
    stay as placeholders whose content is never shown."""
    node.children = [child for child in (_prune(c) for c in node.children) if child is not None]
    if node.comment.is_visible or node.children:
        if not node.comment.is_visible:
            node.comment.body_html = ""
            node.comment.author_name = ""
            node.comment.author_website = ""
        return node
    return None


def page_cursor_for(*, comment: Comment, policy: DiscussionSettings) -> str | None:
    """The cursor of the page that holds ``comment`` (None: the first page), counting pages the
    way a reader paging from the start would see them."""
    root_id = comment.root_id or comment.pk
    root = Comment.objects.only("id", "created_at", "useful_count").get(pk=root_id)
    newest_first = policy.order == DiscussionSettings.Order.NEWEST
    by_useful = policy.order == DiscussionSettings.Order.USEFUL
    roots = _visible_roots(comment.thread)
    if by_useful:
        ahead = roots.filter(_useful_before(root.useful_count, root.created_at, root.pk))
        ordering: tuple[str, ...] = USEFUL_ORDER
    else:
        ahead = roots.filter((_after if newest_first else _before)(root.created_at, root.pk))
        ordering = ("-created_at", "-id") if newest_first else ("created_at", "id")
    index = ahead.count()
    page_start = index - index % policy.page_size
    if page_start == 0:
        return None
    previous_last = roots.order_by(*ordering).only("id", "created_at", "useful_count")[
        page_start - 1
    ]
    return Cursor.of_root(previous_last, by_useful=by_useful).encode()
