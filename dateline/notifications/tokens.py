"""Signed links in emails. Each kind has its own salt, so a manage link cannot be replayed as
a confirmation. Tokens carry a short hash of the address as well as the subscriber's id, so a
link only ever acts on the address it was sent to."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core import signing

from dateline.notifications.models import Subscriber

CONFIRM_SALT = "dateline.notifications.confirm"
MANAGE_SALT = "dateline.notifications.manage"
UNSUBSCRIBE_SALT = "dateline.notifications.unsubscribe"
# Long enough for someone who reads their mail once a weekend; short enough that an old
# confirmation link in a leaked mailbox is useless.
CONFIRM_MAX_AGE = datetime.timedelta(days=3)


class InvalidToken(Exception):
    pass


class ExpiredToken(InvalidToken):
    pass


def _address_hash(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class TokenScope:
    subscriber: Subscriber
    subscription_ids: list[int] = field(default_factory=list)
    moderation: bool = False
    everything: bool = False
    # Confirmation links only: who asked. ``names_asker`` is False for links signed before
    # links carried it, which then leave the subscription's identity as it was.
    names_asker: bool = False
    commenter_id: int | None = None
    # The comment the request was made from (the comment form), if any.
    comment_id: int | None = None


def _dump(salt: str, subscriber: Subscriber, **extra: object) -> str:
    return signing.dumps(
        {"s": subscriber.pk, "h": _address_hash(subscriber.email), **extra},
        salt=salt,
        compress=True,
    )


def _load(
    token: str, salt: str, max_age: datetime.timedelta | None = None
) -> tuple[Subscriber, dict[str, Any]]:
    if len(token) > 1000:
        raise InvalidToken
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise ExpiredToken from None
    except signing.BadSignature:
        raise InvalidToken from None
    if not isinstance(data, dict):
        raise InvalidToken
    pk = data.get("s")
    if not isinstance(pk, int):
        raise InvalidToken
    subscriber = Subscriber.objects.filter(pk=pk).first()
    if subscriber is None or _address_hash(subscriber.email) != data.get("h"):
        raise InvalidToken
    return subscriber, data


def _ids(data: dict[str, Any]) -> list[int]:
    raw = data.get("u", [])
    if not isinstance(raw, list) or not all(isinstance(i, int) for i in raw):
        raise InvalidToken
    return raw


def confirm_token(
    *,
    subscriber: Subscriber,
    subscription_ids: Sequence[int],
    commenter_id: int | None = None,
    comment_id: int | None = None,
) -> str:
    """``commenter_id`` is the commenting identity that asked (None: nobody signed in), and
    ``comment_id`` the comment it asked from. Both are signed into the link, because whoever
    asks first for an address must not decide whose comments its owner hears about: they are
    those of the request whose link the owner follows."""
    extra: dict[str, object] = {"c": commenter_id}
    if comment_id is not None:
        extra["m"] = comment_id
    return _dump(CONFIRM_SALT, subscriber, u=sorted(subscription_ids), **extra)


def _optional_id(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidToken
    return value


def read_confirm_token(token: str) -> TokenScope:
    subscriber, data = _load(token, CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    return TokenScope(
        subscriber=subscriber,
        subscription_ids=_ids(data),
        names_asker="c" in data,
        commenter_id=_optional_id(data, "c"),
        comment_id=_optional_id(data, "m"),
    )


def manage_token(*, subscriber: Subscriber) -> str:
    # No expiry: the link in a months-old email must still let its reader stop the emails.
    return _dump(MANAGE_SALT, subscriber)


def read_manage_token(token: str) -> Subscriber:
    return _load(token, MANAGE_SALT)[0]


def unsubscribe_token(
    *, subscriber: Subscriber, subscription_ids: Sequence[int] = (), moderation: bool = False
) -> str:
    """What one message's one-click unsubscribe stops: the subscriptions that caused it, or
    the editors' moderation notices."""
    if moderation:
        return _dump(UNSUBSCRIBE_SALT, subscriber, m=1)
    if not subscription_ids:
        return _dump(UNSUBSCRIBE_SALT, subscriber, a=1)
    return _dump(UNSUBSCRIBE_SALT, subscriber, u=sorted(subscription_ids))


def read_unsubscribe_token(token: str) -> TokenScope:
    subscriber, data = _load(token, UNSUBSCRIBE_SALT)
    return TokenScope(
        subscriber=subscriber,
        subscription_ids=_ids(data),
        moderation=data.get("m") == 1,
        everything=data.get("a") == 1,
    )
