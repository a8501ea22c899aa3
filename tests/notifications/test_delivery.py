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
from tests.factories import make_article
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
