"""The whole path a newcomer takes on the README's site, in one test: the demo newsroom, a guest
comment held because its author is new, approved in the admin's moderation queue with the
editor login the set-up printed, shown on the page, and a reply that nests under it."""

from __future__ import annotations

import datetime
import io
import re
import time
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from dateline.discussion.forms import sign_rendered_at
from dateline.discussion.models import Comment
from dateline.newsroom.models import ArticlePage

pytestmark = pytest.mark.django_db

QUEUE = "/admin/discussion/comments/"
MODERATE = "/admin/discussion/comments/moderate/"


def _guest_post(client: Client, story: ArticlePage, body: str, parent: str = "") -> str:
    response = client.post(
        f"/comments/post/{story.pk}/",
        {
            "body": body,
            "name": "Layla Mahdi",
            "email": "layla@example.org",
            "website": "",
            "parent": parent,
            "website_confirm": "",
            "rendered_at": sign_rendered_at(time.time() - 40),
        },
    )
    assert response.status_code == HTTPStatus.SEE_OTHER, response.content[:500]
    return str(response["Location"])


def test_a_guest_comment_is_held_approved_in_the_queue_shown_and_answered(db):
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    username = re.search(r"username: (\S+)", out.getvalue()).group(1)  # type: ignore[union-attr]
    password = re.search(r"password: (\S+)", out.getvalue()).group(1)  # type: ignore[union-attr]
    story = ArticlePage.objects.live().order_by("pk").first()
    assert story is not None
    reader, other_reader = Client(), Client()
    assert "Leave a Reply" in reader.get(story.url).content.decode()

    landing = _guest_post(reader, story, "First time here: the photographs are superb.")

    assert "held=1" in landing
    assert "Your comment is awaiting moderation." in reader.get(landing).content.decode()
    assert "photographs are superb" not in other_reader.get(story.url).content.decode()

    editor = Client()
    assert editor.login(username=username, password=password)
    queue = editor.get(QUEUE).content.decode()
    assert "photographs are superb" in queue
    comment = Comment.objects.get(body__contains="photographs are superb")
    approved = editor.post(MODERATE, {"action": "approve", "comment": [comment.pk]})
    assert approved.status_code == HTTPStatus.FOUND

    page = other_reader.get(story.url).content.decode()
    assert "photographs are superb" in page
    assert f'id="comment-{comment.pk}"' in page

    # Twenty seconds later (past the flood limit's window), now trusted with one approved
    # comment, the same guest's reply is published at once.
    Comment.objects.filter(pk=comment.pk).update(
        created_at=comment.created_at - datetime.timedelta(seconds=20)
    )
    caches["default"].clear()  # the window's counters expire with it
    landing = _guest_post(reader, story, "And the caption credits are right.", str(comment.pk))
    reply = Comment.objects.get(body__contains="caption credits")
    assert reply.status == Comment.Status.APPROVED
    assert landing.endswith(f"#comment-{reply.pk}")
    page = other_reader.get(story.url).content.decode()
    parent_item = page[page.index(f'data-comment-id="{comment.pk}"') :]
    children = parent_item[parent_item.index('comment-list--children"') :]
    assert f'id="comment-{reply.pk}"' in children.split("</ol>", 1)[0]
