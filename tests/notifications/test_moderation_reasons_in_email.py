"""The editors' "waiting for moderation" email says why the comment was held, in words and in
the site's language (the reasons are recorded as codes: dateline/discussion/reasons.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from dateline.discussion.models import DiscussionSettings
from tests.factories import discussion_policy, post_guest_comment
from tests.notifications.support import deliver_all

pytestmark = pytest.mark.django_db


def _held_notice_text(article, mailbox) -> str:
    """The editors' notice for a comment held because every comment is."""
    policy = discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")
    post_guest_comment(article, "Held for now.", policy=policy)
    deliver_all()
    [notice] = mailbox.messages
    return notice.get_body(preferencelist=("plain",)).get_content()


def test_the_moderation_email_says_why_in_words(article, mailbox):
    text = _held_notice_text(article, mailbox)

    assert "Why it was held: every comment is held" in text
    assert "code" not in text


def test_on_an_arabic_site_the_reasons_are_in_arabic(article, mailbox, settings):
    settings.LANGUAGE_CODE = "ar"

    text = _held_notice_text(article, mailbox)

    assert "كل تعليق يُحتجز للمراجعة" in text
    assert "every comment is held" not in text
