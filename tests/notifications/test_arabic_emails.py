"""Emails in the site's language: with Arabic as the site language (DATELINE_LANGUAGE=ar) a
notification reads right to left, in Arabic, subject and both parts — whatever language the
request that caused it was in."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from dateline.discussion import actions as discussion
from dateline.notifications import actions
from dateline.notifications.models import OutboundMessage, Subscription
from tests.factories import post_guest_comment
from tests.notifications.support import active_subscription, deliver_all, outbox

pytestmark = pytest.mark.django_db

ARABIC_WORDS = re.compile(r"[\u0600-\u06FF]{2,}(?:\s+[\u0600-\u06FF]{2,}){2,}")


@pytest.fixture
def arabic_site(settings):
    settings.LANGUAGE_CODE = "ar"


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_a_reply_notification_on_an_arabic_site_is_arabic_and_right_to_left(
    arabic_site, article, publish_at_once, mailbox
):
    first = post_guest_comment(
        article, "The ferry is back too.", policy=publish_at_once, email="amal@example.org"
    )
    active_subscription(
        "amal@example.org",
        Subscription.Kind.REPLIES,
        thread=discussion.thread_for_article(article=article),
        commenter=first.commenter,
        asked_from=[first],
    )

    # The reply comes in on an English request; the email still speaks the site's language.
    with translation.override("en"):
        post_guest_comment(
            article, "Since Tuesday, yes.", policy=publish_at_once, name="Omar", parent=first
        )
    deliver_all()

    [message] = mailbox.to("amal@example.org")
    text, html = parts(message)
    assert message["Subject"] == "ردّ Omar على تعليقك على «Bridge reopens after repairs»"
    assert '<html lang="ar" dir="rtl">' in html
    assert ARABIC_WORDS.search(html)
    assert ARABIC_WORDS.search(text)
    assert "replied to your comment" not in html
    assert "Manage your subscriptions" not in html
    # What the readers wrote stays as written, marked for the reader's own direction.
    assert '<blockquote dir="auto"' in html
    assert "Since Tuesday, yes." in html


def test_a_confirmation_email_on_an_arabic_site_describes_the_subscription_in_arabic(
    arabic_site, article
):
    actions.subscribe(
        email="amal@example.org",
        kind=Subscription.Kind.REPLIES,
        thread=discussion.thread_for_article(article=article),
    )

    [row] = outbox(category=OutboundMessage.Category.CONFIRMATION)
    assert row.subject.startswith("يرجى تأكيد اشتراكك في ")
    assert '<html lang="ar" dir="rtl">' in row.html
    assert "الردود على تعليقاتك على «Bridge reopens after repairs» (فورًا)" in row.html
    assert "الردود على تعليقاتك على «Bridge reopens after repairs» (فورًا)" in row.text


def test_the_english_site_still_writes_english_left_to_right(article, publish_at_once, mailbox):
    actions.subscribe(
        email="amal@example.org",
        kind=Subscription.Kind.COMMENTS,
        thread=discussion.thread_for_article(article=article),
    )

    [row] = outbox(category=OutboundMessage.Category.CONFIRMATION)
    assert row.subject.startswith("Please confirm your subscription to ")
    assert '<html lang="en" dir="ltr">' in row.html
    assert "New comments on “Bridge reopens after repairs” (At once)" in row.html
