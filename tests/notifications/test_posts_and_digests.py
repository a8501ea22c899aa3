"""New stories (at once, daily, weekly; whole site or sections) and comment digests."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone
from wagtail.models import Revision

from dateline.discussion import actions as discussion
from dateline.discussion import targets
from dateline.newsroom import actions as newsroom
from dateline.newsroom.models import ArticlePage
from dateline.notifications import actions, digests, fanout
from dateline.notifications.models import DigestItem, FanOut, OutboundMessage, Subscription
from dateline.server import scheduler
from tests.factories import make_article, post_guest_comment
from tests.notifications.support import active_subscription, deliver_all, hide_story, outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def sport(home):
    return newsroom.create_section(parent=home, title="Sport", slug="sport")


def test_a_new_story_reaches_site_and_section_subscribers_but_not_other_sections(
    section, sport, mailbox
):
    active_subscription("everything@example.org", Subscription.Kind.POSTS)
    active_subscription("world@example.org", Subscription.Kind.POSTS, section=section)
    active_subscription("sport@example.org", Subscription.Kind.POSTS, section=sport)

    article = make_article(section, title="Floods recede in the south", standfirst="Roads open.")
    deliver_all()

    assert sorted(m["To"] for m in mailbox.messages) == [
        "everything@example.org",
        "world@example.org",
    ]
    message = mailbox.to("world@example.org")[0]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert message["Subject"] == "New on Test Gazette: Floods recede in the south"
    assert f"{settings.BASE_URL}{article.url}" in text
    assert "Roads open." in text
    assert message["List-Unsubscribe"]


def test_republishing_a_story_announces_nothing_new(section, mailbox):
    active_subscription("everything@example.org", Subscription.Kind.POSTS)
    article = make_article(section, title="First version")
    deliver_all()

    newsroom.update_article(article=article, title="Second version", body=[], publish=True)
    newsroom.add_correction(article=article, text="A name was misspelt.")
    deliver_all()

    assert len(mailbox.messages) == 1
    assert FanOut.objects.filter(kind=FanOut.Kind.POST).count() == 1


def test_a_draft_or_a_story_scheduled_for_later_is_announced_when_the_scheduler_publishes_it(
    section, mailbox
):
    active_subscription("everything@example.org", Subscription.Kind.POSTS)
    draft = make_article(section, title="Draft only", publish=False)
    scheduled = make_article(section, title="Embargoed until noon", publish=False)
    later = timezone.now() + datetime.timedelta(hours=1)
    scheduled.go_live_at = later
    revision = scheduled.save_revision(approved_go_live_at=later)
    revision.publish()
    deliver_all()
    assert mailbox.messages == []
    assert not draft.live

    # Noon comes: the revision's go-live time is now in the past.
    past = timezone.now() - datetime.timedelta(seconds=1)
    revision = Revision.objects.get(pk=revision.pk)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    scheduler.publish_due_pages()
    deliver_all()

    [message] = mailbox.messages
    assert "Embargoed until noon" in message["Subject"]


def test_a_story_whose_announcement_was_missed_is_announced_by_the_scheduler_sweep(
    section, mailbox
):
    active_subscription("everything@example.org", Subscription.Kind.POSTS)
    article = make_article(section, title="Published while the handler failed")
    # As if the process had died between Wagtail's commit and ours.
    FanOut.objects.filter(event_key=f"post:{article.pk}").delete()

    actions.announce_missed_posts()
    actions.announce_missed_posts()
    deliver_all()

    assert len(mailbox.messages) == 1


def test_a_big_list_is_fanned_out_in_batches_with_one_message_per_reader(section, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    count = fanout.INLINE_BATCH + 150
    for n in range(count):
        active_subscription(f"reader{n}@example.org", Subscription.Kind.POSTS)

    article = make_article(section, title="A story for everyone")
    inline = OutboundMessage.objects.count()
    while fanout.process_pending(max_batches=1, limit=60):
        pass

    assert inline == fanout.INLINE_BATCH  # the rest was left to the worker
    assert OutboundMessage.objects.filter(event_key=f"post:{article.pk}").count() == count
    assert OutboundMessage.objects.values("recipient").distinct().count() == count
    assert FanOut.objects.get(event_key=f"post:{article.pk}").finished_at is not None


def test_the_delivery_loop_keeps_to_the_per_minute_pace(section, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.DATELINE_EMAIL_PER_MINUTE = 3
    for n in range(5):
        active_subscription(f"reader{n}@example.org", Subscription.Kind.POSTS)
    make_article(section)

    assert deliver_all() == 3
    assert len(outbox(status=OutboundMessage.Status.QUEUED)) == 2


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def test_a_daily_digest_carries_the_days_comments_once_and_later_ones_wait_for_tomorrow(
    section, publish_at_once, mailbox
):
    article = make_article(section, title="Market day")
    thread = discussion.thread_for_article(article=article)
    active_subscription(
        "digest@example.org",
        Subscription.Kind.COMMENTS,
        thread=thread,
        frequency=Subscription.Frequency.DAILY,
    )
    first = post_guest_comment(article, "Prices were up.", policy=publish_at_once)
    second = post_guest_comment(article, "Not for bread.", policy=publish_at_once, parent=first)
    today = timezone.localdate()
    cut = local(today, settings.DATELINE_DIGEST_HOUR)
    DigestItem.objects.update(created_at=cut - datetime.timedelta(hours=2))
    deliver_all()
    assert mailbox.messages == []  # nothing at once for a digest reader

    assert digests.run_due(now=cut + datetime.timedelta(minutes=1)) == 1
    assert digests.run_due(now=cut + datetime.timedelta(minutes=30)) == 0  # idempotent
    third = post_guest_comment(article, "Fish was cheap.", policy=publish_at_once)
    assert digests.run_due(now=cut + datetime.timedelta(hours=2)) == 0  # after the cut: tomorrow
    deliver_all()

    [message] = mailbox.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "daily digest" in message["Subject"]
    assert "Prices were up." in text
    assert "Not for bread." in text
    assert f"/comments/{second.pk}/" in text
    assert "Fish was cheap." not in text
    assert OutboundMessage.objects.get().event_key == f"digest:daily:{today.isoformat()}"

    tomorrow = cut + datetime.timedelta(days=1, minutes=1)
    assert digests.run_due(now=tomorrow) == 1
    deliver_all()
    assert "Fish was cheap." in mailbox.messages[1].get_body(("plain",)).get_content()
    assert third.pk


def test_a_weekly_digest_lists_the_weeks_new_stories(section, mailbox):
    active_subscription(
        "weekly@example.org", Subscription.Kind.POSTS, frequency=Subscription.Frequency.WEEKLY
    )
    make_article(section, title="Monday story")
    make_article(section, title="Thursday story")
    deliver_all()
    assert mailbox.messages == []

    today = timezone.localdate()
    days_ahead = (settings.DATELINE_DIGEST_WEEKDAY - today.weekday()) % 7 or 7
    next_cut = local(today + datetime.timedelta(days=days_ahead), settings.DATELINE_DIGEST_HOUR)
    assert digests.run_due(now=next_cut + datetime.timedelta(minutes=5)) == 1
    assert digests.run_due(now=next_cut + datetime.timedelta(days=1)) == 0
    deliver_all()

    [message] = mailbox.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "weekly digest" in message["Subject"]
    assert "Monday story" in text
    assert "Thursday story" in text


def test_a_digest_leaves_out_a_comment_withdrawn_meanwhile(section, publish_at_once, mailbox):
    article = make_article(section)
    thread = discussion.thread_for_article(article=article)
    active_subscription(
        "digest@example.org",
        Subscription.Kind.COMMENTS,
        thread=thread,
        frequency=Subscription.Frequency.DAILY,
    )
    comment = post_guest_comment(article, "Soon regretted.", policy=publish_at_once)
    discussion.set_status(comments=[comment], status="trash", moderator=None)

    assert digests.run_due(now=timezone.now() + datetime.timedelta(days=1)) == 0
    assert DigestItem.objects.get().digest_key.startswith("digest:daily:")


def queued_daily_digest(section, policy, *bodies: str):
    """A daily digest subscriber, comments that waited for the cut-off, and the digest row
    written at the cut-off — queued, not yet sent."""
    article = make_article(section, title="Harbour news")
    thread = discussion.thread_for_article(article=article)
    active_subscription(
        "digest@example.org",
        Subscription.Kind.COMMENTS,
        thread=thread,
        frequency=Subscription.Frequency.DAILY,
    )
    comments = [post_guest_comment(article, body, policy=policy) for body in bodies]
    cut = local(timezone.localdate(), settings.DATELINE_DIGEST_HOUR)
    DigestItem.objects.update(created_at=cut - datetime.timedelta(hours=1))
    assert digests.run_due(now=cut + datetime.timedelta(minutes=1)) == 1
    [row] = outbox(category=OutboundMessage.Category.DIGEST)
    assert row.status == OutboundMessage.Status.QUEUED
    return comments, row


def test_a_comment_removed_after_the_digest_row_was_written_is_not_in_the_digest_sent(
    section, publish_at_once, mailbox
):
    (kept, removed), row = queued_daily_digest(
        section, publish_at_once, "The quay is busy again.", "Regret this one."
    )
    assert "Regret this one." in row.text  # it was approved when the digest was written

    discussion.set_status(comments=[removed], status="trash", moderator=None)
    deliver_all()

    [message] = mailbox.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "The quay is busy again." in text
    assert f"/comments/{kept.pk}/" in text
    assert "Regret this one." not in text
    assert "Regret this one." not in html
    assert f"/comments/{removed.pk}/" not in html
    assert "(1 new item)" in message["Subject"]
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.SENT
    assert message["Message-ID"] == row.message_id  # the same message, written again
    assert "Regret this one." not in row.text  # the outbox shows what was really sent


@pytest.mark.parametrize("removal", ["trash", "spam", "deleted"])
def test_a_digest_whose_every_comment_was_removed_before_it_left_is_not_sent(
    section, publish_at_once, mailbox, removal
):
    (only,), row = queued_daily_digest(section, publish_at_once, "Soon gone.")

    if removal == "deleted":
        only.delete()
    else:
        discussion.set_status(comments=[only], status=removal, moderator=None)
    deliver_all()

    assert mailbox.messages == []
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.CANCELLED


@pytest.mark.parametrize("how", ["unpublished", "private", "expired"])
def test_a_digest_leaves_out_comments_on_a_story_readers_can_no_longer_see(
    section, publish_at_once, mailbox, how
):
    hidden = make_article(section, title="Soon withdrawn")
    shown = make_article(section, title="Still there")
    for article in (hidden, shown):
        active_subscription(
            "digest@example.org",
            Subscription.Kind.COMMENTS,
            thread=discussion.thread_for_article(article=article),
            frequency=Subscription.Frequency.DAILY,
        )
    post_guest_comment(hidden, "Said under the withdrawn story.", policy=publish_at_once)
    post_guest_comment(shown, "Said under the story still there.", policy=publish_at_once)
    hide_story(hidden, how)

    assert digests.run_due(now=timezone.now() + datetime.timedelta(days=1)) == 1
    deliver_all()

    [message] = mailbox.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Said under the story still there." in text
    assert "Said under the withdrawn story." not in text + html
    assert "Soon withdrawn" not in text + html
    assert "(1 new item)" in message["Subject"]


@pytest.mark.parametrize("how", ["unpublished", "private", "expired"])
def test_a_queued_digest_whose_story_was_hidden_before_it_left_is_not_sent(
    section, publish_at_once, mailbox, how
):
    (_comment,), row = queued_daily_digest(section, publish_at_once, "Said too soon.")
    assert "Said too soon." in row.text

    hide_story(ArticlePage.objects.get(title="Harbour news"), how)
    deliver_all()

    assert mailbox.messages == []
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.CANCELLED


def test_a_digest_keeps_comments_on_an_embedding_sites_page(section, publish_at_once, mailbox):
    origin = "https://partner.example.com"
    publish_at_once.embed_origins = origin
    publish_at_once.save()
    thread = discussion.ensure_thread(
        targets.embedded_page(
            origin=origin,
            allowed_origins=[origin],
            page_url=f"{origin}/story.html",
            title="Partner story",
        )
    )
    active_subscription(
        "digest@example.org",
        Subscription.Kind.COMMENTS,
        thread=thread,
        frequency=Subscription.Frequency.DAILY,
    )
    discussion.post_comment(
        target=targets.of_thread(thread),
        body="Said on the partner's page.",
        policy=publish_at_once,
        meta=discussion.RequestMeta(ip_address="192.0.2.1"),
        author=discussion.Guest(name="Layla", email="layla@example.org"),
    )

    assert digests.run_due(now=timezone.now() + datetime.timedelta(days=1)) == 1
    deliver_all()

    [message] = mailbox.messages
    assert "Said on the partner's page." in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("how", ["unpublished", "private", "expired"])
def test_a_new_story_notice_whose_story_was_hidden_before_it_left_is_not_sent(
    section, mailbox, how
):
    active_subscription("news@example.org", Subscription.Kind.POSTS)
    article = make_article(section, title="Announced too soon")
    [row] = outbox()

    hide_story(article, how)
    deliver_all()

    assert mailbox.messages == []
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.CANCELLED
    assert row.last_error == "The story is no longer published."
