"""The reader's comment form: parsing only. What may be said, by whom and how often is decided
by ``discussion.actions``; this form turns a POST (or the JSON API's body, read into the same
form) into the plain values the actions take, and carries the errors they raise back to the
fields they belong to. Also the one signed "form shown at" stamp, and the one builder of what
the spam checks learn from a request."""

from __future__ import annotations

import time

from django import forms
from django.core import signing
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dateline import web
from dateline.discussion.actions import (
    MAX_EMAIL_LENGTH,
    MAX_WEBSITE_LENGTH,
    Author,
    Follow,
    Guest,
    RequestMeta,
)
from dateline.discussion.models import Commenter, Report
from dateline.discussion.text import MAX_NAME_LENGTH

RENDERED_AT_SALT = "dateline.discussion.form-rendered-at"
# Plausible to a form-filling bot, meaningless to a person (the field is hidden from both eyes
# and screen readers). The Akismet client reports it under this name too.
HONEYPOT_FIELD = "website_confirm"
# Fields the page shows; errors for anything else ("parent", "__all__") go to the summary.
VISIBLE_FIELDS = ("body", "email", "name", "website")
# A signed render time older than this says nothing about how fast a person typed.
MAX_WRITING_SECONDS = 7 * 24 * 3600
_PARENT_GONE = _("The comment you are replying to is not available any more.")


def sign_rendered_at(at: float | None = None) -> str:
    """A tamper-proof "the form was shown at" stamp for the hidden ``rendered_at`` field."""
    return signing.dumps(round(at if at is not None else time.time(), 3), salt=RENDERED_AT_SALT)


def seconds_since_rendered(stamp: str, *, now: float | None = None) -> float | None:
    """How long the reader had the form. None when the stamp is missing or expired (the spam
    checks then simply do not use the signal); 0 when it is forged or odd — as suspicious as
    posting at once, since no page of ours ever hands one out."""
    if not stamp:
        return None
    try:
        rendered_at = signing.loads(stamp, salt=RENDERED_AT_SALT, max_age=MAX_WRITING_SECONDS)
    except signing.SignatureExpired:
        return None
    except signing.BadSignature:
        return 0.0
    if isinstance(rendered_at, bool) or not isinstance(rendered_at, int | float):
        return 0.0
    elapsed = (now if now is not None else time.time()) - float(rendered_at)
    # Negative: another machine's clock ran ahead; that says nothing about the reader.
    return elapsed if elapsed >= 0 else None


def request_meta(
    request: HttpRequest, *, honeypot: str, rendered_at: str, permalink: str
) -> RequestMeta:
    """What the limits and spam checks learn from a request, whichever client sent it."""
    return RequestMeta(
        ip_address=web.client_ip(request),
        user_agent=web.printable(request.headers.get("User-Agent", ""), 255),
        referrer=web.printable(request.headers.get("Referer", ""), 500),
        honeypot=honeypot,
        seconds_to_write=seconds_since_rendered(rendered_at),
        permalink=permalink,
    )


# A signed token is ~60 characters; anything much longer is not one of ours.
MAX_GUEST_TOKEN_LENGTH = 500


class CommentForm(forms.Form):
    """Every field is optional *here*: the actions produce the "please enter your name" style
    messages, so a reader sees one consistent wording whichever client they use. The form
    still refuses what Django itself must never pass on (NUL characters, a non-numeric parent)
    and caps sizes generously before anything else looks at the text."""

    body = forms.CharField(required=False, strip=False, max_length=100_000)
    name = forms.CharField(required=False, max_length=MAX_NAME_LENGTH * 4)
    email = forms.CharField(required=False, max_length=MAX_EMAIL_LENGTH * 2)
    website = forms.CharField(required=False, max_length=MAX_WEBSITE_LENGTH * 2)
    parent = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**62,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), _PARENT_GONE),
    )
    website_confirm = forms.CharField(required=False, strip=False, max_length=500)
    rendered_at = forms.CharField(required=False, max_length=200)

    def add_action_errors(self, errors: dict[str, str]) -> None:
        """Attach the messages an action raised to the fields they name."""
        web.add_errors(self, errors, to_summary=frozenset({"parent"}))

    def author(self, commenter: Commenter | None, *, guest_token: str = "") -> Author:
        """Who posts: the reader's signed-in identity when there is one (the guest fields are
        then ignored), else the guest details typed, with the token the browser was given
        with its last comment (``actions.guest_token``)."""
        if commenter is not None:
            return commenter
        data = self.cleaned_data
        return Guest(
            name=data.get("name") or "",
            email=data.get("email") or "",
            website=data.get("website") or "",
            token=guest_token[:MAX_GUEST_TOKEN_LENGTH],
        )

    def request_meta(self, request: HttpRequest, *, permalink: str) -> RequestMeta:
        data = self.cleaned_data
        return request_meta(
            request,
            honeypot=data.get(HONEYPOT_FIELD) or "",
            rendered_at=data.get("rendered_at") or "",
            permalink=permalink,
        )

    @property
    def follow(self) -> Follow:
        """The "notify me" boxes (``notifications/includes/comment_form_checkboxes.html``)."""
        data = self.data
        return Follow(
            comments=bool(data.get("notify_comments")),
            only_replies=data.get("notify_scope") == "replies",
            posts=bool(data.get("notify_posts")),
        )

    @property
    def parent_id(self) -> int | None:
        if self.is_bound:
            return getattr(self, "cleaned_data", {}).get("parent")
        return self.initial.get("parent")

    def summary_errors(self) -> list[tuple[str, str]]:
        """(field id or "", message) pairs for the error summary, in the order of the page."""
        if not self.is_bound:
            return []
        items: list[tuple[str, str]] = []
        for name in VISIBLE_FIELDS:
            for message in self.errors.get(name, []):
                items.append((f"comment-{name}", str(message)))
        for name, messages in self.errors.items():
            if name not in VISIBLE_FIELDS:
                items.extend(("", str(message)) for message in messages)
        return items

    def json_errors(self) -> dict[str, str]:
        """``{field: message}`` for the page's script; anything without a field is "__all__"."""
        out: dict[str, str] = {}
        for name, messages in self.errors.items():
            key = name if name in VISIBLE_FIELDS else "__all__"
            text = " ".join(str(m) for m in messages)
            out[key] = f"{out[key]} {text}" if key in out else text
        return out


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you reporting this comment?"),
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why you are reporting this comment.")},
    )
    note = forms.CharField(
        label=_("Anything the moderators should know (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )


class EditForm(forms.Form):
    body = forms.CharField(required=False, strip=False, max_length=100_000)
    token = forms.CharField(max_length=500)


class DeleteForm(forms.Form):
    token = forms.CharField(max_length=500)
