"""A guest's rights without an account (issue #14, point 1; docs/privacy.md): ask for a link
by email, then download everything about the address as JSON, or erase it. The answer never
says whether the address is known; the link is rate-limited, works until it expires, and is
used up by erasing."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from dateline.discussion.models import Comment, Commenter, DiscussionSettings
from dateline.identity import rights
from dateline.notifications import delivery
from dateline.notifications.models import OutboundMessage, Subscriber, Subscription
from tests.factories import discussion_policy, make_article, post_guest_comment
from tests.notifications.support import active_subscription

pytestmark = pytest.mark.django_db

ADDRESS = "samira.haddad@example.org"


@pytest.fixture
def stories(section):
    return (
        make_article(section, title="Bridge repairs close the river road"),
        make_article(section, title="A new market opens by the old station"),
    )


@pytest.fixture
def guest(stories):
    """A guest who commented twice (once held) and subscribed once."""
    first, second = stories
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    one = post_guest_comment(
        first, "The detour adds an hour.", policy=policy, name="Samira", email=ADDRESS,
        ip="198.51.100.23",
    )  # fmt: skip
    held = discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    two = post_guest_comment(
        second, "Will there be parking?", policy=held, name="Samira", email=ADDRESS,
        token=one.guest_token, ip="198.51.100.24",
    )  # fmt: skip
    active_subscription(ADDRESS, Subscription.Kind.COMMENTS, thread=one.thread)
    return one, two


def link_for(client: Client, email: str) -> str:
    delivery.deliver_due(max_messages=100)
    mail.outbox.clear()
    answer = client.post("/identity/data/", {"email": email})
    assert answer.status_code == HTTPStatus.OK, answer.content[:400]
    delivery.deliver_due(max_messages=10)
    (message,) = mail.outbox
    assert message.to == [email]
    return re.search(r"http://[^/\s]+(/identity/data/\S+/)", message.body).group(1)


def test_a_guest_downloads_everything_about_their_address_and_then_erases_it(guest, stories):
    one, two = guest
    reader = Client()
    # The guest also reported someone else's comment, from their own browser.
    other = post_guest_comment(
        stories[0], "Buy cheap watches.",
        policy=discussion_policy(mode=DiscussionSettings.Mode.PUBLISH),
    )  # fmt: skip
    reporter = Client()
    reporter.cookies["dateline_guest"] = one.guest_token
    reporter.post(f"/comments/{other.pk}/report/", {"reason": "spam"})
    path = link_for(reader, ADDRESS)

    page = reader.get(path)
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "2 comments" in text
    assert "1 email subscription" in text
    assert ADDRESS in text

    download = reader.post(path, {"action": "export"})
    assert download.status_code == HTTPStatus.OK
    assert "attachment" in download["Content-Disposition"]
    data = json.loads(download.content)
    assert data["format"] == "dateline-address-export/1"
    assert data["address"] == ADDRESS
    comments = [c for identity in data["identities"] for c in identity["comments"]]
    assert {c["comment"] for c in comments} == {
        "The detour adds an hour.",
        "Will there be parking?",
    }
    assert {c["status"] for c in comments} == {"approved", "pending"}
    assert {c["ip_address"] for c in comments} == {"198.51.100.23", "198.51.100.24"}
    assert {c["page_title"] for c in comments} == {s.title for s in stories}
    assert all(c["posted"] for c in comments)
    assert [s["kind"] for s in data["subscriptions"]] == ["comments"]
    reports = [r for identity in data["identities"] for r in identity["reports"]]
    assert [(r["comment"], r["reason"]) for r in reports] == [(other.pk, "spam")]

    refused = reader.post(path, {"action": "erase"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST  # the box was not ticked
    assert Commenter.objects.filter(subject=ADDRESS).exists()

    erased = reader.post(path, {"action": "erase", "confirm": "on"})

    assert erased.status_code == HTTPStatus.OK
    assert "2 comments now show" in erased.content.decode()
    assert not Commenter.objects.filter(subject=ADDRESS).exists()
    assert not Subscriber.objects.filter(email=ADDRESS).exists()
    assert not OutboundMessage.objects.filter(recipient__iexact=ADDRESS).exists()
    for comment in (one, two):
        comment.refresh_from_db()
        assert comment.author_name == "Former reader"
        assert comment.ip_address is None
        assert comment.user_agent == ""
    # Anonymised, as the site's default policy says: the approved text stays on the story.
    assert Comment.objects.get(pk=one.pk).body == "The detour adds an hour."
    # The link is used up.
    assert reader.get(path).status_code == HTTPStatus.BAD_REQUEST
    assert rights.export_address(ADDRESS)["identities"] == []


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(guest):
    known = Client().post("/identity/data/", {"email": ADDRESS})
    unknown = Client().post("/identity/data/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == HTTPStatus.OK
    assert known.content.decode().replace(ADDRESS, "X") == unknown.content.decode().replace(
        "nobody@example.org", "X"
    )
    # A link goes to both; for the unknown one it shows there is nothing.
    path = link_for(Client(), "nobody@example.org")
    assert "0 comments" in Client().get(path).content.decode()


def test_asking_too_often_is_a_429_with_retry_after_per_address_and_per_ip():
    reader = Client()
    for _ in range(3):
        assert reader.post("/identity/data/", {"email": ADDRESS}).status_code == HTTPStatus.OK

    limited = reader.post("/identity/data/", {"email": ADDRESS})

    assert limited.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(limited["Retry-After"]) > 0
    assert "try again in" in limited.content.decode()
    for n in range(7):
        reader.post("/identity/data/", {"email": f"other{n}@example.org"})
    assert (
        reader.post("/identity/data/", {"email": "eleventh@example.org"}).status_code
        == HTTPStatus.TOO_MANY_REQUESTS
    )


def test_a_bad_address_or_a_bad_link_is_explained():
    answer = Client().post("/identity/data/", {"email": "not an address"})
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter a valid email address." in answer.content.decode()

    forged = Client().get("/identity/data/not-a-real-token/")
    assert forged.status_code == HTTPStatus.BAD_REQUEST
    assert "This link is not valid" in forged.content.decode()


def test_opening_the_link_changes_nothing_and_only_a_post_erases(guest):
    path = link_for(Client(), ADDRESS)
    for _ in range(3):
        Client().get(path)
    assert Commenter.objects.filter(subject=ADDRESS).exists()


def test_every_page_links_to_your_data(client, stories):
    assert 'href="/identity/data/"' in client.get(stories[0].url).content.decode()
