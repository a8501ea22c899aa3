"""Replies to *my* comments: the parent comment's author is matched by commenting identity
(or by an address both sides proved), never by the address typed on the comment — a guest
can type anyone's."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from dateline.discussion import actions as discussion
from dateline.discussion import targets
from dateline.discussion.models import Commenter
from dateline.notifications import actions
from dateline.notifications.models import OutboundMessage, Subscription
from tests.factories import post_guest_comment
from tests.notifications.support import active_subscription, deliver_all, outbox

pytestmark = pytest.mark.django_db

VICTIM = "nadia@example.org"


def signed_in(*, provider: str, subject: str, email: str, verified: bool) -> Commenter:
    return Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER,
        provider=provider,
        subject=subject,
        display_name="Nadia",
        email=email,
        email_verified=verified,
    )


def comment_as(commenter: Commenter, article, policy, body: str, parent=None):
    return discussion.post_comment(
        target=targets.of_thread(discussion.thread_for_article(article=article)),
        body=body,
        policy=policy,
        meta=discussion.RequestMeta(ip_address="192.0.2.30"),
        author=commenter,
        parent_id=parent.pk if parent is not None else None,
    ).comment


def thread_of(article):
    return discussion.thread_for_article(article=article)


def confirmation_links(address: str) -> list[str]:
    """The confirmation links sent to ``address``, oldest first."""
    messages = outbox(recipient=address, category=OutboundMessage.Category.CONFIRMATION)
    return [re.search(r"/notifications/confirm/[^/\s]+/", m.text).group(0) for m in messages]


def ask_from_comment(comment) -> None:
    actions.subscribe_from_comment(
        comment=comment, notify_replies=True, notify_all_comments=True, notify_posts=False
    )


def test_a_guest_typing_someone_elses_address_does_not_send_them_replies_to_its_comment(
    article, publish_at_once, mailbox
):
    nadia = signed_in(provider="google", subject="g-1", email=VICTIM, verified=False)
    own = comment_as(nadia, article, publish_at_once, "My own words.")
    active_subscription(
        VICTIM, Subscription.Kind.REPLIES, thread=thread_of(article), commenter=nadia
    )
    impostor = post_guest_comment(
        article, "Words Nadia never wrote.", policy=publish_at_once, email="Nadia@Example.org"
    )

    post_guest_comment(article, "Answering the impostor.", policy=publish_at_once, parent=impostor)
    deliver_all()

    assert mailbox.to(VICTIM) == []
    assert not OutboundMessage.objects.filter(recipient=VICTIM).exists()

    # Her own comment is hers: a reply to it reaches her.
    post_guest_comment(article, "Answering Nadia.", policy=publish_at_once, parent=own)
    deliver_all()
    [message] = mailbox.to(VICTIM)
    assert "replied to your comment" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Answering Nadia." in text
    assert "My own words." in text


def test_a_follower_of_every_comment_hears_of_a_reply_to_an_impostor_as_a_plain_comment(
    article, publish_at_once, mailbox
):
    nadia = signed_in(provider="google", subject="g-1", email=VICTIM, verified=True)
    active_subscription(
        VICTIM, Subscription.Kind.COMMENTS, thread=thread_of(article), commenter=nadia
    )
    impostor = post_guest_comment(article, policy=publish_at_once, email=VICTIM)
    deliver_all()
    assert mailbox.to(VICTIM) == []  # the impostor used her address: nobody hears of their own

    post_guest_comment(article, policy=publish_at_once, name="Omar", parent=impostor)
    deliver_all()

    [message] = mailbox.to(VICTIM)
    assert message["Subject"].startswith("New comment by Omar")
    assert outbox(recipient=VICTIM)[0].category == OutboundMessage.Category.COMMENT


def test_a_verified_authors_address_is_theirs_even_without_a_subscription_made_by_them(
    article, publish_at_once, mailbox
):
    # Followed from the "Follow this story" page (no identity), address confirmed by email;
    # later she comments signed in with a provider that vouches for the same address.
    active_subscription(VICTIM, Subscription.Kind.REPLIES, thread=thread_of(article))
    nadia = signed_in(provider="google", subject="g-1", email=VICTIM, verified=True)
    own = comment_as(nadia, article, publish_at_once, "Signed in and verified.")

    post_guest_comment(article, policy=publish_at_once, parent=own)
    deliver_all()

    [message] = mailbox.to(VICTIM)
    assert "replied to your comment" in message["Subject"]


def test_an_unverified_address_on_the_parent_is_not_enough_without_the_identity(
    article, publish_at_once, mailbox
):
    # The same confirmed, identity-less subscription; the parent is a guest comment (or an
    # account whose provider did not verify the address) that merely carries her address.
    active_subscription(VICTIM, Subscription.Kind.REPLIES, thread=thread_of(article))
    unverified = signed_in(provider="newsroom", subject="x-9", email=VICTIM, verified=False)
    by_account = comment_as(unverified, article, publish_at_once, "Not proved.")
    by_guest = post_guest_comment(article, policy=publish_at_once, email=VICTIM)

    post_guest_comment(article, policy=publish_at_once, parent=by_account)
    post_guest_comment(article, policy=publish_at_once, parent=by_guest)
    deliver_all()

    assert mailbox.to(VICTIM) == []


def test_the_comment_form_records_the_identity_that_asked_when_its_link_is_followed(
    article, publish_at_once
):
    comment = post_guest_comment(article, policy=publish_at_once, email="amal@example.org")

    ask_from_comment(comment)
    [link] = confirmation_links("amal@example.org")
    Client().post(link)

    [subscription] = Subscription.objects.all()
    assert subscription.kind == Subscription.Kind.REPLIES
    assert subscription.is_active
    assert subscription.commenter == comment.commenter


@pytest.mark.parametrize("first", ["impostor", "victim"])
def test_the_confirmed_subscription_follows_whoever_asked_for_the_link_the_owner_followed(
    client, article, publish_at_once, mailbox, first
):
    from tests.identity.test_comment_form_sign_in import sign_in

    nadia = signed_in(provider="google", subject="g-1", email=VICTIM, verified=False)
    own = comment_as(nadia, article, publish_at_once, "My own words.")
    impostor = post_guest_comment(
        article, "Words Nadia never wrote.", policy=publish_at_once, email=VICTIM
    )
    sign_in(client, nadia)

    def victim_asks() -> None:  # signed in, from the "Follow this story" page
        client.post(
            f"/notifications/follow/{article.pk}/",
            {"email": VICTIM, "what": Subscription.Kind.REPLIES, "frequency": "instant"},
        )

    asks = [lambda: ask_from_comment(impostor), victim_asks]
    for ask in asks if first == "impostor" else reversed(asks):
        ask()
    [subscription] = Subscription.objects.all()
    assert not subscription.is_active
    assert subscription.commenter is None  # pending: nobody's comments yet
    links = confirmation_links(VICTIM)
    impostors_link, nadias_link = links if first == "impostor" else reversed(links)

    Client().post(nadias_link)
    subscription.refresh_from_db()
    assert subscription.is_active
    assert subscription.commenter == nadia
    # She may click every link in her mailbox: the impostor's, later, changes nothing.
    Client().post(impostors_link)
    subscription.refresh_from_db()
    assert subscription.commenter == nadia

    deliver_all()
    mailbox.messages.clear()  # the two confirmation emails

    post_guest_comment(article, "Answering the impostor.", policy=publish_at_once, parent=impostor)
    post_guest_comment(article, "Answering Nadia.", policy=publish_at_once, parent=own)
    deliver_all()
    [message] = mailbox.to(VICTIM)
    assert "replied to your comment" in message["Subject"]
    assert "Answering Nadia." in message.get_body(preferencelist=("plain",)).get_content()


def test_a_link_asked_for_without_an_identity_starts_a_subscription_that_follows_none(
    client, article, publish_at_once
):
    nadia = signed_in(provider="google", subject="g-1", email=VICTIM, verified=False)
    ask_from_comment(comment_as(nadia, article, publish_at_once, "Mine."))
    Client().post(
        f"/notifications/follow/{article.pk}/",
        {"email": VICTIM, "what": Subscription.Kind.REPLIES, "frequency": "instant"},
    )
    _nadias_link, anonymous_link = confirmation_links(VICTIM)

    Client().post(anonymous_link)

    [subscription] = Subscription.objects.all()
    assert subscription.is_active
    assert subscription.commenter is None


def test_a_signed_in_reader_following_a_story_follows_replies_to_their_own_comments(
    client, article, publish_at_once, mailbox
):
    from tests.identity.test_comment_form_sign_in import sign_in

    nadia = signed_in(provider="google", subject="g-1", email=VICTIM, verified=True)
    sign_in(client, nadia)
    client.post(
        f"/notifications/follow/{article.pk}/",
        {"email": VICTIM, "what": Subscription.Kind.REPLIES, "frequency": "instant"},
    )
    [subscription] = Subscription.objects.all()
    assert subscription.commenter == nadia
    assert subscription.is_active  # her own verified address: nothing to confirm
    own = comment_as(nadia, article, publish_at_once, "Following my own thread.")

    post_guest_comment(article, policy=publish_at_once, parent=own)
    deliver_all()

    [message] = mailbox.to(VICTIM)
    assert "replied to your comment" in message["Subject"]


# A guest is keyed by the address it typed (one Commenter row per address), so a guest's
# "identity" is that address: the comment a subscription was asked from is what counts.


def replies_in(mailbox, address: str) -> list[str]:
    """The plain text of the reply notices ``address`` received."""
    return [
        m.get_body(preferencelist=("plain",)).get_content()
        for m in mailbox.to(address)
        if "replied to your comment" in m["Subject"]
    ]


def test_a_guest_hears_of_replies_to_their_own_comment_but_not_to_an_impostors_with_their_address(
    article, publish_at_once, mailbox
):
    own = post_guest_comment(article, "My own words.", policy=publish_at_once, email=VICTIM)
    ask_from_comment(own)
    [link] = confirmation_links(VICTIM)
    Client().post(link)
    impostor = post_guest_comment(
        article, "Words Nadia never wrote.", policy=publish_at_once, email="Nadia@Example.org"
    )
    assert impostor.commenter_id == own.commenter_id  # the same guest row
    ask_from_comment(impostor)  # already subscribed: no email, and nothing changes
    assert len(confirmation_links(VICTIM)) == 1
    deliver_all()
    mailbox.messages.clear()

    post_guest_comment(article, "Answering the impostor.", policy=publish_at_once, parent=impostor)
    deliver_all()
    assert mailbox.to(VICTIM) == []

    post_guest_comment(article, "Answering Nadia.", policy=publish_at_once, parent=own)
    deliver_all()
    [text] = replies_in(mailbox, VICTIM)
    assert "Answering Nadia." in text
    assert "My own words." in text


def test_a_guest_who_follows_their_own_link_does_not_follow_the_comment_an_impostor_asked_from(
    article, publish_at_once, mailbox
):
    impostor = post_guest_comment(
        article, "Words Nadia never wrote.", policy=publish_at_once, email=VICTIM
    )
    ask_from_comment(impostor)  # first: the pending subscription is the impostor's request
    own = post_guest_comment(article, "My own words.", policy=publish_at_once, email=VICTIM)
    ask_from_comment(own)
    impostors_link, nadias_link = confirmation_links(VICTIM)

    Client().post(nadias_link)
    Client().post(impostors_link)  # she clicks every link she got: the later one changes nothing
    deliver_all()
    mailbox.messages.clear()
    post_guest_comment(article, "Answering the impostor.", policy=publish_at_once, parent=impostor)
    post_guest_comment(article, "Answering Nadia.", policy=publish_at_once, parent=own)
    deliver_all()

    [message] = mailbox.to(VICTIM)
    assert "Answering Nadia." in message.get_body(preferencelist=("plain",)).get_content()


def test_a_guest_who_commented_twice_before_confirming_follows_the_comment_of_the_first_link(
    article, publish_at_once, mailbox
):
    # The two links read alike, and one of them may be an impostor's: only the link that
    # starts the subscription says which comment it follows.
    first = post_guest_comment(article, "First thoughts.", policy=publish_at_once, email=VICTIM)
    ask_from_comment(first)
    second = post_guest_comment(article, "Second thoughts.", policy=publish_at_once, email=VICTIM)
    ask_from_comment(second)
    first_link, second_link = confirmation_links(VICTIM)
    Client().post(second_link)
    Client().post(first_link)
    deliver_all()
    mailbox.messages.clear()

    for parent in (first, second):
        post_guest_comment(article, f"Re: {parent.pk}", policy=publish_at_once, parent=parent)
    deliver_all()

    [text] = replies_in(mailbox, VICTIM)
    assert "Second thoughts." in text


def test_a_guest_following_every_comment_hears_of_a_reply_to_an_impostor_as_a_plain_comment(
    article, publish_at_once, mailbox
):
    own = post_guest_comment(article, "My own words.", policy=publish_at_once, email=VICTIM)
    actions.subscribe_from_comment(
        comment=own, notify_replies=False, notify_all_comments=True, notify_posts=False
    )
    Client().post(confirmation_links(VICTIM)[0])
    impostor = post_guest_comment(article, policy=publish_at_once, email=VICTIM)
    deliver_all()
    mailbox.messages.clear()

    post_guest_comment(article, policy=publish_at_once, name="Omar", parent=impostor)
    post_guest_comment(article, policy=publish_at_once, name="Layla", parent=own)
    deliver_all()

    omar, layla = mailbox.to(VICTIM)
    assert omar["Subject"].startswith("New comment by Omar")
    assert layla["Subject"].startswith("Layla replied to your comment")
