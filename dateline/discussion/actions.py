"""Writes for the discussion. Every comment, from the form, the JSON API or the embed, goes
through ``post_comment``; every change of status through ``set_status``. Counters on threads,
top-level comments and commenters change in the same transaction as the comment itself."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import logging
import math
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dateline import ratelimits
from dateline.addresses import normalise_email
from dateline.discussion import impersonation, spam, targets, tasks, text
from dateline.discussion import invalidation as page_invalidation
from dateline.discussion.errors import (
    CommenterBanned,
    CommentError,
    CommentsClosed,
    NotAllowed,
    NotFound,
)
from dateline.discussion.models import (
    Ban,
    Comment,
    Commenter,
    DiscussionSettings,
    Reaction,
    Report,
    Thread,
    shown_to_readers,
)
from dateline.discussion.reasons import Reason, reason
from dateline.discussion.reasons import reason as held_because
from dateline.newsroom.models import ArticlePage
from dateline.notifications import actions as notifications
from dateline.server import kept

logger = logging.getLogger(__name__)

EDIT_TOKEN_SALT = "dateline.discussion.edit-token"  # noqa: S105 - a salt, not a secret
GUEST_TOKEN_SALT = "dateline.discussion.guest-token"  # noqa: S105 - a salt, not a secret
# As long as a browser keeps a cookie (RFC 6265bis caps it at 400 days).
GUEST_TOKEN_MAX_AGE = 400 * 24 * 60 * 60
MAX_WEBSITE_LENGTH = 200
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class Guest:
    """A guest's details as typed into the form (or sent to the API): checked by
    ``post_comment``, never trusted before."""

    name: str
    email: str
    website: str = ""
    # The signed token this browser was given with an earlier comment (``guest_token``): the
    # only thing that proves a guest is the one who wrote under this email before.
    token: str = ""


# Who posts: a guest's details, or the identity a reader signed in with.
type Author = Guest | Commenter


@dataclass(frozen=True)
class Follow:
    """The form's "notify me" boxes sent with a comment: the story's comments (``comments``;
    with ``only_replies``, only replies to this commenter) and new stories (``posts``)."""

    comments: bool = False
    only_replies: bool = False
    posts: bool = False


@dataclass(frozen=True)
class RequestMeta:
    """What we know about the request a comment came in, for limits and spam checks."""

    ip_address: str = ""
    user_agent: str = ""
    referrer: str = ""
    honeypot: str = ""
    seconds_to_write: float | None = None
    permalink: str = ""


@dataclass
class PostedComment:
    comment: Comment
    edit_token: str
    reasons: list[Reason | str] = field(default_factory=list)
    # For a guest's browser to keep and send with its next comment ("" for none).
    guest_token: str = ""

    @property
    def is_held(self) -> bool:
        return not self.comment.is_visible


# Threads ----------------------------------------------------------------------------------


def ensure_thread(target: targets.Target) -> Thread:
    """The place's thread, created on first use. Only writes call this: reads answer a place
    nobody has commented on with ``Target.thread_or_stand_in``."""
    if target.thread is not None:
        return target.thread
    if target.article is not None:
        thread, _created = Thread.objects.get_or_create(
            article=target.article,
            defaults={"key": target.key, "title": target.title[:255], "url": target.url[:500]},
        )
        thread.article = target.article  # the caller's copy: comments_open reads it
    else:
        thread, _created = Thread.objects.get_or_create(
            key=target.key, defaults={"url": target.url[:500], "title": target.title[:255]}
        )
    return thread


def thread_for_article(*, article: ArticlePage) -> Thread:
    return ensure_thread(targets.for_article(article))


# Commenters -------------------------------------------------------------------------------


def clean_guest(details: Guest) -> Guest:
    """Validate the guest fields; raise ``CommentError`` naming each bad field."""
    errors: dict[str, str] = {}
    name = ""
    try:
        name = text.clean_name(details.name)
    except text.TextError as error:
        errors["name"] = str(error)
    if not name and "name" not in errors:
        errors["name"] = _("Please enter your name.")
    email = details.email.strip()
    if not email:
        errors["email"] = _("Please enter your email address. It is never shown.")
    elif len(email) > MAX_EMAIL_LENGTH:
        errors["email"] = _("That email address is too long.")
    else:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors["email"] = _("Please enter a valid email address, like name@example.org.")
    website = details.website.strip()
    if website:
        if "://" not in website and not website.lower().startswith(
            ("javascript:", "data:", "vbscript:")
        ):
            website = f"https://{website}"
        try:
            if len(website) > MAX_WEBSITE_LENGTH:
                raise ValidationError("too long")
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            errors["website"] = _("The website must be an http:// or https:// address.")
    if errors:
        raise CommentError(errors)
    return Guest(name=name, email=email, website=website, token=details.token)


def find_guest(*, email: str) -> Commenter | None:
    return Commenter.objects.filter(provider="guest", subject=normalise_email(email)).first()


# Guests' proof ------------------------------------------------------------------------------
#
# An email address typed into a form proves nothing: anybody can type anybody's. What a guest
# has earned (trust after approved comments, the name and website on their row) follows only
# the browser that earned it, through a signed token given with each accepted comment: the
# row's id, and — for a browser that posted under a known address without the token — the
# held comment that will vouch for it once a moderator approves it.


def guest_token(commenter_id: int, *, vouched_by: int | None = None) -> str:
    payload: dict[str, int] = {"c": commenter_id}
    if vouched_by is not None:
        payload["v"] = vouched_by
    return signing.dumps(payload, salt=GUEST_TOKEN_SALT, compress=True)


def _guest_token_payload(token: str) -> dict[str, Any] | None:
    """What a valid guest token says (``{"c": commenter id, "v": vouching comment?}``)."""
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=GUEST_TOKEN_SALT, max_age=GUEST_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return payload if isinstance(payload, dict) and isinstance(payload.get("c"), int) else None


def _proven_guest(existing: Commenter | None, token: str) -> bool:
    """Whether ``token`` proves its holder is the guest of row ``existing``."""
    payload = _guest_token_payload(token)
    if existing is None or payload is None or payload["c"] != existing.pk:
        return False
    vouched_by = payload.get("v")
    if vouched_by is None:
        return True
    # Only ever issued for a held comment: approved means a moderator approved it.
    return Comment.objects.filter(
        pk=vouched_by, commenter_id=existing.pk, status=Comment.Status.APPROVED
    ).exists()


def _guest_commenter(
    details: Guest, *, existing: Commenter | None, approved: bool, proven: bool
) -> tuple[Commenter, bool]:
    """The guest's commenter row, and whether it is new: written with the name and website
    they typed only when ``proven`` (or new), and with one more approved comment when
    ``approved``. ``existing``: the row the address had when the post was checked, outside
    this transaction, so nothing is read again here. The unique (provider, subject)
    constraint catches a concurrent first comment, and a row deleted meanwhile (an erased
    identity) is created afresh."""
    subject = normalise_email(details.email)
    now = timezone.now()
    counted = int(approved)
    if existing is None:
        try:
            with transaction.atomic():
                created = Commenter.objects.create(
                    kind=Commenter.Kind.GUEST,
                    provider="guest",
                    subject=subject,
                    display_name=details.name,
                    email=details.email,
                    website=details.website,
                    approved_comment_count=counted,
                )
                if settings.DATELINE_GRAVATAR:
                    # Only when the site asks for Gravatar, and then through the server:
                    # the worker fetches and stores it (avatars.store); readers never ask.
                    tasks.store_avatar.enqueue(created.pk)
                return created, True
        except IntegrityError:
            # Somebody else's first comment under this address won the race: not proven.
            existing, proven = Commenter.objects.get(provider="guest", subject=subject), False
    changes: dict[str, object] = (
        {"display_name": details.name, "website": details.website, "last_seen_at": now}
        if proven
        else {}
    )
    if Commenter.objects.filter(pk=existing.pk).update(
        **changes, approved_comment_count=F("approved_comment_count") + counted
    ):
        for name, value in changes.items():
            setattr(existing, name, value)
        existing.approved_comment_count += counted
        return existing, False
    return _guest_commenter(details, existing=None, approved=approved, proven=proven)


# Bans -------------------------------------------------------------------------------------


def _bans_in_force() -> tuple[Ban, ...]:
    return tuple(Ban.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())))


# Every post checks the bans, and they change rarely: each process keeps them, under the
# bans' counter (``invalidation.BANS_GEN``, bumped by every ban saved or deleted).
kept_bans = kept.Kept(page_invalidation.BANS_GEN, _bans_in_force)


def forget_kept_bans() -> None:
    kept_bans.forget()


def active_bans(now: datetime.datetime | None = None) -> list[Ban]:
    now = now or timezone.now()
    return [ban for ban in kept_bans.get() if ban.expires_at is None or ban.expires_at > now]


def is_banned(
    *,
    email: str,
    ip_address: str,
    commenter: Commenter | None,
    now: datetime.datetime | None = None,
) -> bool:
    email = normalise_email(email) if email else ""
    ip = None
    if ip_address:
        try:
            ip = ipaddress.ip_address(ip_address)
        except ValueError:
            ip = None
    for ban in active_bans(now):
        if ban.kind == Ban.Kind.EMAIL and email and normalise_email(ban.value) == email:
            return True
        if (
            ban.kind == Ban.Kind.COMMENTER
            and commenter is not None
            and ban.commenter_id == commenter.pk
        ):
            return True
        if ban.kind == Ban.Kind.IP and ip is not None:
            try:
                if ip in ipaddress.ip_network(ban.value.strip(), strict=False):
                    return True
            except ValueError:
                continue
    return False


def ban(
    *,
    kind: str,
    value: str = "",
    commenter: Commenter | None = None,
    reason: str = "",
    expires_at: datetime.datetime | None = None,
    moderator: User | None = None,
) -> Ban:
    entry = Ban(
        kind=kind,
        value=value.strip(),
        commenter=commenter,
        reason=reason,
        expires_at=expires_at,
        created_by=moderator if moderator is not None and moderator.pk else None,
    )
    entry.full_clean()
    entry.save()
    return entry


# Posting ----------------------------------------------------------------------------------


def content_hash(body: str) -> str:
    return hashlib.sha256(" ".join(body.casefold().split()).encode()).hexdigest()


def edit_token(comment: Comment) -> str:
    return signing.dumps(comment.pk, salt=EDIT_TOKEN_SALT, compress=True)


def _token_matches(*, comment: Comment, token: str, policy: DiscussionSettings) -> bool:
    try:
        pk = signing.loads(token, salt=EDIT_TOKEN_SALT, max_age=policy.edit_window_minutes * 60)
    except signing.BadSignature:
        return False
    return bool(pk == comment.pk)


def _decide_status(
    *,
    rendered: text.RenderedComment,
    verdict: spam.Verdict,
    commenter: Commenter | None,
    policy: DiscussionSettings,
    imitates: str | None = None,
) -> tuple[str, list[Reason | str]]:
    reasons: list[Reason | str] = list(verdict.reasons)
    if verdict.is_spam:
        return Comment.Status.SPAM, reasons
    body = rendered.source.casefold()
    held = [
        reason("moderation_word", word=word) for word in policy.moderation_word_list if word in body
    ]
    if rendered.link_count > policy.max_links:
        held.append(reason("over_link_limit", count=rendered.link_count, limit=policy.max_links))
    if verdict.is_suspicious:
        held.append(reason("suspicious"))
    if imitates:
        held.append(reason("imitates_staff", name=imitates))
    if policy.mode == DiscussionSettings.Mode.HOLD_ALL:
        held.append(reason("hold_all"))
    elif policy.mode == DiscussionSettings.Mode.HOLD_NEW and (
        commenter is None or commenter.approved_comment_count < policy.trusted_after
    ):
        held.append(reason("first_comments"))
    if held:
        return Comment.Status.PENDING, reasons + held
    return Comment.Status.APPROVED, reasons


def _resolve_parent(
    *, thread: Thread | None, parent_id: int | None, policy: DiscussionSettings
) -> Comment | None:
    if parent_id is None:
        return None
    parent = (
        Comment.objects.approved().filter(pk=parent_id, thread=thread).first()
        if thread is not None
        else None  # a thread not yet created holds no comment to reply to
    )
    if parent is None:
        raise CommentError(
            {"parent": _("The comment you are replying to is not available any more.")}
        )
    # Deeper replies attach to the deepest allowed level, so threads never run off the page.
    while parent.depth >= policy.max_depth - 1 and parent.parent_id is not None:
        parent = Comment.objects.get(pk=parent.parent_id)
    return parent


def _check_body(body: str, policy: DiscussionSettings) -> text.RenderedComment:
    try:
        source = text.check_and_normalise(
            body, max_length=policy.max_length, field_label=_("Your comment")
        )
    except text.TextError as error:
        raise CommentError({"body": str(error)}) from None
    if not source.strip():
        raise CommentError({"body": _("Please write a comment.")})
    rendered = text.render_comment(source)
    if not text.plain_text(rendered.html) and not rendered.link_count:
        raise CommentError({"body": _("Please write a comment.")})
    return rendered


def _flood_message() -> str:
    return _("You are posting comments too quickly. Please wait a moment and try again.")


def _serialise_flood_checks(*, keys: list[str]) -> None:
    """Make concurrent posts from one address or identity take turns between the flood check
    and the insert. SQLite needs nothing: its IMMEDIATE transactions already hold the write
    lock. PostgreSQL's READ COMMITTED would let two posts both see no recent comment, so
    each key takes a transaction-scoped advisory lock (in sorted order: no deadlock)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            digest = hashlib.sha256(f"comment-flood:{key}".encode()).digest()
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)",
                [int.from_bytes(digest[:8], "big", signed=True)],
            )


def _check_flood_in_database(
    *,
    ip_address: str,
    commenter: Commenter | None,
    window: int,
    now: datetime.datetime,
) -> None:
    """Raise ``RateLimited`` when a comment from this IP address or this commenter was
    posted less than ``window`` seconds before ``now``, whichever process took it."""
    sender = Q()
    if ip_address:
        sender |= Q(ip_address=ip_address)
    if commenter is not None and commenter.pk:
        sender |= Q(commenter=commenter)
    if not sender:
        return
    latest = (
        # Every status, spelled out, so the (status, created_at) index finds the few
        # comments of the last seconds instead of reading the whole table.
        Comment.objects.filter(
            sender,
            status__in=Comment.Status.values,
            created_at__gt=now - datetime.timedelta(seconds=window),
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if latest is None:
        return
    wait = math.ceil((latest + datetime.timedelta(seconds=window) - now).total_seconds())
    raise ratelimits.RateLimited(min(max(wait, 1), window), _flood_message())


def _check_author(author: Author) -> tuple[Author, dict[str, str]]:
    if isinstance(author, Commenter):
        return author, {}
    try:
        return clean_guest(author), {}
    except CommentError as error:
        return author, error.errors


def post_comment(
    *,
    target: targets.Target,
    author: Author,
    body: str,
    policy: DiscussionSettings,
    meta: RequestMeta,
    parent_id: int | None = None,
    follow: Follow | None = None,
    now: datetime.datetime | None = None,
) -> PostedComment:
    """Accept a comment under ``target`` from ``author``: the one write every client calls
    (the form, the JSON API, the embed, importers).

    The order matters: every check that needs no write comes first, so a refused comment
    leaves nothing behind (not even the thread of a story nobody has commented on); the
    thread, the comment, its counters, its commenter and its notifications are then written in
    one transaction, committed before the caller answers the reader."""
    now = now or timezone.now()
    if not targets.comments_open(thread=target.thread_or_stand_in(), policy=policy, now=now):
        raise CommentsClosed({"__all__": _("Comments are closed on this story.")})

    errors: dict[str, str] = {}
    try:
        rendered = _check_body(body, policy)
    except CommentError as error:
        errors.update(error.errors)
    author, author_errors = _check_author(author)
    errors.update(author_errors)
    if errors:
        raise CommentError(errors)
    parent = _resolve_parent(thread=target.thread, parent_id=parent_id, policy=policy)

    if isinstance(author, Commenter):
        existing: Commenter | None = author
        email, author_name, author_website = author.email, author.display_name, author.website
        sender_key = f"{author.provider}:{author.subject}"
        proven = True
    else:
        existing = find_guest(email=author.email)
        proven = _proven_guest(existing, author.token)
        email, author_name, author_website = author.email, author.name, author.website
        sender_key = (
            f"{existing.provider}:{existing.subject}"
            if existing
            else f"guest:{normalise_email(email)}"
        )
    if is_banned(email=email, ip_address=meta.ip_address, commenter=existing, now=now):
        raise CommenterBanned({"__all__": _("You cannot comment on this site.")})

    flood_keys = [
        key for key in (f"ip:{meta.ip_address}" if meta.ip_address else "", sender_key) if key
    ]
    # Without a shared cache each process counts on its own, so the database (which every
    # process shares) decides too: first here, cheaply, so a flood never reaches the spam
    # checkers, then again in the posting transaction, where no other post can slip between.
    flood_in_database = bool(policy.flood_seconds) and not ratelimits.cache_is_shared()
    if policy.flood_seconds:
        ratelimits.check_all(
            scope="comment-flood",
            keys=flood_keys,
            limit=1,
            window=policy.flood_seconds,
            message=_flood_message(),
        )
    if flood_in_database:
        _check_flood_in_database(
            ip_address=meta.ip_address, commenter=existing, window=policy.flood_seconds, now=now
        )

    digest = content_hash(rendered.source)
    candidate = spam.Candidate(
        body=rendered.source,
        author_name=author_name,
        author_email=email,
        author_website=author_website,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        referrer=meta.referrer,
        permalink=meta.permalink or target.url,
        link_count=rendered.link_count,
        honeypot=meta.honeypot,
        seconds_to_write=meta.seconds_to_write,
        blocked_words=tuple(policy.blocked_word_list),
    )
    verdict = spam.check(candidate)
    # Before the transaction: the newsroom's names are kept per process only outside one.
    imitates = impersonation.imitated(author_name)

    with transaction.atomic():
        if flood_in_database:
            _serialise_flood_checks(keys=flood_keys)
            _check_flood_in_database(
                ip_address=meta.ip_address,
                # A guest's first comment has no commenter yet; a concurrent first comment
                # under the same email has one by now, so look again inside the transaction.
                commenter=author if isinstance(author, Commenter) else find_guest(email=email),
                window=policy.flood_seconds,
                now=now,
            )
        # Decided before the commenter's row is written, so that one write also counts an
        # approved comment (trust counts what had been approved before this one).
        # An unproven guest under a known address is moderated as a newcomer would be.
        status, reasons = _decide_status(
            rendered=rendered,
            verdict=verdict,
            commenter=existing if proven else None,
            policy=policy,
            imitates=imitates,
        )
        approved = status == Comment.Status.APPROVED
        if isinstance(author, Commenter):
            who, new_commenter = author, False
            if approved:
                Commenter.objects.filter(pk=author.pk).update(
                    approved_comment_count=F("approved_comment_count") + 1
                )
        else:
            who, new_commenter = _guest_commenter(
                author, existing=existing, approved=approved, proven=proven
            )
        thread = ensure_thread(target)
        # A commenter created just now has said nothing yet, and a new thread holds nothing.
        duplicate = (
            not new_commenter
            and target.thread is not None
            and Comment.objects.filter(thread=thread, commenter=who, content_hash=digest)
            .exclude(status=Comment.Status.TRASH)
            .exists()
        )
        if duplicate:
            raise CommentError({"body": _("It looks as though you have already said that.")})
        comment = Comment.objects.create(
            thread=thread,
            parent=parent,
            root_id=(parent.root_id or parent.pk) if parent else None,
            depth=parent.depth + 1 if parent else 0,
            commenter=who,
            author_name=author_name,
            author_website=author_website,
            body=rendered.source,
            body_html=rendered.html,
            status=status,
            created_at=now,
            ip_address=meta.ip_address or None,
            user_agent=meta.user_agent[:255],
            content_hash=digest,
            spam_score=verdict.score,
            moderation_reasons=reasons,
        )
        # In this transaction, so the outbox rows commit (or not) with the comment itself.
        if status == Comment.Status.APPROVED:
            notifications.comment_approved(comment=comment)
        elif status == Comment.Status.PENDING:
            notifications.comment_held(comment=comment)
        # Last: the thread's counters are one row every comment on the story updates, locked
        # (PostgreSQL) from this UPDATE until the commit, so nothing else waits behind it.
        _count(comment, old_status=None, new_status=status, now=now, commenter_counted=True)
    if follow is not None:
        # After the commit: the comment is accepted whatever happens to the subscription.
        notifications.subscribe_from_comment(
            comment=comment,
            notify_replies=follow.only_replies,
            notify_all_comments=follow.comments,
            notify_posts=follow.posts,
        )
    token = ""
    if isinstance(author, Guest):
        if new_commenter or proven:
            token = guest_token(who.pk)
        elif status == Comment.Status.PENDING:
            # Proof once a moderator approves this comment (never for one published at
            # once: that would hand the address's standing to whoever typed it).
            token = guest_token(who.pk, vouched_by=comment.pk)
    return PostedComment(
        comment=comment, edit_token=edit_token(comment), reasons=reasons, guest_token=token
    )


def _count(
    comment: Comment,
    *,
    old_status: str | None,
    new_status: str,
    now: datetime.datetime,
    commenter_counted: bool = False,
) -> None:
    """Move the denormalised counters for a status change (``old_status`` None: a new comment).
    ``commenter_counted``: the caller already counted it on the commenter's row."""
    approved = int(new_status == Comment.Status.APPROVED) - int(
        old_status == Comment.Status.APPROVED
    )
    pending = int(new_status == Comment.Status.PENDING) - int(old_status == Comment.Status.PENDING)
    thread_updates: dict[str, object] = {}
    if approved:
        thread_updates["approved_count"] = F("approved_count") + approved
        if approved > 0:
            thread_updates["last_comment_at"] = now
    if pending:
        thread_updates["pending_count"] = F("pending_count") + pending
    if thread_updates:
        Thread.objects.filter(pk=comment.thread_id).update(**thread_updates)
    if approved:
        if comment.root_id is not None:
            Comment.objects.filter(pk=comment.root_id).update(
                approved_reply_count=F("approved_reply_count") + approved
            )
        if not commenter_counted:
            Commenter.objects.filter(pk=comment.commenter_id).update(
                approved_comment_count=F("approved_comment_count") + approved
            )
        # Shown or hidden: the story's cached page is stale from this moment.
        page_invalidation.comment_changed(comment)


# Self-service -----------------------------------------------------------------------------


def edit_comment(*, comment: Comment, token: str, body: str, policy: DiscussionSettings) -> Comment:
    """The author changes their comment within the edit window. The new text passes the same
    rules as a new comment; if it would now be held, it is held."""
    if not _token_matches(comment=comment, token=token, policy=policy) or comment.status in {
        Comment.Status.SPAM,
        Comment.Status.TRASH,
    }:
        raise NotAllowed({"__all__": _("This comment can no longer be edited.")})
    rendered = _check_body(body, policy)
    candidate = spam.Candidate.of_comment(
        comment,
        body=rendered.source,
        link_count=rendered.link_count,
        blocked_words=tuple(policy.blocked_word_list),
    )
    verdict = spam.check(candidate)
    new_status, reasons = _decide_status(
        rendered=rendered, verdict=verdict, commenter=comment.commenter, policy=policy
    )
    # An edit never promotes a held comment: only a moderator does that.
    if comment.status == Comment.Status.PENDING and new_status == Comment.Status.APPROVED:
        new_status = Comment.Status.PENDING
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        old_status = locked.status
        locked.body = rendered.source
        locked.body_html = rendered.html
        locked.content_hash = content_hash(rendered.source)
        locked.edited_at = timezone.now()
        locked.status = new_status
        if new_status != Comment.Status.APPROVED:
            locked.moderation_reasons = reasons
        locked.save(
            update_fields=[
                "body",
                "body_html",
                "content_hash",
                "edited_at",
                "status",
                "moderation_reasons",
            ]
        )
        if old_status != new_status:
            _count(locked, old_status=old_status, new_status=new_status, now=locked.edited_at)
        elif new_status == Comment.Status.APPROVED:
            page_invalidation.comment_changed(locked)
    return locked


def delete_own_comment(*, comment: Comment, token: str, policy: DiscussionSettings) -> Comment:
    if not _token_matches(comment=comment, token=token, policy=policy):
        raise NotAllowed({"__all__": _("This comment can no longer be deleted.")})
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        old_status = locked.status
        locked.status = Comment.Status.TRASH
        locked.removed_by_author = True
        locked.save(update_fields=["status", "removed_by_author"])
        if old_status != Comment.Status.TRASH:
            _count(
                locked, old_status=old_status, new_status=Comment.Status.TRASH, now=timezone.now()
            )
    return locked


# Moderation -------------------------------------------------------------------------------


def set_status(*, comments: Iterable[Comment], status: str, moderator: User | None) -> int:
    """Approve, hold, mark as spam or trash comments. Marking spam as not-spam (or the reverse)
    is reported to the spam checkers by the background worker."""
    if status not in Comment.Status.values:
        raise ValueError(f"unknown status {status!r}")
    now = timezone.now()
    changed = 0
    reports: list[tuple[str, int]] = []
    with transaction.atomic():
        ids = [c.pk for c in comments]
        for comment in Comment.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            old_status = comment.status
            if old_status == status:
                continue
            comment.status = status
            comment.moderated_at = now
            comment.moderated_by = moderator if moderator is not None and moderator.pk else None
            comment.save(update_fields=["status", "moderated_at", "moderated_by"])
            _count(comment, old_status=old_status, new_status=status, now=now)
            if status == Comment.Status.APPROVED:
                # Followers hear of a held comment when it is approved, once, in this transaction.
                notifications.comment_approved(comment=comment)
            changed += 1
            if status == Comment.Status.SPAM:
                reports.append(("spam", comment.pk))
            elif old_status == Comment.Status.SPAM and status == Comment.Status.APPROVED:
                reports.append(("ham", comment.pk))
        if reports:
            # Enqueued inside the transaction: the database task backend writes the task row
            # with the status change, so a crash cannot lose the report (on_commit could).
            for kind, pk in reports:
                tasks.report_to_spam_checkers.enqueue(pk, kind)
    return changed


# Reports ------------------------------------------------------------------------------------

REPORTS_PER_IP_PER_HOUR = 20
REPORTS_PER_COMMENT_PER_HOUR = 50


def _identity_key(*, commenter: Commenter | None, guest_token: str) -> str:
    """A reader as a one-way key when they can be told apart from others: a commenting
    identity, else the guest a browser token proves; '' when neither."""
    if commenter is not None:
        return f"c:{commenter.pk}"
    payload = _guest_token_payload(guest_token)
    return f"g:{payload['c']}" if payload is not None else ""


def _token_guest(guest_token: str) -> int | None:
    """The guest commenter a browser token proves, if the row still exists."""
    payload = _guest_token_payload(guest_token)
    if payload is None:
        return None
    return Commenter.objects.filter(pk=payload["c"]).values_list("pk", flat=True).first()


def _reporter_key(*, commenter: Commenter | None, guest_token: str, ip_address: str) -> str:
    """Who is reporting, one-way: an identity or guest, else a keyed hash of the IP address
    (so one reader counts once, and the row names nobody)."""
    known = _identity_key(commenter=commenter, guest_token=guest_token)
    if known:
        return known
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|report|{ip_address}".encode()).hexdigest()
    return f"ip:{digest[:56]}"


def report_comment(
    *,
    comment_id: int,
    reason: str,
    note: str,
    commenter: Commenter | None,
    guest_token: str,
    ip_address: str,
    policy: DiscussionSettings,
) -> None:
    """A reader reports a shown comment. Counted once per reader; when open reports from
    ``policy.reports_to_hold`` different readers are reached the comment waits for a
    moderator, who is told as for any held comment. The reader learns nothing about other
    reports: a second report by the same reader is accepted and changes nothing."""
    if reason not in Report.Reason.values:
        raise CommentError({"reason": _("Choose why you are reporting this comment.")})
    note = text.visible(note or "").strip()
    if len(note) > Report._meta.get_field("note").max_length:  # type: ignore[operator]
        raise CommentError({"note": _("Please keep the note under 500 characters.")})
    comment = Comment.objects.approved().filter(pk=comment_id).first()
    if comment is None:
        raise NotFound({"__all__": _("This comment is not shown, so it cannot be reported.")})
    limited = _("You have sent many reports. Please wait a while and try again.")
    ratelimits.check_all(
        scope="report-ip", keys=[f"ip:{ip_address}"], limit=REPORTS_PER_IP_PER_HOUR,
        window=3600, message=limited,
    )  # fmt: skip
    ratelimits.check_all(
        scope="report-comment", keys=[f"comment:{comment.pk}"],
        limit=REPORTS_PER_COMMENT_PER_HOUR, window=3600, message=limited,
    )  # fmt: skip
    key = _reporter_key(commenter=commenter, guest_token=guest_token, ip_address=ip_address)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Report.objects.create(
                    comment=comment, reason=reason, note=note, reporter_key=key,
                    # The guest a browser token proves is a reporter too: their data export
                    # (by address) lists the reports they made.
                    reporter_id=(
                        commenter.pk if commenter is not None else _token_guest(guest_token)
                    ),
                )  # fmt: skip
        except IntegrityError:
            return  # already reported by this reader: nothing changes
        open_reports = Report.objects.filter(comment=comment, dismissed_at=None).count()
        if open_reports < policy.reports_to_hold:
            return
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.status != Comment.Status.APPROVED:
            return
        locked.moderation_reasons = [
            *locked.moderation_reasons,
            held_because("reported", count=open_reports),
        ]
        locked.save(update_fields=["moderation_reasons"])
        set_status(comments=[locked], status=Comment.Status.PENDING, moderator=None)
        locked.status = Comment.Status.PENDING
        notifications.comment_held(comment=locked)


# Reactions ----------------------------------------------------------------------------------

READER_TOKEN_SALT = "dateline.discussion.reader"  # noqa: S105 - a signing salt, not a secret
READER_TOKEN_MAX_AGE = GUEST_TOKEN_MAX_AGE
REACTIONS_PER_IP_PER_HOUR = 120


def new_reader_token() -> str:
    """A browser's own signed id, for readers with no identity and no guest token: it lets
    them mark comments as useful once each, and says nothing about them."""
    return signing.dumps(secrets.token_urlsafe(12), salt=READER_TOKEN_SALT)


def _reader_id(token: str) -> str:
    try:
        value = signing.loads(token, salt=READER_TOKEN_SALT, max_age=READER_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return ""
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Marked:
    useful_count: int
    counted: bool  # False: this reader had already marked it
    reader_token: str  # a new token for the browser to keep, or ''


def mark_useful(
    *,
    comment_id: int,
    commenter: Commenter | None,
    guest_token: str,
    reader_token: str,
    ip_address: str,
) -> Marked:
    """A reader marks a shown comment as useful: once per reader (identity, guest token, else
    the browser's reader token, issued here when it has none), never by its own author. The
    count is kept on the comment and the thread's pages are invalidated with it, so cached
    pages show it at once."""
    comment = Comment.objects.approved().filter(pk=comment_id).first()
    if comment is None:
        raise NotFound({"__all__": _("This comment is not shown any more.")})
    key = _identity_key(commenter=commenter, guest_token=guest_token)
    if key in (f"c:{comment.commenter_id}", f"g:{comment.commenter_id}"):
        raise NotAllowed({"__all__": _("You cannot mark your own comment as useful.")})
    issued = ""
    if not key:
        reader = _reader_id(reader_token)
        if not reader:
            issued = new_reader_token()
            reader = _reader_id(issued)
        key = f"r:{reader}"
    ratelimits.check_all(
        scope="reaction-ip", keys=[f"ip:{ip_address}"], limit=REACTIONS_PER_IP_PER_HOUR,
        window=3600,
        message=_("You have marked many comments. Please wait a while and try again."),
    )  # fmt: skip
    with transaction.atomic():
        try:
            with transaction.atomic():
                Reaction.objects.create(comment=comment, reader_key=key)
        except IntegrityError:
            return Marked(comment.useful_count, counted=False, reader_token=issued)
        Comment.objects.filter(pk=comment.pk).update(useful_count=F("useful_count") + 1)
        page_invalidation.comment_changed(comment)
    return Marked(comment.useful_count + 1, counted=True, reader_token=issued)


def dismiss_reports(*, comments: Iterable[int]) -> int:
    """A moderator has looked: the open reports on these comments no longer count."""
    return Report.objects.filter(comment_id__in=list(comments), dismissed_at=None).update(
        dismissed_at=timezone.now()
    )


# What is left of a comment whose row must stay (it has replies) once its content is gone.
_SCRUBBED: dict[str, object] = {
    "author_name": "",
    "author_website": "",
    "body": "",
    "body_html": "",
    "ip_address": None,
    "user_agent": "",
    "content_hash": "",
}
FORGETTABLE = (Comment.Status.SPAM, Comment.Status.TRASH)


def delete_permanently(*, comments: Iterable[Comment] | Iterable[int]) -> tuple[int, int]:
    """Delete spam and trashed comments for good (a moderator's choice, or the retention
    chore's). Only comments in spam or the trash: anything else must be moved there first. A
    comment that has replies keeps its row, emptied of everything the reader wrote and of
    where it came from, so the replies keep their place. Returns (deleted, emptied)."""
    ids = [c.pk if isinstance(c, Comment) else int(c) for c in comments]
    with transaction.atomic():
        chosen = Comment.objects.filter(pk__in=ids, status__in=FORGETTABLE)
        with_replies = set(
            chosen.filter(replies__isnull=False).values_list("pk", flat=True).distinct()
        )
        doomed = list(chosen.exclude(pk__in=with_replies).values_list("pk", flat=True))
        Comment.objects.filter(pk__in=with_replies).update(**_SCRUBBED)
        # Digest items about them go too (their foreign key cascades).
        Comment.objects.filter(pk__in=doomed).delete()
    return len(doomed), len(with_replies)


def edit_by_moderator(
    *, comment: Comment, body: str, policy: DiscussionSettings, moderator: User | None
) -> Comment:
    rendered = _check_body(body, policy)
    comment.body = rendered.source
    comment.body_html = rendered.html
    comment.content_hash = content_hash(rendered.source)
    comment.moderated_at = timezone.now()
    comment.moderated_by = moderator if moderator is not None and moderator.pk else None
    comment.save(
        update_fields=["body", "body_html", "content_hash", "moderated_at", "moderated_by"]
    )
    if comment.status == Comment.Status.APPROVED:
        page_invalidation.comment_changed(comment)
    return comment


# Archives -----------------------------------------------------------------------------------

# An archive's comments were accepted elsewhere, under that site's rules: a long one is kept
# whole, within a bound that still keeps the Markdown renderer's work small.
MAX_ARCHIVED_LENGTH = 100_000


@dataclass(frozen=True)
class ArchivedComment:
    """A comment from another system's archive (a WordPress or Disqus export), kept as it
    was: its author, time, status and address. ``key`` is its id in that system, which
    ``parent_key`` refers to; ``body`` is Markdown source, as readers write here."""

    key: str
    name: str
    body: str
    status: str
    created_at: datetime.datetime
    parent_key: str = ""
    email: str = ""
    website: str = ""
    ip_address: str = ""
    user_agent: str = ""


@dataclass
class ArchiveResult:
    """What ``import_comments`` did: the comments by key (new and already known), and why any
    comment was not stored or was stored differently (key → message)."""

    created: dict[str, Comment] = field(default_factory=dict)
    updated: dict[str, Comment] = field(default_factory=dict)
    unchanged: dict[str, Comment] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def _archived_commenter_key(item: ArchivedComment, source: str) -> tuple[str, str]:
    """``(provider, subject)`` of an archived comment's commenter: a guest by the email typed,
    as for every guest here, so the same person becomes one commenter across the archive and
    after it; without an email, one commenter per name within the archive's source."""
    email = item.email.strip()
    if email:
        try:
            EmailValidator()(email)
            return "guest", normalise_email(email)
        except ValidationError:
            pass
    return "archive", f"{source}:{' '.join(item.name.casefold().split())}"[:255]


def _archived_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _archived_website(value: str) -> str:
    website = value.strip()
    try:
        URLValidator(schemes=["http", "https"])(website)
    except ValidationError:
        return ""
    return website if len(website) <= MAX_WEBSITE_LENGTH else ""


@transaction.atomic
def import_comments(
    *,
    target: targets.Target,
    comments: Iterable[ArchivedComment],
    known: dict[str, Comment] | None = None,
    source: str,
    policy: DiscussionSettings,
) -> ArchiveResult:
    """Bring an archive's comments under ``target``, in one transaction: the one write every
    importer calls (WordPress, Disqus). ``known``: the comments earlier imports made, by key,
    which are updated when the archive's status or text changed, and which new replies may
    answer.

    What differs from ``post_comment``, and why: the comments were accepted (or refused)
    elsewhere long ago, so their status is kept, not decided again, and nobody is emailed or
    checked for floods or spam. What is the same: the text goes through the same limits,
    Markdown subset and sanitiser; a guest is the same commenter by the same email; a reply
    deeper than the site's limit hangs at the deepest level (never lost); counters move in the
    same transaction. A comment whose text cannot be stored, or whose status is unknown, is
    refused with the reason."""
    known = dict(known or {})
    result = ArchiveResult()
    new: list[tuple[ArchivedComment, text.RenderedComment]] = []
    for item in comments:
        if item.status not in Comment.Status.values:
            result.refused[item.key] = _("unknown status %(status)s") % {"status": item.status}
            continue
        try:
            source_text = text.check_and_normalise(
                item.body, max_length=MAX_ARCHIVED_LENGTH, field_label=_("The comment")
            )
        except text.TextError as error:
            result.refused[item.key] = str(error)
            continue
        if not source_text.strip():
            result.refused[item.key] = _("the comment is empty")
            continue
        rendered = text.render_comment(source_text)
        existing = known.get(item.key)
        if existing is None:
            new.append((item, rendered))
        elif _update_archived(existing, item, rendered):
            result.updated[item.key] = existing
        else:
            result.unchanged[item.key] = existing
    if not new and not result.updated:
        return result

    thread = ensure_thread(target)
    commenters = _archived_commenters([item for item, _r in new], source=source)
    # Parents before replies: a reply is written once its parent has an id. A reply whose
    # parent is not in the archive (deleted there) becomes a top-level comment.
    by_key = {item.key: (item, rendered) for item, rendered in new}
    placed: dict[str, Comment] = {k: c for k, c in known.items() if c.thread_id == thread.pk}
    waiting = list(by_key)
    max_depth = max(policy.max_depth, 1)
    while waiting:
        wave: list[tuple[ArchivedComment, text.RenderedComment, Comment | None]] = []
        later: list[str] = []
        for key in waiting:
            item, rendered = by_key[key]
            parent_key = item.parent_key if item.parent_key not in ("", "0", key) else ""
            if parent_key and parent_key not in placed:
                if parent_key in by_key and parent_key not in result.refused:
                    later.append(key)
                    continue
                result.notes[key] = _("its parent comment is not in the archive: shown on its own")
                parent_key = ""
            wave.append((item, rendered, placed[parent_key] if parent_key else None))
        if not wave:  # a cycle of parents: the rest stand on their own
            for key in later:
                item, rendered = by_key[key]
                result.notes[key] = _("its parent comment is not in the archive: shown on its own")
                wave.append((item, rendered, None))
            later = []
        rows = []
        for item, rendered, parent in wave:
            asked = parent
            while parent is not None and parent.depth >= max_depth - 1 and parent.parent_id:
                parent = parent.parent  # deeper than the site shows: at the deepest level
            if parent is not asked:
                result.notes[item.key] = _(
                    "deeper than the site's limit: kept at the deepest level"
                )
            rows.append(
                Comment(
                    thread=thread,
                    parent=parent,
                    root_id=(parent.root_id or parent.pk) if parent else None,
                    depth=parent.depth + 1 if parent else 0,
                    commenter=commenters[_archived_commenter_key(item, source)],
                    author_name=text.clean_name(item.name)[: text.MAX_NAME_LENGTH]
                    or _("Anonymous"),
                    author_website=_archived_website(item.website),
                    body=rendered.source,
                    body_html=rendered.html,
                    status=item.status,
                    created_at=item.created_at,
                    ip_address=_archived_ip(item.ip_address),
                    user_agent=item.user_agent[:255],
                    content_hash=content_hash(rendered.source),
                )
            )
        for (item, _r, _p), comment in zip(wave, Comment.objects.bulk_create(rows), strict=True):
            placed[item.key] = result.created[item.key] = comment
        waiting = later

    _recount_archive(
        thread, created=list(result.created.values()), updated=list(result.updated.values())
    )
    return result


def _update_archived(
    comment: Comment, item: ArchivedComment, rendered: text.RenderedComment
) -> bool:
    """Bring a comment an earlier import made up to a newer archive's status and text."""
    changes: dict[str, object] = {}
    if comment.status != item.status:
        changes["status"] = item.status
    if comment.body != rendered.source:
        changes.update(
            body=rendered.source,
            body_html=rendered.html,
            content_hash=content_hash(rendered.source),
        )
    if not changes:
        return False
    Comment.objects.filter(pk=comment.pk).update(**changes)
    for name, value in changes.items():
        setattr(comment, name, value)
    return True


def _archived_commenters(
    items: list[ArchivedComment], *, source: str
) -> dict[tuple[str, str], Commenter]:
    """The commenter of every archived comment, created once per person (the newest name
    and website the archive has for them); their approved counts are recounted afterwards."""
    wanted: dict[tuple[str, str], ArchivedComment] = {}
    for item in sorted(items, key=lambda i: i.created_at):
        wanted[_archived_commenter_key(item, source)] = item
    found: dict[tuple[str, str], Commenter] = {}
    by_provider: dict[str, list[str]] = {}
    for provider, subject in wanted:
        by_provider.setdefault(provider, []).append(subject)
    for provider, subjects in by_provider.items():
        for commenter in Commenter.objects.filter(provider=provider, subject__in=subjects):
            found[(provider, commenter.subject)] = commenter
    missing = [key for key in wanted if key not in found]
    if missing:
        Commenter.objects.bulk_create(
            [
                Commenter(
                    kind=Commenter.Kind.GUEST,
                    provider=provider,
                    subject=subject,
                    display_name=text.clean_name(wanted[(provider, subject)].name)[
                        : text.MAX_NAME_LENGTH
                    ]
                    or _("Anonymous"),
                    email=wanted[(provider, subject)].email.strip()[:MAX_EMAIL_LENGTH]
                    if provider == "guest"
                    else "",
                    website=_archived_website(wanted[(provider, subject)].website),
                    created_at=wanted[(provider, subject)].created_at,
                    last_seen_at=wanted[(provider, subject)].created_at,
                )
                for provider, subject in missing
            ],
            ignore_conflicts=True,  # a concurrent first comment under the same address
        )
        for provider in by_provider:
            for commenter in Commenter.objects.filter(
                provider=provider, subject__in=[s for p, s in missing if p == provider]
            ):
                found[(provider, commenter.subject)] = commenter
    return found


def _add_counts(model: type[Comment | Commenter], counter: str, added: Counter[int | None]) -> None:
    """Add ``added[pk]`` to ``model.counter`` of each row."""
    by_amount: dict[int, list[int]] = {}
    for pk, n in added.items():
        if pk is not None and n:
            by_amount.setdefault(n, []).append(pk)
    _write_counts(model, counter, by_amount, add=True)


def _write_counts(
    model: type[Comment | Commenter], counter: str, by_value: dict[int, list[int]], *, add: bool
) -> None:
    """Set (or ``add``) each value to its rows' counter: one UPDATE per distinct value, a
    handful, far cheaper to build and run than ``bulk_update``'s CASE over every row."""
    for value, pks in by_value.items():
        for start in range(0, len(pks), 500):
            model.objects.filter(pk__in=pks[start : start + 500]).update(
                **{counter: F(counter) + value if add else value}
            )


def _recount_shown[Counted: (Comment, Commenter)](
    model: type[Counted], counter: str, *, by: str, ids: set[int]
) -> None:
    """Set ``model.counter`` for the rows ``ids`` to the number of shown comments whose ``by``
    is that row: one grouped count, and an UPDATE only for the rows that were wrong."""
    counted = dict(
        Comment.objects.filter(shown_to_readers(), **{f"{by}__in": ids})
        .values(by)
        .annotate(n=Count("pk"))
        .values_list(by, "n")
    )
    stale: dict[int, list[int]] = {}
    for pk, value in model.objects.filter(pk__in=ids).values_list("pk", counter):
        if value != counted.get(pk, 0):
            stale.setdefault(counted.get(pk, 0), []).append(pk)
    _write_counts(model, counter, stale, add=False)


def _recount_archive(thread: Thread, *, created: list[Comment], updated: list[Comment]) -> None:
    """Counters after an archive's comments came in: the thread's, their top-level comments'
    and their commenters'. An import may add, approve and trash in one go, so what changed
    status is counted from the rows (adding up deltas would repeat ``_count`` for each); what
    is new only adds itself, which is exact and spares counting a commenter's whole history
    for every story of an archive. Only rows whose count changed are written."""
    shown = shown_to_readers()
    counts = Comment.objects.filter(thread=thread).aggregate(
        approved=Count("pk", filter=shown),
        pending=Count("pk", filter=Q(status=Comment.Status.PENDING)),
        last=Max("created_at", filter=shown),
    )
    Thread.objects.filter(pk=thread.pk).update(
        approved_count=counts["approved"],
        pending_count=counts["pending"],
        last_comment_at=counts["last"],
    )
    # A top-level comment created here has only replies created here (in this transaction).
    new_roots = {c.pk for c in created if c.root_id is None}
    _add_counts(
        Comment,
        "approved_reply_count",
        Counter(c.root_id for c in created if c.root_id in new_roots and c.is_visible),
    )
    _recount_shown(
        Comment,
        "approved_reply_count",
        by="root_id",
        ids={c.root_id or c.pk for c in updated}
        | ({c.root_id for c in created if c.root_id is not None} - new_roots),
    )
    recounted = {c.commenter_id for c in updated}
    _add_counts(
        Commenter,
        "approved_comment_count",
        Counter(
            c.commenter_id for c in created if c.is_visible and c.commenter_id not in recounted
        ),
    )
    _recount_shown(Commenter, "approved_comment_count", by="commenter_id", ids=recounted)
    touched = created + updated
    if touched:
        page_invalidation.comment_changed(touched[0])
