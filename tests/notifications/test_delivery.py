"""The outbox's delivery rules in-process: retries with backoff, giving up, permanent
refusals, abandoned sends re-sent with the same Message-ID, and the admin's failed list."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from dateline.notifications import actions, delivery
from dateline.notifications.models import OutboundMessage, Subscription
from tests.factories import make_article, post_guest_comment
from tests.notifications.support import (
    Mailbox,
    active_subscription,
    deliver_all,
    outbox,
    smtp_mailer,
    smtp_server,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(section) -> OutboundMessage:
    active_subscription("reader@example.org", Subscription.Kind.POSTS)
    make_article(section, title="Something happened")
    [message] = outbox()
    return message


def test_a_temporary_refusal_is_retried_later_with_exponential_backoff(queued, settings):
    box = Mailbox(reply="451 4.3.0 Try again later")
    with smtp_server(box) as port:
        settings.MAILERS = {"default": smtp_mailer(port)}
        before = timezone.now()
        deliver_all()
        queued.refresh_from_db()
        first_wait = queued.next_attempt_at - before

        assert queued.status == OutboundMessage.Status.QUEUED
        assert queued.attempts == 1
        assert "451" in queued.last_error
        assert datetime.timedelta(seconds=45) < first_wait < datetime.timedelta(seconds=75)

        OutboundMessage.objects.update(next_attempt_at=timezone.now())
        deliver_all()
        queued.refresh_from_db()
        second_wait = queued.next_attempt_at - timezone.now()
        assert queued.attempts == 2
        assert second_wait > datetime.timedelta(seconds=90)

        box.reply = ""
        OutboundMessage.objects.update(next_attempt_at=timezone.now())
        deliver_all()
    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.SENT
    assert [m["Message-ID"] for m in box.messages] == [queued.message_id]


def test_after_the_last_attempt_a_message_is_marked_failed(queued, settings):
    settings.DATELINE_EMAIL_MAX_ATTEMPTS = 3
    box = Mailbox(reply="451 4.3.0 Try again later")
    with smtp_server(box) as port:
        settings.MAILERS = {"default": smtp_mailer(port)}
        for _attempt in range(3):
            OutboundMessage.objects.update(next_attempt_at=timezone.now())
            deliver_all()

    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.FAILED
    assert queued.attempts == 3


def test_a_permanent_refusal_fails_at_once(queued, settings):
    box = Mailbox(reply="550 5.1.1 No such mailbox")
    with smtp_server(box) as port:
        settings.MAILERS = {"default": smtp_mailer(port)}
        deliver_all()

    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.FAILED
    assert queued.attempts == 1
    assert "550" in queued.last_error


def test_an_unreachable_mail_server_leaves_messages_queued_for_later(queued, settings):
    box = Mailbox()
    with smtp_server(box) as port:
        pass  # started and stopped: nothing listens on the port any more
    settings.MAILERS = {"default": smtp_mailer(port)}

    handled, server_down = delivery.deliver_due()

    queued.refresh_from_db()
    assert (handled, server_down) == (1, True)
    assert queued.status == OutboundMessage.Status.QUEUED
    assert queued.next_attempt_at > timezone.now()


def test_a_message_abandoned_mid_send_is_sent_again_with_the_same_message_id(
    queued, mailbox, settings
):
    settings.DATELINE_EMAIL_LEASE_SECONDS = 60
    claimed = delivery.claim_next(worker_id="worker-that-died")
    assert claimed is not None
    assert claimed.status == OutboundMessage.Status.SENDING
    assert deliver_all() == 0  # the lease still holds

    OutboundMessage.objects.update(lease_expires_at=timezone.now())
    deliver_all()

    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.SENT
    assert queued.attempts == 2
    assert [m["Message-ID"] for m in mailbox.messages] == [queued.message_id]
    # The dead worker's late answer cannot overwrite the new worker's result.
    OutboundMessage.objects.filter(pk=queued.pk).update(claimed_by="someone-else")
    assert delivery.send_one(claimed, mailer=_Refusing(), worker_id="worker-that-died") in {
        delivery.Outcome.FAILED,
        delivery.Outcome.RETRY,
        delivery.Outcome.SERVER_DOWN,
    }
    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.SENT


class _Refusing:
    def send_messages(self, messages):
        raise OSError("connection refused")

    def close(self):
        pass


def test_a_message_that_kills_its_worker_every_time_is_given_up_on(queued, settings):
    settings.DATELINE_EMAIL_MAX_ATTEMPTS = 2
    for _crash in range(2):
        delivery.claim_next(worker_id="crashing-worker")
        OutboundMessage.objects.update(lease_expires_at=timezone.now())

    assert delivery.claim_next(worker_id="next-worker") is None
    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.FAILED


def test_failed_emails_are_listed_in_the_admin_and_can_be_retried(queued):
    OutboundMessage.objects.update(
        status=OutboundMessage.Status.FAILED, attempts=8, last_error="SMTPDataError: 554"
    )
    sent = make_article_message_sent()
    User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")
    client = Client()
    client.login(username="root", password="pw-root-123")

    listing = client.get("/admin/failed-emails/")
    assert listing.status_code == HTTPStatus.OK
    assert b"reader@example.org" in listing.content
    assert sent.recipient.encode() not in listing.content  # only the failed ones
    assert f"/admin/failed-emails/{queued.pk}/retry/".encode() in listing.content
    assert client.get(f"/admin/failed-emails/inspect/{queued.pk}/").status_code == HTTPStatus.OK

    confirm = client.get(f"/admin/failed-emails/{queued.pk}/retry/")
    assert confirm.status_code == HTTPStatus.OK
    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.FAILED  # a GET changes nothing

    response = client.post(f"/admin/failed-emails/{queued.pk}/retry/")
    assert response.status_code == HTTPStatus.FOUND
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (OutboundMessage.Status.QUEUED, 0)


def make_article_message_sent() -> OutboundMessage:
    message = OutboundMessage.objects.get()
    copy = OutboundMessage.objects.create(
        event_key="sent-one",
        recipient="delivered@example.org",
        category=OutboundMessage.Category.POST,
        subject="Delivered",
        text="Delivered",
        message_id="<delivered@example.org>",
        status=OutboundMessage.Status.SENT,
    )
    assert message.pk != copy.pk
    return copy


def test_only_editors_may_retry(queued):
    OutboundMessage.objects.update(status=OutboundMessage.Status.FAILED)
    User.objects.create_user("writer", "writer@newsroom.example", "pw-writer-123")
    client = Client()
    client.login(username="writer", password="pw-writer-123")

    response = client.post(f"/admin/failed-emails/{queued.pk}/retry/")

    assert response.status_code in {HTTPStatus.FOUND, HTTPStatus.FORBIDDEN}
    queued.refresh_from_db()
    assert queued.status == OutboundMessage.Status.FAILED
    assert not actions.retry_message(message=OutboundMessage(pk=0))


# A verified-guest link is a key to commenting as its reader: the outbox keeps it only while
# it may still have to leave, and the admin never shows it.

LINK = "https://news.example.org/identity/email/confirm/"


@pytest.fixture
def email_link(db) -> OutboundMessage:
    from dateline.identity import actions as identity

    return identity.send_email_link(
        email="rana@example.org",
        name="Rana",
        website="",
        next_path="/",
        confirm_url_for=lambda token: f"{LINK}{token}/",
        site_name="Test Gazette",
        ip_address="192.0.2.44",
        valid_hours=24,
    )


def assert_body_forgotten(message: OutboundMessage, status: str) -> None:
    message.refresh_from_db()
    assert message.status == status
    assert (message.text, message.html) == ("", "")
    assert message.recipient == "rana@example.org"
    assert "Confirm your email address" in message.subject


def test_an_email_link_keeps_its_body_until_it_is_sent_and_then_loses_it(email_link, mailbox):
    assert LINK in email_link.text
    assert LINK in email_link.html

    deliver_all()

    [sent] = mailbox.messages
    assert LINK in sent.get_body(preferencelist=("plain",)).get_content()
    assert_body_forgotten(email_link, OutboundMessage.Status.SENT)


def test_an_email_link_refused_for_good_loses_its_body(email_link, settings):
    with smtp_server(Mailbox(reply="550 5.1.1 No such mailbox")) as port:
        settings.MAILERS = {"default": smtp_mailer(port)}
        deliver_all()

    assert_body_forgotten(email_link, OutboundMessage.Status.FAILED)


def test_an_email_link_that_fails_its_last_attempt_loses_its_body(email_link, settings):
    settings.DATELINE_EMAIL_MAX_ATTEMPTS = 2
    with smtp_server(Mailbox(reply="451 4.3.0 Try again later")) as port:
        settings.MAILERS = {"default": smtp_mailer(port)}
        deliver_all()
        email_link.refresh_from_db()
        assert email_link.status == OutboundMessage.Status.QUEUED
        assert LINK in email_link.text  # it may still leave: the link stays for the retry
        OutboundMessage.objects.update(next_attempt_at=timezone.now())
        deliver_all()

    assert_body_forgotten(email_link, OutboundMessage.Status.FAILED)


def test_an_email_link_that_kills_its_worker_every_time_loses_its_body(email_link, settings):
    settings.DATELINE_EMAIL_MAX_ATTEMPTS = 1
    delivery.claim_next(worker_id="crashing-worker")
    OutboundMessage.objects.update(lease_expires_at=timezone.now())

    assert delivery.claim_next(worker_id="next-worker") is None

    assert_body_forgotten(email_link, OutboundMessage.Status.FAILED)


def test_a_cancelled_email_link_loses_its_body(email_link, article):
    from dateline.discussion import actions as discussion

    trashed = post_guest_comment(article)
    discussion.set_status(comments=[trashed], status="trash", moderator=None)
    # Cancelled on the way out (here: tied to a comment that is no longer approved).
    OutboundMessage.objects.filter(pk=email_link.pk).update(comment_id=trashed.pk)
    claimed = delivery.claim_next()
    assert claimed is not None

    assert delivery.send_one(claimed, mailer=_Refusing()) is delivery.Outcome.CANCELLED

    assert_body_forgotten(email_link, OutboundMessage.Status.CANCELLED)


def test_the_admin_never_shows_an_email_links_body_nor_offers_to_send_it_again(email_link):
    other = OutboundMessage.objects.create(
        event_key="failed-post",
        recipient="reader@example.org",
        category=OutboundMessage.Category.POST,
        subject="Something happened",
        text="A story you may like.",
        message_id="<failed-post@example.org>",
        status=OutboundMessage.Status.FAILED,
    )
    User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")
    client = Client()
    client.login(username="root", password="pw-root-123")
    token = email_link.text.split(LINK, 1)[1].split("/", 1)[0]

    # Still queued, its body holds the live link: the inspect view leaves it out.
    page = client.get(f"/admin/failed-emails/inspect/{email_link.pk}/").content.decode()
    assert "rana@example.org" in page
    assert "Confirm your email address" in page
    assert token not in page
    assert LINK not in page
    # Another kind of message still shows what it said.
    assert (
        "A story you may like."
        in client.get(f"/admin/failed-emails/inspect/{other.pk}/").content.decode()
    )

    OutboundMessage.objects.filter(pk=email_link.pk).update(status=OutboundMessage.Status.FAILED)
    listing = client.get("/admin/failed-emails/").content.decode()
    assert "rana@example.org" in listing
    assert f"/admin/failed-emails/{email_link.pk}/retry/" not in listing
    assert f"/admin/failed-emails/{other.pk}/retry/" in listing
    refused = client.post(f"/admin/failed-emails/{email_link.pk}/retry/", follow=True)
    assert "cannot be sent again" in refused.content.decode()
    email_link.refresh_from_db()
    assert email_link.status == OutboundMessage.Status.FAILED
    assert not actions.retry_message(message=email_link)


def test_the_migration_forgets_the_bodies_of_email_links_that_left_before_this_rule(email_link):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "dateline.notifications.migrations.0005_forget_settled_email_link_bodies"
    )
    queued = OutboundMessage.objects.create(
        event_key="email-link:waiting",
        recipient="waiting@example.org",
        category=OutboundMessage.Category.EMAIL_LINK,
        subject="Confirm your email address",
        text=f"{LINK}still-needed/",
        message_id="<waiting@example.org>",
    )
    OutboundMessage.objects.filter(pk=email_link.pk).update(status=OutboundMessage.Status.SENT)

    migration.forget_bodies(apps, None)

    assert_body_forgotten(email_link, OutboundMessage.Status.SENT)
    queued.refresh_from_db()
    assert queued.text == f"{LINK}still-needed/"  # it has yet to leave


def test_list_unsubscribe_is_a_literal_address_however_long(queued, settings):
    """RFC 2369/8058: ``List-Unsubscribe: <https://…>`` as it is, read from the bytes the SMTP
    server received, not folded into encoded words (which providers do not offer as one-click
    unsubscribe)."""
    url = OutboundMessage.objects.get(pk=queued.pk).headers["List-Unsubscribe"]
    assert len(url) > 78  # the case the default folding broke
    box = Mailbox()
    with smtp_server(box) as port:
        settings.MAILERS = {"default": smtp_mailer(port)}
        deliver_all()
    [raw] = box.raw
    header = next(line for line in raw.split(b"\r\n") if line.startswith(b"List-Unsubscribe:"))
    assert header == b"List-Unsubscribe: " + url.encode()
    assert b"=?utf-8?" not in header
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
