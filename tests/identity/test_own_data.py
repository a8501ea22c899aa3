"""A commenter's own data: their comments, a JSON export of exactly what is stored about them,
and deleting the identity (comments anonymised or removed, as the site setting says)."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from wagtail.models import Site

from dateline.discussion import actions as discussion_actions
from dateline.discussion import targets
from dateline.discussion.models import Ban, Comment, Commenter, Thread
from dateline.identity.models import IdentitySettings
from tests.factories import post_guest_comment
from tests.identity.test_comment_form_sign_in import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def nadia(db) -> Commenter:
    return Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER,
        provider="google",
        subject="110169484474386276334",
        display_name="Nadia Karim",
        email="nadia@example.org",
        email_verified=True,
        website="https://nadia.example.org",
    )


def post_as(commenter, article, body, policy, parent=None):
    return discussion_actions.post_comment(
        target=targets.of_thread(discussion_actions.thread_for_article(article=article)),
        body=body,
        policy=policy,
        meta=discussion_actions.RequestMeta(ip_address="198.51.100.7", user_agent="Firefox"),
        author=commenter,
        parent_id=parent.pk if parent else None,
    ).comment


@pytest.fixture
def conversation(article, nadia, publish_policy):
    mine = post_as(nadia, article, "The ferry was late again.", publish_policy)
    reply = post_guest_comment(
        article, "It was on time for me.", policy=publish_policy, parent=mine
    )
    also_mine = post_as(nadia, article, "Fair enough.", publish_policy, parent=reply)
    return mine, reply, also_mine


def deletion_mode(mode: str) -> None:
    policy = IdentitySettings.for_site(Site.objects.get(is_default_site=True))
    policy.deleted_comments = mode
    policy.save()


def test_a_commenter_sees_their_comments(client, nadia, conversation):
    sign_in(client, nadia)

    page = client.get("/identity/me/comments/").content.decode()

    assert "The ferry was late again." in page
    assert "Fair enough." in page
    assert "It was on time for me." not in page
    assert "Download your data (JSON)" in page


def test_the_export_holds_only_this_commenters_data_and_changes_nothing(
    client, nadia, conversation
):
    sign_in(client, nadia)
    before = list(Comment.objects.values_list("pk", "status", "commenter_id", "author_name"))

    exported = client.get("/identity/me/export.json")

    assert exported.status_code == HTTPStatus.OK
    assert exported["Content-Disposition"] == 'attachment; filename="my-comments.json"'
    assert "no-store" in exported["Cache-Control"]
    data = json.loads(exported.content)
    assert data["identity"]["subject"] == "110169484474386276334"
    assert data["identity"]["email"] == "nadia@example.org"
    assert [c["comment"] for c in data["comments"]] == ["The ferry was late again.", "Fair enough."]
    assert all(c["ip_address"] == "198.51.100.7" for c in data["comments"])
    text = exported.content.decode()
    assert "It was on time for me." not in text
    assert "reader" not in text.lower().replace("former reader", "")
    assert (
        list(Comment.objects.values_list("pk", "status", "commenter_id", "author_name")) == before
    )


def test_export_and_pages_need_a_signed_in_commenter(client):
    refused = client.get("/identity/me/export.json")
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json() == {"errors": {"__all__": "You are not signed in."}}
    assert client.get("/identity/me/comments/").status_code == HTTPStatus.FORBIDDEN
    assert (
        client.post("/identity/me/delete/", {"confirm": "on"}).status_code == HTTPStatus.FORBIDDEN
    )


def test_deleting_needs_the_confirmation_and_a_post(client, nadia, conversation):
    sign_in(client, nadia)

    shown = client.get("/identity/me/delete/")
    unconfirmed = client.post("/identity/me/delete/", {})

    assert shown.status_code == HTTPStatus.OK
    assert b"You have written 2 comments." in shown.content
    assert unconfirmed.status_code == HTTPStatus.BAD_REQUEST
    assert Commenter.objects.filter(pk=nadia.pk).exists()


def test_deleting_an_identity_anonymises_its_comments_by_default(client, nadia, conversation):
    mine, reply, also_mine = conversation
    sign_in(client, nadia)

    done = client.post("/identity/me/delete/", {"confirm": "on"})

    assert done.status_code == HTTPStatus.OK
    assert b"Former reader" in done.content
    assert not Commenter.objects.filter(pk=nadia.pk).exists()
    for comment in (mine, also_mine):
        comment.refresh_from_db()
        assert comment.author_name == "Former reader"
        assert comment.author_website == ""
        assert comment.ip_address is None
        assert comment.user_agent == ""
        assert comment.commenter.provider == "deleted"
        assert comment.status == Comment.Status.APPROVED
    assert mine.body == "The ferry was late again."
    reply.refresh_from_db()
    assert reply.author_name != "Former reader"
    assert client.get("/identity/me/").json()["signed_in"] is False
    page = client.get(mine.thread.article.url).content.decode()
    assert "Former reader" in page
    assert "Nadia" not in page


def test_deleting_can_remove_the_comments_instead(client, nadia, conversation):
    mine, reply, also_mine = conversation
    deletion_mode(IdentitySettings.DeletedComments.REMOVE)
    sign_in(client, nadia)

    client.post("/identity/me/delete/", {"confirm": "on"})

    for comment in (mine, also_mine):
        comment.refresh_from_db()
        assert comment.status == Comment.Status.TRASH
        assert comment.body == ""
        assert comment.body_html == ""
        assert comment.author_name == "Former reader"
    reply.refresh_from_db()
    assert reply.status == Comment.Status.APPROVED
    thread = Thread.objects.get(pk=mine.thread_id)
    assert thread.approved_count == 1
    page = client.get(mine.thread.article.url).content.decode()
    assert "The ferry was late again." not in page
    assert "It was on time for me." in page


def test_a_banned_identity_cannot_shed_its_ban_by_deleting_itself(
    client, nadia, conversation, article, publish_policy
):
    discussion_actions.ban(kind=Ban.Kind.COMMENTER, commenter=nadia, reason="abuse")
    sign_in(client, nadia)

    client.post("/identity/me/delete/", {"confirm": "on"})

    kept = Commenter.objects.get(provider="google", subject="110169484474386276334")
    assert kept.display_name == "Former reader"
    assert kept.email == ""
    assert kept.website == ""
    assert Ban.objects.filter(commenter=kept).exists()
    assert not Comment.objects.filter(commenter=kept).exists()
    with pytest.raises(discussion_actions.CommenterBanned):
        post_as(kept, article, "I am back.", publish_policy)


def test_a_deleted_identitys_name_leaves_cached_pages_at_once(
    client, nadia, conversation, settings
):
    from django.core.cache import caches
    from django.test import Client

    settings.DATELINE_PAGE_CACHE = True
    settings.DATELINE_FRAGMENT_CACHE = True
    caches["pages"].clear()
    article_url = conversation[0].thread.article.url
    anonymous = Client()
    anonymous.get(article_url)
    assert anonymous.get(article_url)["X-Cache"] == "hit"
    assert "Nadia Karim" in anonymous.get(article_url).content.decode()
    sign_in(client, nadia)

    client.post("/identity/me/delete/", {"confirm": "on"})

    page = anonymous.get(article_url).content.decode()
    assert "Nadia Karim" not in page
    assert "nadia.example.org" not in page
    assert "Former reader" in page
    caches["pages"].clear()


def test_deleting_an_identity_stops_replies_to_its_former_comments_reaching_its_address(
    client, nadia, conversation, publish_policy
):
    from dateline.notifications.models import OutboundMessage, Subscription
    from tests.notifications.support import active_subscription

    mine, _reply, also_mine = conversation
    # As the comment form leaves it once its confirmation link is followed.
    subscription = active_subscription(
        "nadia@example.org",
        Subscription.Kind.REPLIES,
        thread=mine.thread,
        commenter=nadia,
        asked_from=[mine, also_mine],
    )
    sign_in(client, nadia)

    client.post("/identity/me/delete/", {"confirm": "on"})
    post_guest_comment(mine.thread.article, policy=publish_policy, parent=mine)

    assert not subscription.asked_from.exists()
    assert not OutboundMessage.objects.filter(
        recipient="nadia@example.org", category=OutboundMessage.Category.REPLY
    ).exists()


def test_deleting_an_identity_ends_the_subscriptions_of_its_proven_address(
    client, nadia, conversation
):
    from dateline.notifications.models import Subscriber, Subscription
    from tests.notifications.support import active_subscription

    mine, _reply, _also_mine = conversation
    active_subscription("nadia@example.org", Subscription.Kind.COMMENTS, thread=mine.thread)
    active_subscription("nadia@example.org", Subscription.Kind.POSTS)
    sign_in(client, nadia)

    client.post("/identity/me/delete/", {"confirm": "on"})

    assert not Subscriber.objects.filter(email="nadia@example.org").exists()
    assert not Subscription.objects.exists()
