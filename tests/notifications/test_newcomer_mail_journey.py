"""The README's promise for email, as a newcomer lives it: the production server and its
background worker (``dateline serve``), a real SMTP server, and two readers who speak only
HTTP. One comments and ticks "Notify me of new comments via email" for replies to them, confirms
from the email, hears of a reply from the other, and leaves with the mail program's one-click
unsubscribe — no cookie, no login."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from http import HTTPStatus

import pytest
import requests

from dateline.discussion.forms import sign_rendered_at
from dateline.discussion.models import Comment
from dateline.notifications.models import Subscription
from tests.factories import discussion_policy, make_article
from tests.notifications.support import Mailbox, smtp_server
from tests.servers import free_port, running_server, server_env

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _post_comment(
    base: str, story_id: int, *, body: str, name: str, email: str, **extra: str
) -> requests.Response:
    # A browser without JavaScript posting the story's own form: no session, our Origin.
    return requests.post(
        f"{base}/comments/post/{story_id}/",
        data={
            "body": body,
            "name": name,
            "email": email,
            "website": "",
            "website_confirm": "",
            "rendered_at": sign_rendered_at(time.time() - 40),
            **extra,
        },
        headers={"Origin": base},
        allow_redirects=False,
        timeout=20,
    )


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _wait_for_mail_to(box: Mailbox, address: str, count: int) -> list[EmailMessage]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(box.to(address)) < count:
        time.sleep(0.1)
    messages = box.to(address)
    assert len(messages) >= count, f"{address} received {len(messages)} of {count} messages"
    return messages


def test_a_newcomer_follows_replies_confirms_hears_of_a_reply_and_leaves_in_one_click(section):
    discussion_policy(mode="publish")
    story = make_article(section, title="Night buses return to the river road")
    box = Mailbox()
    with smtp_server(box) as smtp_port:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = server_env(
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}?timeout=5", DATELINE_BASE_URL=base
        )
        with running_server(env=env, port=port, timeout=60):  # with its worker
            story_page = requests.get(base + story.url, timeout=20)
            assert story_page.status_code == HTTPStatus.OK
            assert "Notify me of new comments via email." in story_page.text

            posted = _post_comment(
                base,
                story.pk,
                body="Will they stop at the old market too?",
                name="Huda",
                email="huda@example.org",
                notify_comments="on",
                notify_scope="replies",
            )
            assert posted.status_code == HTTPStatus.SEE_OTHER, posted.text
            first = Comment.objects.get(author_name="Huda")

            # Double opt-in: nothing is followed until the link in the email is used.
            [confirmation] = _wait_for_mail_to(box, "huda@example.org", 1)
            assert not Subscription.objects.active().exists()
            confirm_url = re.search(
                rf"{re.escape(base)}/notifications/confirm/\S+/", _text(confirmation)
            )
            assert confirm_url, _text(confirmation)
            reader = requests.Session()
            asked = reader.get(confirm_url.group(0), timeout=20)
            assert asked.status_code == HTTPStatus.OK
            assert not Subscription.objects.active().exists()  # a link scanner confirms nothing
            token = CSRF_FIELD.search(asked.text)
            assert token, asked.text
            confirmed = reader.post(
                confirm_url.group(0), data={"csrfmiddlewaretoken": token.group(1)}, timeout=20
            )
            assert confirmed.status_code == HTTPStatus.OK
            [subscription] = Subscription.objects.active()
            assert subscription.kind == Subscription.Kind.REPLIES

            replied = _post_comment(
                base,
                story.pk,
                body="Yes, from Monday, every half hour.",
                name="Karim",
                email="karim@example.org",
                parent=str(first.pk),
            )
            assert replied.status_code == HTTPStatus.SEE_OTHER, replied.text

            notice = _wait_for_mail_to(box, "huda@example.org", 2)[1]
            assert "Karim" in notice["Subject"] or "Karim" in _text(notice)
            assert "Yes, from Monday, every half hour." in _text(notice)
            assert story.title in _text(notice)
            assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            unsubscribe_url = re.fullmatch(r"<([^>]+)>", str(notice["List-Unsubscribe"]))
            assert unsubscribe_url
            assert unsubscribe_url.group(1).startswith(base)

            # What a mail program sends for its "Unsubscribe" button (RFC 8058).
            left = requests.post(
                unsubscribe_url.group(1),
                data={"List-Unsubscribe": "One-Click"},
                allow_redirects=False,
                timeout=20,
            )
            assert left.status_code == HTTPStatus.OK
            assert not Subscription.objects.active().exists()

    # The one who replied hears nothing about their own reply, and nobody got anything twice.
    assert box.to("karim@example.org") == []
    assert len(box.to("huda@example.org")) == 2
