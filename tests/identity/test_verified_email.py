"""Verified guests: a one-time link (signed, expiring, single-use) confirms a guest's email;
their comments then come from ``Commenter(kind=email)`` with the same trust and bans, and no
password or account anywhere. Mail goes through Django's mailer (locmem in tests)."""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from unittest import mock

import pytest
from django.core import mail

from dateline.discussion import actions as discussion_actions
from dateline.discussion.models import Ban, Comment, Commenter, DiscussionSettings
from dateline.identity import actions, session
from dateline.identity.models import UsedEmailLink
from tests.factories import discussion_policy

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def ask(client, article_path, **fields):
    data = {"name": "Rana Aziz", "email": "Rana.Aziz@Example.org", "website": "", **fields}
    return client.post(f"/identity/email/?next={article_path}", data)


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

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "several links" in str(refused.json()["errors"])
    assert len(mail.outbox) == actions.EMAIL_LINKS_PER_HOUR


def test_bad_details_are_errors_not_mail(client, article_path):
    refused = client.post(
        f"/identity/email/?next={article_path}", {"name": "", "email": "nope"}, **JSON
    )

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert set(refused.json()["errors"]) >= {"email", "name"}
    assert not mail.outbox


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
        thread=thread, body="First words.", policy=policy, meta=meta, commenter=commenter
    ).comment
    discussion_actions.set_status(comments=[first], status=Comment.Status.APPROVED, moderator=None)
    commenter.refresh_from_db()
    second = discussion_actions.post_comment(
        thread=thread, body="Second words.", policy=policy, meta=meta, commenter=commenter
    ).comment
    discussion_actions.ban(kind=Ban.Kind.EMAIL, value="RANA@example.org")

    assert first.status == Comment.Status.PENDING
    assert second.status == Comment.Status.APPROVED
    with pytest.raises(discussion_actions.CommenterBanned):
        discussion_actions.post_comment(
            thread=thread, body="Third words.", policy=policy, meta=meta, commenter=commenter
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
    assert not mail.outbox
    assert session.DRAFT_KEY not in reader.session
