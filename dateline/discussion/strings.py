"""The discussion's reader-facing words, in one catalogue: the page's markup, the page's script
(``discussion.js``), the embed (``embed.js``) and the JSON answers all take them from here, so
"Your comment is awaiting moderation." is written, and translated, once.

Lazy: each is translated into the language active where it is used. Keys are the names the
scripts read them by."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

WORDS: dict[str, Promise] = {
    "heading": _("Leave a Reply"),
    # %(name)s: the commenter being replied to (the page; <bdi> is put around it there).
    "replyTitle": _("Leave a Reply to %(name)s"),
    # %s: the same, for the embed's script.
    "replyTo": _("Leave a Reply to %s"),
    "cancelReply": _("Cancel reply"),
    "reply": _("Reply"),
    "replyToName": _("Reply to %(name)s"),
    "report": _("Report"),
    "useful": _("Useful"),
    # %(name)s: the comment's author.
    "usefulName": _("Mark the comment by %(name)s as useful"),
    "usefulCount": _("(%(count)s)"),
    "reportName": _("Report the comment by %(name)s"),
    "comments": _("Comments"),
    "loading": _("Loading comments…"),
    "none": _("No comments yet."),
    "more": _("Show more comments"),
    # %d: how many are left; in parentheses, so one wording fits every number.
    "moreReplies": _("Show more replies (%d)"),
    "removed": _("This comment was removed."),
    "edited": _("edited"),
    "editedMark": _("(edited)"),
    "details": _("Fill in your details below."),
    "body": _("Comment"),
    "name": _("Name"),
    "email": _("Email"),
    "emailHint": _("Never shown."),
    "website": _("Website"),
    "required": _("(required)"),
    "optional": _("(optional)"),
    "honeypot": _("Leave this field empty"),
    "remember": _("Save my name, email, and website in this browser for the next time I comment."),
    "submit": _("Post Comment"),
    "sending": _("Posting…"),
    "posting": _("Posting…"),
    "posted": _("Your comment was posted."),
    "closed": _("Comments are closed."),
    "held": _("Your comment is awaiting moderation."),
    "fix": _("Please correct the errors below."),
    "loadError": _("The discussion could not be loaded."),
    "network": _(
        "Could not reach the discussion server. Please check your connection and try again."
    ),
    "networkError": _("Your comment could not be sent. Check your connection and try again."),
    "edit": _("Edit"),
    "editLabel": _("Edit your comment"),
    "save": _("Save"),
    "cancel": _("Cancel"),
    "delete": _("Delete"),
    # The embed asks before deleting; the page also says it is for good.
    "confirmDelete": _("Delete your comment?"),
    "confirmDeleteForGood": _("Delete your comment? This cannot be undone."),
    "deleted": _("Your comment was deleted."),
    "youDeleted": _("You deleted your comment."),
}

# What each script reads, by the name it reads it under (the catalogue's key unless renamed).
PAGE_SCRIPT = {
    "replyTitle": "replyTitle",
    "held": "held",
    "removed": "removed",
    "edit": "edit",
    "delete": "delete",
    "save": "save",
    "cancel": "cancel",
    "editLabel": "editLabel",
    "confirmDelete": "confirmDeleteForGood",
    "posting": "posting",
    "networkError": "networkError",
    "deleted": "deleted",
}
EMBED_SCRIPT = {
    **{
        key: key
        for key in (
            "heading",
            "replyTo",
            "cancelReply",
            "reply",
            "comments",
            "loading",
            "none",
            "more",
            "moreReplies",
            "useful",
            "usefulCount",
            "removed",
            "edited",
            "details",
            "body",
            "name",
            "email",
            "emailHint",
            "website",
            "required",
            "optional",
            "honeypot",
            "remember",
            "submit",
            "sending",
            "closed",
            "held",
            "fix",
            "loadError",
            "network",
            "edit",
            "save",
            "cancel",
            "delete",
            "confirmDelete",
        )
    },
    "deleted": "youDeleted",
}


def word(key: str) -> str:
    """One word of the catalogue in the active language."""
    return str(WORDS[key])


def for_script(names: dict[str, str] | Iterable[str]) -> dict[str, str]:
    """``{name the script reads: text in the active language}``."""
    pairs = names.items() if isinstance(names, dict) else ((n, n) for n in names)
    return {name: str(WORDS[key]) for name, key in pairs}
