"""Readers report comments (issue #14, point 4): a page with reasons, no account and no
JavaScript needed; counted once per reader; enough reports from different readers hold the
comment and a moderator is told once; the queue shows why (not who) and can dismiss them."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from dateline.discussion import actions
from dateline.discussion.models import Comment, DiscussionSettings, Report
from dateline.notifications.models import OutboundMessage
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

QUEUE = "/admin/discussion/comments/"
MODERATE = "/admin/discussion/comments/moderate/"


@pytest.fixture
def article(section):
    return make_article(section, title="Council votes to rebuild the covered market")


@pytest.fixture
def comment(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    return post_guest_comment(article, "Everyone on the council is a crook.", policy=policy)


@pytest.fixture
def moderator() -> User:
    user = User.objects.create_user("mona", "mona@newsroom.example", "pw-mona-123")
    user.groups.add(Group.objects.get(name="Comment moderators"))
    return user


def report(comment: Comment, ip: str, reason: str = "abuse", note: str = "") -> object:
    reader = Client(REMOTE_ADDR=ip)
    return reader.post(f"/comments/{comment.pk}/report/", {"reason": reason, "note": note})


def test_every_shown_comment_has_a_report_link_to_a_page_that_needs_no_script(article, comment):
    page = Client().get(article.url).content.decode()
    assert f'href="/comments/{comment.pk}/report/"' in page
    assert 'aria-label="Report the comment by ' in page

    form = Client().get(f"/comments/{comment.pk}/report/")

    assert form.status_code == HTTPStatus.OK
    text = form.content.decode()
    for reason in ("Spam", "Abuse or harassment", "Off-topic", "Something else"):
        assert reason in text
    assert 'type="radio"' in text
    assert "Everyone on the council is a crook." in text
    assert "<script" not in text.split("<main", 1)[-1].split("</main>")[0]


def test_three_readers_hold_the_comment_and_a_moderator_is_told_once(article, comment, moderator):
    for n, ip in enumerate(("198.51.100.1", "198.51.100.2")):
        answer = report(comment, ip, note=f"note {n}")
        assert answer.status_code == HTTPStatus.OK
        assert "Your report has reached the moderators." in answer.content.decode()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED

    report(comment, "198.51.100.3", reason="spam")

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert {"code": "reported", "count": 3} in comment.moderation_reasons
    notices = OutboundMessage.objects.filter(category=OutboundMessage.Category.MODERATION)
    assert list(notices.values_list("recipient", flat=True)) == ["mona@newsroom.example"]
    # Held, it leaves the page at once, and it can no longer be reported.
    assert "Everyone on the council is a crook." not in Client().get(article.url).content.decode()
    assert report(comment, "198.51.100.4").status_code == HTTPStatus.NOT_FOUND
    assert notices.count() == 1


def test_one_reader_counts_once_and_learns_nothing_from_reporting_again(comment):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, reports_to_hold=2)
    first = report(comment, "203.0.113.5")
    again = report(comment, "203.0.113.5", reason="spam")

    assert first.content == again.content
    assert Report.objects.filter(comment=comment).count() == 1
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED


def test_a_signed_guest_counts_once_from_any_address(article, comment):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, reports_to_hold=2)
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, reports_to_hold=2)
    mine = post_guest_comment(article, "I was there.", policy=policy, email="rami@example.org")
    for ip in ("192.0.2.10", "192.0.2.11"):
        reader = Client(REMOTE_ADDR=ip)
        reader.cookies["dateline_guest"] = mine.guest_token
        reader.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})

    assert Report.objects.filter(comment=comment).count() == 1


def test_a_report_needs_a_reason_and_a_shown_comment(article, comment):
    missing = Client().post(f"/comments/{comment.pk}/report/", {"note": "bad"})
    assert missing.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose why you are reporting this comment." in missing.content.decode()

    actions.set_status(comments=[comment], status=Comment.Status.TRASH, moderator=None)
    assert Client().get(f"/comments/{comment.pk}/report/").status_code == HTTPStatus.NOT_FOUND
    assert Client().get("/comments/999999/report/").status_code == HTTPStatus.NOT_FOUND
    assert not Report.objects.exists()


def test_reports_are_rate_limited_per_address_with_retry_after(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, reports_to_hold=100)
    comments = [
        post_guest_comment(article, f"Comment number {n}.", policy=policy) for n in range(21)
    ]
    answers = [report(c, "192.0.2.200").status_code for c in comments]

    assert answers[:20] == [HTTPStatus.OK] * 20
    assert answers[20] == HTTPStatus.TOO_MANY_REQUESTS
    limited = report(comments[0], "192.0.2.200")
    assert int(limited["Retry-After"]) > 0
    assert "You can try again in" in limited.content.decode()


def test_the_queue_shows_why_not_who_and_dismisses(comment, moderator):
    report(comment, "198.51.100.7", note="Calls people crooks")
    report(comment, "198.51.100.8")
    client = Client()
    client.force_login(moderator)

    page = client.get(QUEUE + "?status=approved").content.decode()

    assert "Reported by readers:" in page
    assert "Abuse or harassment (2)" in page
    assert "Calls people crooks" in page
    assert "198.51.100.7" not in page
    assert f'value="dismiss:{comment.pk}"' in page

    client.post(MODERATE, {"row": f"dismiss:{comment.pk}"})

    assert not Report.objects.filter(comment=comment, dismissed_at=None).exists()
    assert "Reported by readers:" not in client.get(QUEUE + "?status=approved").content.decode()
    # Dismissed reports no longer count toward holding it.
    report(comment, "198.51.100.9")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
