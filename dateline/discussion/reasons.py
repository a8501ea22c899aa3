"""Why a comment was held or marked as spam. Recorded with the comment
(``Comment.moderation_reasons``) as a code and its values, and put into words only when shown,
in the language of whoever reads them (the moderation queue, the editors' email), so an Arabic
newsroom's moderators read Arabic whatever the language the comment was posted in."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MESSAGES: dict[str, Promise] = {
    "honeypot": _("honeypot field filled in"),
    "too_fast": _("posted less than %(seconds)s seconds after the form was shown"),
    "many_links": _("%(count)s links"),
    "blocked_word": _("blocked word “%(word)s”"),
    "repeated": _("the same words repeated"),
    "spam_service": _("spam service says spam"),
    "moderation_word": _("contains “%(word)s”"),
    "over_link_limit": _("%(count)s links (more than %(limit)s)"),
    "suspicious": _("looks like spam"),
    "hold_all": _("every comment is held"),
    "first_comments": _("first comments are held until approved"),
    "imitates_staff": _("the name passes for “%(name)s”"),
    "reported": _("reported by %(count)s readers"),
}

Reason = dict[str, str | int]


def reason(code: str, **values: str | int) -> Reason:
    if code not in MESSAGES:
        raise ValueError(f"unknown moderation reason {code!r}")
    return {"code": code, **values}


def describe(item: object) -> str:
    """One recorded reason in words. Plain text (recorded before reasons had codes, or given
    by a site's own spam checker) is shown as it is."""
    if isinstance(item, dict):
        message = MESSAGES.get(str(item.get("code")))
        if message is not None:
            values = {key: value for key, value in item.items() if key != "code"}
            try:
                return str(message) % values
            except (KeyError, TypeError, ValueError):
                return str(item.get("code"))
    return str(item)


def describe_all(items: Iterable[object]) -> list[str]:
    return [describe(item) for item in items]
