"""Who an email is from: the configured DEFAULT_FROM_EMAIL when the deployment named the
sender itself, else its address under the site's name (chosen where the message is built)."""

from __future__ import annotations

import pytest
from wagtail.models import Site

from dateline.notifications import emails
from dateline.notifications.models import Subscription
from tests.factories import post_guest_comment
from tests.notifications.support import active_subscription, deliver_all, outbox

pytestmark = pytest.mark.django_db


def brand(site_name: str = "Test Gazette") -> emails.Brand:
    return emails.Brand(site_name=site_name, base_url="https://news.example.org")


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        pytest.param(
            "Dateline <newsroom@localhost>",
            "Test Gazette <newsroom@localhost>",
            id="the-built-in-default",
        ),
        pytest.param("desk@news.example", "Test Gazette <desk@news.example>", id="bare-address"),
        pytest.param(
            "The Harbour Desk <desk@news.example>",
            "The Harbour Desk <desk@news.example>",
            id="named-by-the-deployment",
        ),
    ],
)
def test_the_sender_follows_the_site_name_unless_the_deployment_named_it(
    settings, configured, expected
):
    settings.DEFAULT_FROM_EMAIL = configured

    assert emails.sender(brand()) == expected


def test_a_site_name_with_punctuation_is_quoted(settings):
    settings.DEFAULT_FROM_EMAIL = "desk@news.example"

    assert emails.sender(brand("News, Views & More")) == '"News, Views & More" <desk@news.example>'


def test_a_follower_sees_the_site_name_as_sender_and_the_address_as_envelope(
    settings, article, publish_at_once, mailbox
):
    settings.DEFAULT_FROM_EMAIL = "desk@news.example"
    site = Site.objects.get(is_default_site=True)
    site.site_name = "صحيفة الميناء"
    site.save()
    active_subscription(
        "fatima@example.org",
        Subscription.Kind.COMMENTS,
        thread=post_guest_comment(article, policy=publish_at_once).thread,
    )

    post_guest_comment(article, policy=publish_at_once)
    deliver_all()

    [message] = mailbox.to("fatima@example.org")
    assert message["From"].addresses[0].display_name == "صحيفة الميناء"
    assert message["From"].addresses[0].addr_spec == "desk@news.example"
    assert mailbox.envelopes[-1][0] == "desk@news.example"
    assert outbox(recipient="fatima@example.org")[0].headers["From"] == (
        "صحيفة الميناء <desk@news.example>"
    )
