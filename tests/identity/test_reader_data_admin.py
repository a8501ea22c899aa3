"""The editors' "everything about this email address" tool (issue #14, point 2): what exists,
export, anonymise, erase — the same functions as the reader's own link, each recorded in
Wagtail's history with who did it."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from wagtail.models import ModelLogEntry

from dateline.discussion.models import Comment, Commenter, DiscussionSettings
from dateline.notifications.models import Subscriber, Subscription
from tests.factories import discussion_policy, make_article, post_guest_comment
from tests.notifications.support import active_subscription

pytestmark = pytest.mark.django_db

TOOL = "/admin/reader-data/"
ADDRESS = "omar.k@example.org"


@pytest.fixture
def comment(section):
    article = make_article(section, title="Schools reopen after the floods")
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    posted = post_guest_comment(article, "My son's school is still shut.", policy=policy,
                                name="Omar K", email=ADDRESS)  # fmt: skip
    active_subscription(ADDRESS, Subscription.Kind.COMMENTS, thread=posted.thread)
    return posted


@pytest.fixture
def moderator() -> User:
    user = User.objects.create_user("mona", "mona@newsroom.example", "pw-mona-123")
    user.groups.add(Group.objects.get(name="Comment moderators"))
    return user


@pytest.fixture
def desk(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


def test_the_tool_shows_what_exists_and_exports_it_logged(desk, moderator, comment):
    page = desk.get(TOOL, {"email": "Omar.K@Example.org"})

    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "Omar K" in text
    assert "1 comment" in text
    assert "1 email subscription" in text

    exported = desk.get(TOOL, {"email": ADDRESS, "format": "json"})
    data = json.loads(exported.content)
    assert data["address"] == ADDRESS
    assert data["identities"][0]["comments"][0]["comment"] == "My son's school is still shut."
    entry = ModelLogEntry.objects.get(action="dateline.reader_data.export")
    assert entry.user_id == moderator.pk
    assert entry.data["address"] == ADDRESS


def test_anonymise_keeps_the_text_and_erase_removes_it_each_logged(desk, moderator, comment):
    refused = desk.post(TOOL, {"email": ADDRESS, "action": "erase"}, follow=True)
    assert "Tick the box to confirm" in refused.content.decode()
    assert Commenter.objects.filter(subject=ADDRESS).exists()

    done = desk.post(TOOL, {"email": ADDRESS, "action": "anonymise", "confirm": "1"}, follow=True)

    assert "Done: 1 identities, 1 comments, 1 subscriptions." in done.content.decode()
    comment.refresh_from_db()
    assert comment.author_name == "Former reader"
    assert comment.body == "My son's school is still shut."
    assert not Commenter.objects.filter(subject=ADDRESS).exists()
    assert not Subscriber.objects.filter(email=ADDRESS).exists()
    entry = ModelLogEntry.objects.get(action="dateline.reader_data.anonymise")
    assert (entry.user_id, entry.label) == (moderator.pk, ADDRESS)
    assert entry.data["comments"] == 1


def test_erase_removes_the_comments_text(desk, comment):
    desk.post(TOOL, {"email": ADDRESS, "action": "erase", "confirm": "1"})

    comment.refresh_from_db()
    assert comment.body == ""
    assert comment.status == Comment.Status.TRASH
    assert ModelLogEntry.objects.filter(action="dateline.reader_data.erase").count() == 1


def test_a_bad_address_is_explained_and_others_may_not_use_the_tool(desk, comment):
    bad = desk.get(TOOL, {"email": "no-at-sign"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter a valid email address." in bad.content.decode()

    editor = User.objects.create_user("eddie", "eddie@newsroom.example", "pw-eddie-123")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(editor)
    # Wagtail answers a refused admin page by sending the editor back to the dashboard.
    looked = client.get(TOOL, {"email": ADDRESS})
    assert (looked.status_code, looked["Location"]) == (HTTPStatus.FOUND, "/admin/")
    erased = client.post(TOOL, {"email": ADDRESS, "action": "erase", "confirm": "1"})
    assert (erased.status_code, erased["Location"]) == (HTTPStatus.FOUND, "/admin/")
    assert Commenter.objects.filter(subject=ADDRESS).exists()
