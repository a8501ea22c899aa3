"""Fixtures for the notification tests: the SMTP server every test that sends mail talks to
(Django's default mailer points at it), a story, and a publish-at-once discussion policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dateline.discussion.models import DiscussionSettings
from tests.factories import discussion_policy, make_article
from tests.notifications.support import Mailbox, smtp_mailer, smtp_server


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:
    """The SMTP server; Django's default mailer points at it for the test."""
    box = Mailbox()
    with smtp_server(box) as port:
        settings.MAILERS = {"default": smtp_mailer(port)}
        yield box


@pytest.fixture
def publish_at_once(db) -> DiscussionSettings:
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


@pytest.fixture
def article(section):
    return make_article(section, title="Bridge reopens after repairs")
