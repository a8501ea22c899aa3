"""Verified guests: a one-time link (signed, expiring, single-use) confirms a guest's email;
their comments then come from ``Commenter(kind=email)`` with the same trust and bans, and no
password or account anywhere. The link is queued in the notifications outbox and sent by the
worker's delivery step (run in-process here, over Django's locmem mailer)."""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from unittest import mock

import pytest
from django.core import mail
from wagtail.models import Site

from dateline.discussion import actions as discussion_actions
from dateline.discussion import targets
from dateline.discussion.models import Ban, Comment, Commenter, DiscussionSettings
from dateline.identity import actions, session
from dateline.identity.models import UsedEmailLink
from dateline.newsroom.models import NewsroomSettings
from dateline.notifications import delivery
from dateline.notifications.models import OutboundMessage
from tests.factories import discussion_policy

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def ask(client, article_path, **fields):
    data = {"name": "Rana Aziz", "email": "Rana.Aziz@Example.org", "website": "", **fields}
    answer = client.post(f"/identity/email/?next={article_path}", data)
    sent()
    return answer


def sent() -> list:
    """What the worker's delivery thread would have sent by now."""
    delivery.deliver_due(max_messages=100)
    return mail.outbox


def link_in(message) -> str:
    return re.search(r"http://\S+/identity/email/confirm/\S+/", message.body).group(0)


def test_a_guest_confirms_their_email_and_comments_as_a_verified_reader(client, article_path):
    asked = ask(client, article_path, body="My draft")

    assert asked.status_code == HTTPStatus.FOUND
    assert asked["Location"] == f"{article_path}#respond"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Rana.Aziz@Example.org"]
    assert "Confirm your email address" in message.subject
    link = link_in(message)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]

    shown = client.get(path)
    assert shown.status_code == HTTPStatus.OK
    assert b"Confirm and go back to the story" in shown.content
    assert not Commenter.objects.exists()  # opening the link (a mail scanner does) is not using it

    used = client.post(path)

    assert used.status_code == HTTPStatus.FOUND
    assert used["Location"] == f"{article_path}#respond"
    commenter = Commenter.objects.get()
    assert (commenter.kind, commenter.provider, commenter.subject) == (
        Commenter.Kind.VERIFIED_EMAIL,
        "email",
        "rana.aziz@example.org",
    )
    assert commenter.email_verified is True
    assert commenter.display_name == "Rana Aziz"
    me = client.get(f"/identity/me/?path={article_path}").json()
    assert me["signed_in"] is True
    assert me["text"] == "You are commenting as Rana Aziz, confirmed by email."
    assert me["draft"] == {
        "body": "My draft",
        "name": "Rana Aziz",
        "email": "Rana.Aziz@Example.org",
    }


def test_the_link_is_queued_in_the_outbox_with_text_and_html_parts(client, article_path):
    asked = client.post(
        f"/identity/email/?next={article_path}",
        {"name": "<b>Rana</b>", "email": "rana@example.org", "website": ""},
    )

    assert asked.status_code == HTTPStatus.FOUND
    assert not mail.outbox  # the request never talks to the mail server itself
    [row] = OutboundMessage.objects.all()
    assert row.category == OutboundMessage.Category.EMAIL_LINK
    assert row.recipient == "rana@example.org"
    assert row.status == OutboundMessage.Status.QUEUED
    assert row.priority == 1
    assert row.subscriber is None  # asking for a link puts nobody on a mailing list
    assert "List-Unsubscribe" not in row.headers

    [message] = sent()
    html, mimetype = message.alternatives[0]
    link = link_in(message)
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.SENT
    assert message.extra_headers["Message-ID"] == row.message_id
    assert mimetype == "text/html"
    assert "Confirm your email address to comment on" in message.subject
    assert "<b>Rana</b>" in message.body  # plain text is plain text
    assert "&lt;b&gt;Rana&lt;/b&gt;" in html  # and the HTML part escapes what was typed
    assert "<b>Rana</b>" not in html
    assert f'href="{link}"' in html
    assert "Unsubscribe" not in html


def test_a_mail_server_that_is_down_loses_nothing_and_fails_no_request(
    client, article_path, settings
):
    from tests.servers import free_port

    # Nothing listens on this port: every connection is refused.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }

    asked = client.post(
        f"/identity/email/?next={article_path}",
        {"name": "Rana", "email": "rana@example.org", "website": ""},
    )
    handled, server_down = delivery.deliver_due()

    assert asked.status_code == HTTPStatus.FOUND
    assert (handled, server_down) == (1, True)
    row = OutboundMessage.objects.get()
    assert row.status == OutboundMessage.Status.QUEUED  # kept for the next attempt
    assert row.last_error

    # The mail server is back and the retry is due.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    OutboundMessage.objects.update(next_attempt_at=row.created_at)
    [message] = sent()
    assert message.to == ["rana@example.org"]
    assert message.extra_headers["Message-ID"] == row.message_id


def test_the_link_comes_from_the_site_under_the_name_every_other_message_uses(
    client, article_path, settings
):
    settings.DEFAULT_FROM_EMAIL = "desk@news.example"
    newsroom = NewsroomSettings.for_site(Site.objects.get(is_default_site=True))
    newsroom.publisher_name = "The Harbour Gazette"
    newsroom.save()

    ask(client, article_path)

    [message] = mail.outbox
    assert message.subject.endswith("on The Harbour Gazette")
    assert message.from_email == "The Harbour Gazette <desk@news.example>"


def test_the_link_works_once(client, article_path):
    ask(client, article_path)
    path = "/" + link_in(mail.outbox[0]).split("/", 3)[3]
    client.post(path)

    again = client.post(path)

    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert b"already been used" in again.content
    assert UsedEmailLink.objects.count() == 1


def test_an_expired_link_says_so(client, article_path):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 25 * 3600):
        ask(client, article_path)
    path = "/" + link_in(mail.outbox[0]).split("/", 3)[3]

    page = client.get(path)

    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert b"This link has expired" in page.content
    assert client.post(path).status_code == HTTPStatus.BAD_REQUEST
    assert not Commenter.objects.exists()


def test_a_changed_link_is_refused(client, article_path):
    ask(client, article_path)
    path = "/" + link_in(mail.outbox[0]).split("/", 3)[3]

    page = client.post(path.replace("/confirm/", "/confirm/x"))

    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert b"not valid" in page.content


def test_asking_too_often_is_refused_before_it_becomes_a_mail_cannon(client, article_path):
    for _ in range(actions.EMAIL_LINKS_PER_HOUR):
        ask(client, article_path)

    refused = client.post(
        f"/identity/email/?next={article_path}",
        {"name": "Rana", "email": "rana.aziz@example.org"},
        **JSON,
    )

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused.json()["sent"] is False
    message = refused.json()["errors"]["__all__"]
    assert "several links" in message
    assert "You can try again in 60 minutes." in message
    assert len(sent()) == actions.EMAIL_LINKS_PER_HOUR
    assert OutboundMessage.objects.count() == actions.EMAIL_LINKS_PER_HOUR


def test_a_rate_limited_page_says_how_long_to_wait_and_keeps_what_was_typed(client, article_path):
    for _ in range(actions.EMAIL_LINKS_PER_HOUR):
        ask(client, article_path)

    refused = client.post(
        f"/identity/email/?next={article_path}",
        {"name": "Rana", "email": "rana.aziz@example.org", "body": "My draft"},
    )

    html = refused.content.decode()
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(refused["Retry-After"]) > 0
    assert 'role="alert"' in html
    assert "We have already sent you several links." in html
    assert "You can try again in 60 minutes." in html
    assert 'value="rana.aziz@example.org"' in html
    assert 'name="body" value="My draft"' in html


def test_too_many_links_from_one_ip_address_are_refused_with_retry_after(client, article_path):
    for n in range(actions.EMAIL_LINKS_PER_IP_PER_HOUR):
        ask(client, article_path, email=f"reader{n}@example.org")

    refused = client.post(
        f"/identity/email/?next={article_path}",
        {"name": "Rana", "email": "someone.else@example.org"},
        **JSON,
    )

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(refused["Retry-After"]) > 0
    assert "Too many confirmation emails" in refused.json()["errors"]["__all__"]


def test_bad_details_are_errors_not_mail(client, article_path):
    refused = client.post(
        f"/identity/email/?next={article_path}", {"name": "", "email": "nope"}, **JSON
    )

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["sent"] is False
    assert set(refused.json()["errors"]) >= {"email", "name"}
    assert all(isinstance(message, str) for message in refused.json()["errors"].values())
    assert not OutboundMessage.objects.exists()
    assert not sent()


def test_the_script_asks_for_a_link_with_json(client, article_path):
    answer = client.post(
        f"/identity/email/?next={article_path}",
        {"name": "Rana", "email": "rana@example.org", "body": "draft"},
        **JSON,
    )

    assert answer.json()["sent"] is True
    assert "We have sent a link to rana@example.org" in answer.json()["message"]


def test_verified_email_commenters_get_the_same_trust_and_bans(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.HOLD_NEW, trusted_after=1)
    token = actions.email_link_token(
        email="rana@example.org", name="Rana", website="", next_path="/"
    )
    import datetime

    commenter, _link = actions.use_email_link(token=token, max_age=datetime.timedelta(hours=1))
    thread = discussion_actions.thread_for_article(article=article)
    meta = discussion_actions.RequestMeta(ip_address="192.0.2.50")

    first = discussion_actions.post_comment(
        target=targets.of_thread(thread),
        body="First words.",
        policy=policy,
        meta=meta,
        author=commenter,
    ).comment
    discussion_actions.set_status(comments=[first], status=Comment.Status.APPROVED, moderator=None)
    commenter.refresh_from_db()
    second = discussion_actions.post_comment(
        target=targets.of_thread(thread),
        body="Second words.",
        policy=policy,
        meta=meta,
        author=commenter,
    ).comment
    discussion_actions.ban(kind=Ban.Kind.EMAIL, value="RANA@example.org")

    assert first.status == Comment.Status.PENDING
    assert second.status == Comment.Status.APPROVED
    with pytest.raises(discussion_actions.CommenterBanned):
        discussion_actions.post_comment(
            target=targets.of_thread(thread),
            body="Third words.",
            policy=policy,
            meta=meta,
            author=commenter,
        )


def test_a_link_from_a_form_without_a_token_asks_again_and_keeps_the_draft(article_path):
    from django.test import Client

    reader = Client(enforce_csrf_checks=True)

    asked = reader.post(
        f"/identity/email/?next={article_path}",
        {"name": "Rana", "email": "rana@example.org", "body": "Draft text"},
    )

    html = asked.content.decode()
    assert asked.status_code == HTTPStatus.OK
    assert 'value="rana@example.org"' in html
    assert 'name="body" value="Draft text"' in html
    assert not OutboundMessage.objects.exists()
    assert session.DRAFT_KEY not in reader.session


def test_on_an_arabic_site_the_link_arrives_in_arabic_right_to_left(client, article_path, settings):
    settings.LANGUAGE_CODE = "ar"

    client.post(
        f"/identity/email/?next={article_path}",
        {"name": "Rana", "email": "rana@example.org", "website": ""},
        HTTP_ACCEPT_LANGUAGE="en",  # the site's language decides, not the request's
    )

    [row] = OutboundMessage.objects.all()
    assert row.subject.startswith("أكّد بريدك الإلكتروني للتعليق على ")
    assert '<html lang="ar" dir="rtl">' in row.html
    assert "/identity/email/confirm/" in row.text
