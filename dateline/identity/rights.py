"""A reader's rights over what the site stores about their email address, without an account
(docs/privacy.md): a guest types the address, gets a one-time link by email, and with it
downloads everything about the address as JSON or erases it. Editors do the same from the
admin (``admin_views.ReaderDataView``). Both call these functions.

"About the address" means the commenting identities keyed by it — guests who typed it and the
verified reader who confirmed it — and the subscriptions and outgoing mail of that address. A
sign-in provider's account is its provider's identity, not the address's: its owner manages
it signed in (*Your comments and data*), and nobody reaches it by typing an email.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dateline.addresses import normalise_email
from dateline.discussion.models import Comment, Commenter
from dateline.identity import actions
from dateline.identity.actions import LinkError
from dateline.identity.models import UsedEmailLink
from dateline.notifications import actions as notification_actions
from dateline.notifications.models import Subscription

DATA_LINK_SALT = "dateline.identity.data-link"
EXPORT_FORMAT = "dateline-address-export/1"


class BadAddress(ValueError):
    """Not an email address; the message says so to the reader."""


@dataclass(frozen=True)
class DataLink:
    link_id: str
    email: str


def clean_address(email: str) -> str:
    """The address as stored everywhere (normalised), or BadAddress."""
    address = normalise_email(email or "")
    try:
        validate_email(address)
    except ValidationError:
        raise BadAddress(_("Enter a valid email address.")) from None
    return address


def data_link_token(*, email: str, link_id: str) -> str:
    return signing.dumps({"i": link_id, "e": email}, salt=DATA_LINK_SALT, compress=True)


def read_data_link(*, token: str, max_age: datetime.timedelta) -> DataLink:
    """The link's address, or LinkError in words for the reader (expired, altered, used)."""
    try:
        payload = signing.loads(token, salt=DATA_LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError(_("This link has expired. Ask for a new one.")) from None
    except signing.BadSignature:
        raise LinkError(_("This link is not valid. Check that you copied all of it.")) from None
    if not isinstance(payload, dict) or not {"i", "e"} <= payload.keys():
        raise LinkError(_("This link is not valid. Check that you copied all of it."))
    link = DataLink(link_id=str(payload["i"]), email=str(payload["e"]))
    if UsedEmailLink.objects.filter(link_id=link.link_id).exists():
        raise LinkError(_("This link has already been used. Ask for a new one if you need to."))
    return link


def send_data_link(
    *,
    email: str,
    link_url_for: Callable[[str], str],
    site_name: str,
    ip_address: str,
    valid_hours: int,
) -> None:
    """Queue the link to ``email``, whether or not anything is stored about it: the answer
    must not tell a stranger which addresses comment here. Raises BadAddress, or
    ``ratelimits.RateLimited`` when the address or the IP has asked too often."""
    address = clean_address(email)
    actions.limit_links(
        scope="identity-data-link",
        address=address,
        ip_address=ip_address,
        ip_message=_("Too many links were requested. Please try again later."),
    )
    link_id = actions.new_link_id()
    token = data_link_token(email=address, link_id=link_id)
    actions.queue_link_email(
        recipient=address,
        event_key=f"data-link:{link_id}",
        template="identity/email/data_link",
        subject=gettext_lazy("Your data on %(site)s"),
        site_name=site_name,
        context={"link": link_url_for(token), "hours": valid_hours, "email": address},
    )


def commenters_for(email: str) -> QuerySet[Commenter]:
    """The commenting identities keyed by this address (guests and the verified reader)."""
    return Commenter.objects.filter(
        kind__in=[Commenter.Kind.GUEST, Commenter.Kind.VERIFIED_EMAIL],
        subject=normalise_email(email),
    ).order_by("pk")


def summary(email: str) -> dict[str, int]:
    """How much there is, for the link's page and the editors' tool."""
    commenters = commenters_for(email)
    return {
        "identities": commenters.count(),
        "comments": Comment.objects.filter(commenter__in=commenters).count(),
        "subscriptions": Subscription.objects.filter(
            subscriber__email=normalise_email(email)
        ).count(),
    }


def export_address(email: str, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Everything stored about the address, as its owner downloads it."""
    now = now or timezone.now()
    identities = []
    for commenter in commenters_for(email):
        exported = actions.export_commenter_data(commenter=commenter, now=now)
        identities.append({key: exported[key] for key in ("identity", "comments", "reports")})
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "address": normalise_email(email),
        "identities": identities,
        "subscriptions": notification_actions.subscriptions_of(email),
    }


def erase_address(email: str, *, mode: str, link_id: str = "") -> dict[str, int]:
    """Erase what is stored about the address: each identity as its owner deleting it would
    (``actions.delete_identity``: comments anonymised or removed as ``mode`` says, an
    identity under a ban keeps a bare row), subscriptions ended, mail records dropped. With
    ``link_id``, the link is used up in the same transaction (a second use, or a race, is a
    LinkError and erases nothing)."""
    with transaction.atomic():
        if link_id:
            try:
                with transaction.atomic():
                    UsedEmailLink.objects.create(link_id=link_id)
            except IntegrityError:
                raise LinkError(
                    _("This link has already been used. Ask for a new one if you need to.")
                ) from None
        comments = identities = 0
        for commenter in list(commenters_for(email)):
            comments += actions.delete_identity(commenter=commenter, mode=mode)
            identities += 1
        subscriptions = notification_actions.forget_address(email)
    return {"identities": identities, "comments": comments, "subscriptions": subscriptions}
