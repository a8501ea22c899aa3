"""Subscribing over HTTP: double opt-in, one-click unsubscribe, the manage page, abuse limits
and never telling a visitor who is subscribed."""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client

from dateline.discussion import actions as discussion
from dateline.discussion import targets
from dateline.discussion.models import Commenter, DiscussionSettings
from dateline.notifications import actions, tokens
from dateline.notifications.models import OutboundMessage, Subscriber, Subscription
from tests.factories import discussion_policy, post_guest_comment
from tests.notifications.support import active_subscription, deliver_all, outbox

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return urlsplit(url).path


def link_in(message, prefix: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"{re.escape(settings.BASE_URL)}(/notifications/{prefix}/[^/\s]+/)", text)
    assert match, text
    return match.group(1)


def follow_over_http(client: Client, article, email: str, *, ip: str = "198.51.100.1", **data):
    return client.post(
        f"/notifications/follow/{article.pk}/",
        {"email": email, "what": "comments", "frequency": "instant", **data},
        REMOTE_ADDR=ip,
    )


def test_following_a_story_takes_a_confirmation_link_whose_get_changes_nothing(
    client, article, publish_at_once, mailbox
):
    assert client.get(f"/notifications/follow/{article.pk}/").status_code == HTTPStatus.OK

    response = follow_over_http(client, article, "Reader@Example.org")
    deliver_all()

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/notifications/requested/"
    subscription = Subscription.objects.get()
    assert subscription.subscriber.email == "reader@example.org"
    assert not subscription.is_active
    [confirmation] = mailbox.messages
    assert confirmation["Subject"] == "Please confirm your subscription to Test Gazette"
    assert (
        "New comments on “Bridge reopens after repairs”"
        in confirmation.get_body(("plain",)).get_content()
    )
    confirm_path = link_in(confirmation, "confirm")

    # A link scanner (or the reader's mail preview) follows the link: nothing happens.
    page = Client().get(confirm_path)
    assert page.status_code == HTTPStatus.OK
    assert b'<form method="post">' in page.content
    subscription.refresh_from_db()
    assert not subscription.is_active

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(confirm_path)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    confirmed = browser.post(confirm_path, {"csrfmiddlewaretoken": token.decode()})
    assert confirmed.status_code == HTTPStatus.OK
    subscription.refresh_from_db()
    assert subscription.is_active

    post_guest_comment(article, "First!", policy=publish_at_once)
    deliver_all()
    assert len(mailbox.to("reader@example.org")) == 2


def test_an_expired_confirmation_link_is_refused(client, article, monkeypatch):
    follow_over_http(client, article, "late@example.org")
    subscription = Subscription.objects.get()
    four_days_ago = time.time() - 4 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: four_days_ago)
        token = tokens.confirm_token(
            subscriber=subscription.subscriber, subscription_ids=[subscription.pk]
        )

    assert client.get(f"/notifications/confirm/{token}/").status_code == HTTPStatus.GONE
    assert client.post(f"/notifications/confirm/{token}/").status_code == HTTPStatus.GONE
    subscription.refresh_from_db()
    assert not subscription.is_active


def test_a_forged_or_mangled_link_is_refused(client, home):
    assert client.get("/notifications/confirm/abc:def/").status_code == HTTPStatus.BAD_REQUEST
    assert client.get("/notifications/manage/abc/").status_code == HTTPStatus.BAD_REQUEST
    assert client.post("/notifications/unsubscribe/eyJzIjoxfQ:1:x/").status_code == (
        HTTPStatus.BAD_REQUEST
    )


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(client, article):
    active_subscription(
        "known@example.org",
        Subscription.Kind.COMMENTS,
        thread=discussion.thread_for_article(article=article),
    )

    known = follow_over_http(client, article, "known@example.org", ip="198.51.100.1")
    unknown = follow_over_http(client, article, "unknown@example.org", ip="198.51.100.2")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert client.get(known["Location"]).content == client.get(unknown["Location"]).content
    # Nothing is mailed to an address that is already subscribed, so nobody can use the form
    # to make a subscriber's inbox ring either.
    assert [m.recipient for m in outbox()] == ["unknown@example.org"]


def test_an_unconfirmed_request_cannot_change_an_active_subscription(client, article):
    subscription = active_subscription(
        "known@example.org",
        Subscription.Kind.COMMENTS,
        thread=discussion.thread_for_article(article=article),
    )

    follow_over_http(client, article, "known@example.org", frequency="daily")

    subscription.refresh_from_db()
    assert subscription.frequency == Subscription.Frequency.INSTANT


def test_typing_a_verified_readers_address_still_needs_their_confirmation(client, article):
    Commenter.objects.create(
        kind=Commenter.Kind.VERIFIED_EMAIL,
        provider="email",
        subject="verified@example.org",
        display_name="Verified",
        email="verified@example.org",
        email_verified=True,
    )

    follow_over_http(client, article, "verified@example.org")

    assert not Subscription.objects.get().is_active
    assert outbox()[0].category == OutboundMessage.Category.CONFIRMATION


def test_subscribing_is_rate_limited_per_ip_with_a_retry_after(client, article, settings):
    settings.DATELINE_SUBSCRIBE_PER_IP = 2
    for n in range(2):
        assert follow_over_http(client, article, f"r{n}@example.org").status_code == 302

    refused = follow_over_http(client, article, "r3@example.org")

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert b"Too many subscription requests" in refused.content
    assert Subscription.objects.count() == 2


def test_confirmation_emails_are_rate_limited_per_address_from_any_ip(client, article, settings):
    settings.DATELINE_SUBSCRIBE_PER_ADDRESS = 2
    for n in range(2):
        follow_over_http(client, article, "target@example.org", ip=f"198.51.100.{n + 1}")

    refused = follow_over_http(client, article, "target@example.org", ip="203.0.113.9")

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"]
    assert OutboundMessage.objects.filter(recipient="target@example.org").count() == 2


def test_a_bad_address_is_refused_with_a_message(client, article):
    response = follow_over_http(client, article, "not-an-address")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"Enter a valid email address" in response.content
    assert not Subscription.objects.exists()


def test_following_an_unpublished_story_is_not_found(client, section):
    from tests.factories import make_article

    draft = make_article(section, publish=False)

    assert client.get(f"/notifications/follow/{draft.pk}/").status_code == HTTPStatus.NOT_FOUND


def test_new_stories_can_be_chosen_by_section_and_frequency(client, section, home):
    from dateline.newsroom import actions as newsroom

    sport = newsroom.create_section(parent=home, title="Sport", slug="sport")
    page = client.get("/notifications/subscribe/")
    assert b"Sport" in page.content
    assert b"World" in page.content

    response = client.post(
        "/notifications/subscribe/",
        {"email": "fan@example.org", "frequency": "weekly", "sections": [section.pk, sport.pk]},
        REMOTE_ADDR="198.51.100.5",
    )

    assert response.status_code == HTTPStatus.FOUND
    subscriptions = Subscription.objects.order_by("section__title")
    assert [(s.kind, s.frequency, s.section.title) for s in subscriptions] == [
        ("posts", "weekly", "Sport"),
        ("posts", "weekly", "World"),
    ]
    assert OutboundMessage.objects.count() == 1  # one confirmation for both


def test_one_click_unsubscribe_works_without_cookies_and_a_get_changes_nothing(
    article, publish_at_once, mailbox
):
    active_subscription(
        "leaving@example.org",
        Subscription.Kind.COMMENTS,
        thread=discussion.thread_for_article(article=article),
    )
    active_subscription("leaving@example.org", Subscription.Kind.POSTS)
    post_guest_comment(article, policy=publish_at_once)
    deliver_all()
    [message] = mailbox.messages
    url = message["List-Unsubscribe"].strip("<>")

    scanner = Client()
    assert scanner.get(path_of(url)).status_code == HTTPStatus.OK
    assert Subscription.objects.count() == 2

    # What a mail provider sends (RFC 8058): a POST with this body, no cookie, no CSRF token.
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(
        path_of(url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == HTTPStatus.OK
    # The story's comments stop; the new-stories subscription was not what this email was.
    assert list(Subscription.objects.values_list("kind", flat=True)) == ["posts"]
    assert provider.post(path_of(url)).status_code == HTTPStatus.OK  # again: harmless


def test_the_manage_page_lists_and_removes_every_subscription_of_the_address(client, article):
    thread = discussion.thread_for_article(article=article)
    first = active_subscription("me@example.org", Subscription.Kind.COMMENTS, thread=thread)
    active_subscription("me@example.org", Subscription.Kind.POSTS)
    active_subscription("someone-else@example.org", Subscription.Kind.POSTS)
    token = tokens.manage_token(subscriber=Subscriber.objects.get(email="me@example.org"))

    page = client.get(f"/notifications/manage/{token}/")
    assert page.status_code == HTTPStatus.OK
    assert "New comments on “Bridge reopens after repairs”".encode() in page.content
    assert b"New stories" in page.content
    assert b"someone-else" not in page.content

    client.post(f"/notifications/manage/{token}/", {"action": "remove", "subscription": first.pk})
    assert Subscription.objects.filter(subscriber__email="me@example.org").count() == 1
    client.post(f"/notifications/manage/{token}/", {"action": "remove_all"})
    assert not Subscription.objects.filter(subscriber__email="me@example.org").exists()
    assert Subscription.objects.filter(subscriber__email="someone-else@example.org").exists()


def test_a_manage_link_cannot_be_replayed_as_a_confirmation(client, article):
    follow_over_http(client, article, "me@example.org")
    subscriber = Subscriber.objects.get()
    manage = tokens.manage_token(subscriber=subscriber)

    assert client.post(f"/notifications/confirm/{manage}/").status_code == HTTPStatus.BAD_REQUEST
    assert not Subscription.objects.get().is_active


def test_the_comment_form_subscribes_a_guest_pending_and_a_verified_commenter_at_once(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    guest_comment = post_guest_comment(article, policy=policy, email="guest@example.org")
    verified = Commenter.objects.create(
        kind=Commenter.Kind.VERIFIED_EMAIL,
        provider="email",
        subject="verified@example.org",
        display_name="Verified",
        email="verified@example.org",
        email_verified=True,
    )
    verified_comment = discussion.post_comment(
        target=targets.of_thread(guest_comment.thread),
        body="Signed in and following.",
        policy=policy,
        meta=discussion.RequestMeta(ip_address="192.0.2.20"),
        author=verified,
    ).comment

    guest = actions.subscribe_from_comment(
        comment=guest_comment, notify_replies=False, notify_all_comments=True, notify_posts=True
    )
    member = actions.subscribe_from_comment(
        comment=verified_comment, notify_replies=True, notify_all_comments=True, notify_posts=False
    )

    assert guest is not None
    assert guest.confirmation_queued
    assert not guest.active
    assert sorted(s.kind for s in guest.subscriptions) == ["comments", "posts"]
    assert [m.category for m in outbox()] == ["confirmation"]  # one email for both boxes
    assert member is not None
    assert member.active
    assert not member.confirmation_queued
    assert [s.kind for s in member.subscriptions] == ["replies"]
    assert all(s.is_active for s in member.subscriptions)


def test_the_comment_form_never_fails_because_of_a_subscription(article, settings):
    settings.DATELINE_SUBSCRIBE_PER_ADDRESS = 1
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, blocked_words="casino")
    first = post_guest_comment(article, policy=policy, email="busy@example.org")
    second = post_guest_comment(article, policy=policy, email="busy@example.org")
    spam = post_guest_comment(article, "casino", policy=policy, email="victim@example.org")

    assert actions.subscribe_from_comment(
        comment=first, notify_replies=False, notify_all_comments=True, notify_posts=False
    )
    assert (
        actions.subscribe_from_comment(
            comment=second, notify_replies=False, notify_all_comments=True, notify_posts=False
        )
        is None
    )
    assert (
        actions.subscribe_from_comment(
            comment=spam, notify_replies=True, notify_all_comments=True, notify_posts=True
        )
        is None
    )
    assert not OutboundMessage.objects.filter(recipient="victim@example.org").exists()


def test_the_comment_form_checkboxes_are_labelled_and_keep_their_state():
    html = render_to_string(
        "notifications/includes/comment_form_checkboxes.html", {"notify_comments": "1"}
    )

    assert (
        '<input id="comment-notify-comments" type="checkbox" name="notify_comments" value="1" checked>'
        in html
    )
    assert (
        '<label for="comment-notify-comments">Notify me of new comments via email.</label>' in html
    )
    assert '<input id="comment-notify-posts" type="checkbox" name="notify_posts" value="1">' in html
    assert '<label for="comment-notify-posts">Notify me of new posts via email.</label>' in html
    assert 'name="notify_scope" value="all" checked>' in html


def test_the_replies_choice_is_kept_when_the_form_is_shown_again():
    html = render_to_string(
        "notifications/includes/comment_form_checkboxes.html",
        {"notify_comments": "1", "notify_scope": "replies"},
    )

    assert 'name="notify_scope" value="replies" checked>' in html
    assert 'name="notify_scope" value="all">' in html


def test_only_replies_on_its_own_is_not_consent_to_email(article):
    comment = post_guest_comment(article, email="guest@example.org")

    assert (
        actions.subscribe_from_comment(
            comment=comment, notify_replies=True, notify_all_comments=False, notify_posts=False
        )
        is None
    )
    assert not Subscription.objects.exists()


def test_unconfirmed_subscriptions_are_forgotten_after_the_link_expires(client, article):
    import datetime

    from django.utils import timezone

    follow_over_http(client, article, "never@example.org")

    assert actions.purge_unconfirmed() == 0
    assert actions.purge_unconfirmed(now=timezone.now() + datetime.timedelta(days=4)) == 1
