"""Writes for reader identities: signing in and out, verified-email links, export and
deletion. A commenting identity is a ``Commenter`` row keyed by (provider, subject) — never by
email alone — kept in the session; readers never get a Django user, so nothing here can reach
the admin."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dateline import ratelimits
from dateline.addresses import normalise_email
from dateline.discussion import actions as discussion_actions
from dateline.discussion import avatars
from dateline.discussion import invalidation as discussion_invalidation
from dateline.discussion import tasks as discussion_tasks
from dateline.discussion.models import Ban, Comment, Commenter
from dateline.identity import selectors, session
from dateline.identity.models import LONGEST_LINK_HOURS, IdentitySettings, UsedEmailLink
from dateline.identity.profiles import ProviderProfile, clean_display_name
from dateline.notifications import actions as notification_actions
from dateline.notifications import emails
from dateline.notifications.models import OutboundMessage

EMAIL_LINK_SALT = "dateline.identity.email-link"
EMAIL_PROVIDER = "email"
TOMBSTONE_PROVIDER = "deleted"
TOMBSTONE_SUBJECT = "former-reader"
# Per address and per IP address: enough to retry a mistyped address, too few to turn the
# form into a way of mailing strangers.
EMAIL_LINKS_PER_HOUR = 3
EMAIL_LINKS_PER_IP_PER_HOUR = 10


class LinkError(Exception):
    """An email confirmation link cannot be used; ``message`` says why, for the reader."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Signing in and out -----------------------------------------------------------------------


def commenter_for_provider(
    *, profile: ProviderProfile, now: datetime.datetime | None = None
) -> Commenter:
    """The commenter for this provider account, created on first sign-in and refreshed from
    the provider on every later one. Matched on (provider, subject) only: an address that
    also belongs to a guest or to another provider's account links nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        commenter, created = Commenter.objects.select_for_update().get_or_create(
            provider=profile.provider,
            subject=profile.subject,
            defaults={
                "kind": Commenter.Kind.PROVIDER,
                "display_name": profile.display_name,
                "email": profile.email,
                "email_verified": profile.email_verified,
                "avatar_url": profile.avatar_url,
                "website": profile.website,
                "created_at": now,
                "last_seen_at": now,
            },
        )
        picture_changed = created or commenter.avatar_url != profile.avatar_url
        if not created:
            commenter.display_name = profile.display_name
            commenter.email = profile.email
            commenter.email_verified = profile.email_verified
            commenter.avatar_url = profile.avatar_url
            commenter.website = profile.website
            commenter.last_seen_at = now
            commenter.save(
                update_fields=[
                    "display_name",
                    "email",
                    "email_verified",
                    "avatar_url",
                    "website",
                    "last_seen_at",
                ]
            )
        if picture_changed and commenter.avatar_url:
            # Fetched by the worker, once: pages never link to the provider's picture.
            # Enqueued in this transaction, so the task row is written with the commenter's.
            discussion_tasks.store_avatar.enqueue(commenter.pk)
        elif picture_changed and commenter.avatar_image:
            avatars.forget(commenter)
            Commenter.objects.filter(pk=commenter.pk).update(avatar_image="")
    return commenter


def sign_in_commenter(*, request: HttpRequest, commenter: Commenter) -> None:
    # A new session key on every change of identity, so a session id planted before sign-in
    # (session fixation) is worthless afterwards.
    request.session.cycle_key()
    request.session[session.COMMENTER_KEY] = commenter.pk
    session.clear_pending(request)
    selectors.COMMENTER.clear(request)


def sign_out_commenter(request: HttpRequest) -> None:
    """End the commenting identity. Only our keys go: an editor signed in to the admin in the
    same browser stays signed in there."""
    if not session.has_session(request):
        return
    request.session.pop(session.COMMENTER_KEY, None)
    session.clear_pending(request)
    request.session.cycle_key()
    selectors.COMMENTER.clear(request)


# Verified guests --------------------------------------------------------------------------


def new_link_id() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class EmailLink:
    link_id: str
    email: str
    name: str
    website: str
    next_path: str


def email_link_token(
    *, email: str, name: str, website: str, next_path: str, link_id: str | None = None
) -> str:
    payload = {
        "i": link_id or new_link_id(),
        "e": email,
        "n": name,
        "w": website,
        "p": next_path,
    }
    return signing.dumps(payload, salt=EMAIL_LINK_SALT, compress=True)


def read_email_link(*, token: str, max_age: datetime.timedelta) -> EmailLink:
    """Check the signature, the expiry and that the link has not been used, without using it."""
    try:
        payload = signing.loads(token, salt=EMAIL_LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError(
            _("This link has expired. Ask for a new one from the comment form.")
        ) from None
    except signing.BadSignature:
        raise LinkError(_("This link is not valid. Check that you copied all of it.")) from None
    if not isinstance(payload, dict) or not all(k in payload for k in "ienwp"):
        raise LinkError(_("This link is not valid. Check that you copied all of it."))
    link = EmailLink(
        link_id=str(payload["i"]),
        email=str(payload["e"]),
        name=str(payload["n"]),
        website=str(payload["w"]),
        next_path=str(payload["p"]),
    )
    if UsedEmailLink.objects.filter(link_id=link.link_id).exists():
        raise LinkError(_("This link has already been used. Ask for a new one if you need to."))
    return link


def limit_links(*, scope: str, address: str, ip_address: str, ip_message: str) -> None:
    """At most EMAIL_LINKS_PER_HOUR links an hour to one address and
    EMAIL_LINKS_PER_IP_PER_HOUR from one IP address; ``ratelimits.RateLimited`` past them."""
    ratelimits.check_all(
        scope=scope,
        keys=[f"email:{address}"],
        limit=EMAIL_LINKS_PER_HOUR,
        window=3600,
        message=_("We have already sent you several links. Please wait a while and try again."),
    )
    if ip_address:
        ratelimits.check_all(
            scope=f"{scope}-ip",
            keys=[f"ip:{ip_address}"],
            limit=EMAIL_LINKS_PER_IP_PER_HOUR,
            window=3600,
            message=ip_message,
        )


def send_email_link(
    *,
    email: str,
    name: str,
    website: str,
    next_path: str,
    confirm_url_for: Callable[[str], str],
    site_name: str,
    ip_address: str,
    valid_hours: int,
) -> OutboundMessage:
    """Queue a one-time link that confirms ``email``; the worker sends it. ``confirm_url_for
    (token)`` makes the absolute link. Raises ``discussion.actions.CommentError`` for bad
    details and ``ratelimits.RateLimited`` when the address or the IP has asked too often.

    The link goes through the notifications outbox rather than straight to the mail server:
    the reader's request never waits on SMTP, a mail server that is down cannot turn it into
    an error page, and the message is retried until it leaves (or is listed in the admin as
    failed) instead of being lost with the request."""
    details = discussion_actions.clean_guest(
        discussion_actions.Guest(name=name, email=email, website=website)
    )
    limit_links(
        scope="identity-email-link",
        address=normalise_email(details.email),
        ip_address=ip_address,
        ip_message=_("Too many confirmation emails were requested. Please try again later."),
    )
    link_id = new_link_id()
    token = email_link_token(
        email=details.email,
        name=details.name,
        website=details.website,
        next_path=next_path,
        link_id=link_id,
    )
    return queue_link_email(
        recipient=details.email,
        event_key=f"email-link:{link_id}",
        template="identity/email/email_link",
        subject=gettext_lazy("Confirm your email address to comment on %(site)s"),
        site_name=site_name,
        context={"name": details.name, "link": confirm_url_for(token), "hours": valid_hours},
    )


def queue_link_email(
    *,
    recipient: str,
    event_key: str,
    template: str,
    subject: Promise,
    site_name: str,
    context: dict[str, Any],
) -> OutboundMessage:
    """Queue a message carrying a one-time link (confirming an address, a reader's data).
    ``event_key`` names the link, so a retried request queues no second copy; the subject
    (with ``%(site)s``) is in the site's language; it goes before any digest, since someone
    is waiting for it; as an EMAIL_LINK its body is forgotten once it is settled."""
    brand = emails.Brand(site_name=site_name, base_url=settings.BASE_URL)
    with translation.override(settings.LANGUAGE_CODE):
        subject_text = str(subject) % {"site": site_name}
    message = emails.build_transactional(
        brand=brand,
        recipient=recipient,
        event_key=event_key,
        category=OutboundMessage.Category.EMAIL_LINK,
        template=template,
        subject=subject_text,
        context=context,
        priority=1,
    )
    message.save()
    return message


def use_email_link(
    *, token: str, max_age: datetime.timedelta, now: datetime.datetime | None = None
) -> tuple[Commenter, EmailLink]:
    """Use a confirmation link: the verified-email commenter for its address. The used-link
    row and the commenter are written together; a second use, even a racing one, fails."""
    link = read_email_link(token=token, max_age=max_age)
    now = now or timezone.now()
    subject = normalise_email(link.email)
    try:
        with transaction.atomic():
            UsedEmailLink.objects.create(link_id=link.link_id, used_at=now)
            commenter, created = Commenter.objects.select_for_update().get_or_create(
                provider=EMAIL_PROVIDER,
                subject=subject,
                defaults={
                    "kind": Commenter.Kind.VERIFIED_EMAIL,
                    "display_name": clean_display_name(link.name, fallback=subject),
                    "email": link.email,
                    "email_verified": True,
                    "website": link.website,
                    "created_at": now,
                    "last_seen_at": now,
                },
            )
            if not created:
                commenter.display_name = clean_display_name(
                    link.name, fallback=commenter.display_name
                )
                commenter.website = link.website
                commenter.email_verified = True
                commenter.last_seen_at = now
                commenter.save(
                    update_fields=["display_name", "website", "email_verified", "last_seen_at"]
                )
    except IntegrityError:
        raise LinkError(
            _("This link has already been used. Ask for a new one if you need to.")
        ) from None
    return commenter, link


# The commenter's own data -----------------------------------------------------------------


def export_commenter_data(
    *, commenter: Commenter, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Everything stored about this commenting identity and nothing about anyone else."""
    now = now or timezone.now()
    comments = (
        Comment.objects.filter(commenter=commenter)
        .select_related("thread")
        .order_by("created_at", "pk")
    )
    return {
        "format": "dateline-commenter-export/1",
        "exported_at": now.isoformat(),
        "identity": {
            "kind": commenter.kind,
            "provider": commenter.provider,
            "subject": commenter.subject,
            "name": commenter.display_name,
            "email": commenter.email,
            "email_verified": commenter.email_verified,
            "website": commenter.website,
            "avatar": commenter.avatar_url,
            "avatar_stored": avatars.stored_url(commenter.avatar_image),
            "approved_comments": commenter.approved_comment_count,
            "first_seen": commenter.created_at.isoformat(),
            "last_seen": commenter.last_seen_at.isoformat(),
        },
        "comments": [
            {
                "id": comment.pk,
                "page": comment.thread.url,
                "page_title": comment.thread.title,
                "link": f"{comment.thread.url}#{comment.anchor}" if comment.thread.url else "",
                "in_reply_to": comment.parent_id,
                "name_shown": comment.author_name,
                "website": comment.author_website,
                "comment": comment.body,
                "status": comment.status,
                "posted": comment.created_at.isoformat(),
                "edited": comment.edited_at.isoformat() if comment.edited_at else None,
                "deleted_by_you": comment.removed_by_author,
                "ip_address": comment.ip_address,
                "browser": comment.user_agent,
            }
            for comment in comments
        ],
        # Reports this identity made (why and when; the comment's page).
        "reports": [
            {
                "comment": report.comment_id,
                "page": report.comment.thread.url,
                "reason": report.reason,
                "note": report.note,
                "reported": report.created_at.isoformat(),
            }
            for report in commenter.reports_made.select_related("comment__thread").order_by("pk")
        ],
        # The address's subscriptions, when the address is proven to be this identity's.
        "subscriptions": (
            notification_actions.subscriptions_of(commenter.email)
            if commenter.email and commenter.email_verified
            else []
        ),
    }


def _tombstone() -> Commenter:
    tombstone, _created = Commenter.objects.get_or_create(
        provider=TOMBSTONE_PROVIDER,
        subject=TOMBSTONE_SUBJECT,
        defaults={"kind": Commenter.Kind.GUEST, "display_name": _("Former reader")},
    )
    return tombstone


def delete_identity(*, commenter: Commenter, mode: str) -> int:
    """Delete a commenting identity at its owner's request; returns how many comments it had.

    Its comments move to a shared "Former reader" tombstone, so they no longer point to the
    person: anonymised (text kept; name, website, IP address and browser removed) or removed
    (text removed too, the comment trashed; replies by others keep their place). An identity
    under an active ban keeps its bare (provider, subject) row with everything else wiped, so
    deleting it is not a way round the ban."""
    if mode not in IdentitySettings.DeletedComments.values:
        raise ValueError(f"unknown deletion mode {mode!r}")
    former = _("Former reader")
    with transaction.atomic():
        locked = Commenter.objects.select_for_update().get(pk=commenter.pk)
        ids = list(Comment.objects.filter(commenter=locked).values_list("pk", flat=True))
        if mode == IdentitySettings.DeletedComments.REMOVE:
            discussion_actions.set_status(
                comments=Comment.objects.filter(pk__in=ids).exclude(status=Comment.Status.TRASH),
                status=Comment.Status.TRASH,
                moderator=None,
            )
            Comment.objects.filter(pk__in=ids).update(
                body="", body_html="", content_hash="", removed_by_author=True
            )
        tombstone = _tombstone()
        approved = Comment.objects.filter(pk__in=ids).approved().count()
        Comment.objects.filter(pk__in=ids).update(
            commenter=tombstone,
            author_name=former,
            author_website="",
            ip_address=None,
            user_agent="",
        )
        if approved:
            Commenter.objects.filter(pk=tombstone.pk).update(
                approved_comment_count=F("approved_comment_count") + approved
            )
        # A subscription asked for from one of these comments must not keep hearing of
        # replies to it: that would tie the address to comments that no longer point to it.
        notification_actions.comments_disowned(comment_ids=ids)
        if locked.email and locked.email_verified:
            # The address is proven this identity's: its subscriptions end with it.
            notification_actions.forget_address(locked.email)
        # The name and website just left every page these comments are on, cached or not.
        discussion_invalidation.comments_changed(ids)
        now = timezone.now()
        banned = (
            Ban.objects.filter(commenter=locked)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .exists()
        )
        avatars.forget(locked)
        if banned:
            locked.avatar_image = ""
            locked.display_name = former
            locked.email = ""
            locked.email_verified = False
            locked.website = ""
            locked.avatar_url = ""
            locked.approved_comment_count = 0
            locked.save(
                update_fields=[
                    "display_name",
                    "email",
                    "email_verified",
                    "website",
                    "avatar_url",
                    "avatar_image",
                    "approved_comment_count",
                ]
            )
        else:
            locked.delete()
    return len(ids)


def forget_used_links(*, now: datetime.datetime | None = None) -> int:
    """Drop the single-use records of links that have expired anyway, whatever the site's
    link lifetime (hourly, by the worker): nothing needs them to refuse a second use."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=LONGEST_LINK_HOURS + 1)
    deleted, _by_model = UsedEmailLink.objects.filter(used_at__lt=cutoff).delete()
    return deleted
