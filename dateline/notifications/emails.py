"""Writing the emails: subject, plain text and HTML from templates in the site's language,
with the headers every message carries (a stable Message-ID, RFC 8058 one-click unsubscribe,
RFC 3834 Auto-Submitted). Builds unsaved ``OutboundMessage`` rows; the caller saves them in
the event's transaction."""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from dateline.discussion.models import Comment, Thread
from dateline.discussion.text import plain_text
from dateline.newsroom.models import ArticlePage
from dateline.notifications import tokens
from dateline.notifications.models import OutboundMessage, Subscriber

MAX_SUBJECT = 200


@dataclass(frozen=True)
class Brand:
    """What every message says about who sent it; read once per batch, not per recipient."""

    site_name: str
    base_url: str

    @classmethod
    def current(cls) -> Brand:
        from wagtail.models import Site

        from dateline.newsroom.models import NewsroomSettings

        name = ""
        site = Site.objects.filter(is_default_site=True).first()
        if site is not None:
            name = NewsroomSettings.for_site(site).publisher_name or site.site_name
        return cls(site_name=name or settings.WAGTAIL_SITE_NAME, base_url=settings.BASE_URL)

    def absolute(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"


# The display name settings.py gives DATELINE_FROM_EMAIL when a deployment sets none: the
# software's name, not the newsroom's.
PLACEHOLDER_SENDER_NAME = "Dateline"


def sender(brand: Brand) -> str:
    """Who the message is from: ``DEFAULT_FROM_EMAIL`` as configured when the deployment named
    the sender itself ("The Harbour Gazette <news@…>"); otherwise its address under the
    site's name, so readers see the newsroom they subscribed to rather than "Dateline" or a
    bare address."""
    configured = settings.DEFAULT_FROM_EMAIL
    name, address = parseaddr(configured)
    if not address or not brand.site_name or (name and name != PLACEHOLDER_SENDER_NAME):
        return configured
    try:
        # Address quotes the name as needed; Django encodes a non-ASCII one when it sends.
        return str(Address(display_name=brand.site_name, addr_spec=address))
    except (ValueError, IndexError):
        return configured


def mail_domain() -> str:
    return urlsplit(settings.BASE_URL).hostname or "localhost"


def new_message_id() -> str:
    # Made once, when the row is written, and sent with every attempt: a resend after a crash
    # carries the same id, so receiving systems can recognise the duplicate.
    return f"<{uuid.uuid4().hex}@{mail_domain()}>"


def one_line(text: str) -> str:
    subject = " ".join(text.split())
    return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 1] + "…"


def comment_text(comment: Comment) -> str:
    """The comment as plain text: its sanitised HTML without tags, entities decoded (a text
    part has no markup to escape)."""
    return html.unescape(plain_text(comment.body_html))


def story_of(brand: Brand, thread: Thread) -> tuple[str, str]:
    """Title and absolute address of the page a thread belongs to."""
    article = thread.article
    if article is not None:
        return article.title, brand.absolute(article.get_url() or "/")
    return thread.title or thread.url, thread.url


def comment_url(brand: Brand, comment: Comment) -> str:
    return brand.absolute(f"/comments/{comment.pk}/")


def render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Plain-text and HTML bodies from ``notifications/email/<name>.txt|.html``, or from
    ``<name>.txt|.html`` when the name has a folder (another app's message)."""
    path = name if "/" in name else f"notifications/email/{name}"
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string(f"{path}.txt", context)
        body_html = render_to_string(f"{path}.html", context)
    return text.strip() + "\n", body_html


def _common_headers(brand: Brand) -> dict[str, str]:
    return {
        # Chosen when the message is written, with the site's name of that moment;
        # delivery.as_email sends it as the From header and its address as the envelope sender.
        "From": sender(brand),
        # Out-of-office robots must not answer what a machine sent (RFC 3834).
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }


def build(
    *,
    brand: Brand,
    subscriber: Subscriber,
    event_key: str,
    category: str,
    template: str,
    subject: str,
    context: dict[str, Any],
    subscription_ids: Sequence[int] = (),
    moderation: bool = False,
    comment_id: int | None = None,
    priority: int = 5,
    extra_headers: dict[str, str] | None = None,
) -> OutboundMessage:
    """One personalised message: its own manage link and one-click unsubscribe URL."""
    manage_url = brand.absolute(
        reverse("notifications:manage", args=[tokens.manage_token(subscriber=subscriber)])
    )
    unsubscribe_url = brand.absolute(
        reverse(
            "notifications:unsubscribe",
            args=[
                tokens.unsubscribe_token(
                    subscriber=subscriber,
                    subscription_ids=subscription_ids,
                    moderation=moderation,
                )
            ],
        )
    )
    full_context = {
        **context,
        "site_name": brand.site_name,
        "base_url": brand.base_url,
        "manage_url": manage_url,
        "unsubscribe_url": unsubscribe_url,
        "recipient": subscriber.email,
    }
    text, body_html = render(template, full_context)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"<notifications.{mail_domain()}>",
        **_common_headers(brand),
        **(extra_headers or {}),
    }
    return OutboundMessage(
        event_key=event_key,
        recipient=subscriber.email,
        category=category,
        priority=priority,
        subscriber=subscriber,
        comment_id=comment_id,
        subject=one_line(subject),
        text=text,
        html=body_html,
        headers=headers,
        message_id=new_message_id(),
    )


def build_transactional(
    *,
    brand: Brand,
    recipient: str,
    event_key: str,
    category: str,
    template: str,
    subject: str,
    context: dict[str, Any],
    priority: int = 1,
) -> OutboundMessage:
    """A one-off message someone asked for (a sign-in link), not a subscription: no manage
    or unsubscribe link, since there is nothing to stop, and no subscriber row, since asking
    for a link must not put an address on any list."""
    full_context = {
        **context,
        "site_name": brand.site_name,
        "base_url": brand.base_url,
        "recipient": recipient,
    }
    text, body_html = render(template, full_context)
    return OutboundMessage(
        event_key=event_key,
        recipient=recipient,
        category=category,
        priority=priority,
        subject=one_line(subject),
        text=text,
        html=body_html,
        headers=_common_headers(brand),
        message_id=new_message_id(),
    )


def thread_headers(thread: Thread) -> dict[str, str]:
    # Mail programs group every notification about one story into one conversation.
    return {"References": f"<thread-{thread.pk}@{mail_domain()}>"}


def subject_for_comment(*, comment: Comment, title: str, is_reply: bool) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if is_reply:
            return _("%(name)s replied to your comment on “%(title)s”") % {
                "name": comment.author_name,
                "title": title,
            }
        return _("New comment by %(name)s on “%(title)s”") % {
            "name": comment.author_name,
            "title": title,
        }


def subject_for_post(*, article: ArticlePage, site_name: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("New on %(site)s: %(title)s") % {"site": site_name, "title": article.title}
