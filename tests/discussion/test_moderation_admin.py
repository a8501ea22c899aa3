"""The moderation queue and bans in the Wagtail admin, driven over HTTP as a moderator would."""

import datetime
import json
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from dateline.discussion import actions, reasons
from dateline.discussion.models import Ban, Comment, DiscussionSettings
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

QUEUE = "/admin/discussion/comments/"
MODERATE = "/admin/discussion/comments/moderate/"
REPORT_TASK = "dateline.discussion.tasks.report_to_spam_checkers"


@pytest.fixture
def article(section):
    return make_article(section, title="Harbour cranes return after the strike")


@pytest.fixture
def held(article):
    return discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)


@pytest.fixture
def moderator():
    user = User.objects.create_user("mona", "mona@newsroom.example", "pw-mona-123")
    user.groups.add(Group.objects.get(name="Comment moderators"))
    return user


@pytest.fixture
def moderator_client(moderator):
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def editor_client():
    """Someone who may use the admin (an editor) but not moderate comments."""
    user = User.objects.create_user("eddie", "eddie@newsroom.example", "pw-eddie-123")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(user)
    return client


def rows(response) -> list[int]:
    return [
        int(pk) for pk in re.findall(r'name="comment" value="(\d+)"', response.content.decode())
    ]


def refreshed(*comments):
    for comment in comments:
        comment.refresh_from_db()
    return comments


def test_the_migration_gives_comment_moderators_the_queue_the_bans_and_the_admin():
    group = Group.objects.get(name="Comment moderators")

    codenames = set(group.permissions.values_list("codename", flat=True))

    assert {
        "access_admin",
        "change_comment",
        "view_comment",
        "add_ban",
        "change_ban",
        "delete_ban",
        "view_ban",
    } <= codenames
    assert "change_discussionsettings" not in codenames


def test_the_queue_opens_on_waiting_comments_newest_first_with_what_a_moderator_needs(
    article, held, moderator_client
):
    older = post_guest_comment(
        article, "First, with a [link](https://example.org).", policy=held, ip="203.0.113.9"
    )
    newer = post_guest_comment(
        article, "Second **thought**.", policy=held, name="Salma", email="salma@example.org"
    )
    approved = post_guest_comment(
        article, "Already out.", policy=discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    )

    response = moderator_client.get(QUEUE)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert rows(response) == [newer.pk, older.pk]
    assert approved.pk not in rows(response)
    assert "<strong>thought</strong>" in html  # the sanitised HTML, not the source
    assert 'href="https://example.org" rel="nofollow ugc noopener"' in html
    assert "salma@example.org" in html
    assert "203.0.113.9" in html
    assert "every comment is held" in html  # moderation_reasons
    assert "Harbour cranes return after the strike" in html
    assert "Spam score 0.0" in html


def test_the_queue_filters_by_status_story_author_ip_and_search(
    section, article, held, moderator_client
):
    other_story = make_article(section, title="Rain expected over the weekend")
    amal = post_guest_comment(
        article, "Cranes at last.", policy=held, name="Amal", email="amal@example.org"
    )
    omar = post_guest_comment(
        other_story, "Bring umbrellas.", policy=held, name="Omar", ip="198.51.100.20"
    )
    publish = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    shown = post_guest_comment(other_story, "Sunny here.", policy=publish)

    def listed(query: str) -> list[int]:
        return rows(moderator_client.get(QUEUE + query))

    assert listed("?status=approved") == [shown.pk]
    assert set(listed("?status=all")) == {amal.pk, omar.pk, shown.pk}
    assert listed(f"?thread={amal.thread_id}") == [amal.pk]
    assert listed(f"?commenter={omar.commenter_id}") == [omar.pk]
    assert listed("?author=amal%40example") == [amal.pk]
    assert listed("?author=Omar") == [omar.pk]
    assert listed("?story=umbrella") == []
    assert listed("?story=Rain+expected") == [omar.pk]
    assert listed("?ip=198.51.100.") == [omar.pk]
    assert listed("?q=umbrellas") == [omar.pk]
    assert listed("?thread=999999") == []
    assert moderator_client.get(QUEUE + "?status=nonsense").status_code == HTTPStatus.OK
    results = moderator_client.get(QUEUE + "results/?author=Amal")
    assert results.status_code == HTTPStatus.OK
    assert rows(results) == [amal.pk]


def test_the_queue_is_paginated_and_costs_the_same_queries_for_few_or_many_comments(
    article, held, moderator_client
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert moderator_client.get(QUEUE).status_code == HTTPStatus.OK
        return len(captured)

    for _ in range(3):
        post_guest_comment(article, policy=held)
    few = queries()
    for _ in range(27):
        post_guest_comment(article, policy=held)
    many = queries()
    second_page = moderator_client.get(QUEUE + "?p=2")

    assert many == few
    assert len(rows(moderator_client.get(QUEUE))) == 25
    assert len(rows(second_page)) == 5


def test_bulk_approve_publishes_the_ticked_comments_and_moves_every_counter(
    article, held, moderator_client, moderator
):
    first, second, untouched = (post_guest_comment(article, policy=held) for _ in range(3))

    response = moderator_client.post(
        MODERATE,
        {"action": "approve", "comment": [first.pk, second.pk], "next": QUEUE + "?status=pending"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == QUEUE + "?status=pending"
    first, second, untouched = refreshed(first, second, untouched)
    assert (first.status, second.status, untouched.status) == ("approved", "approved", "pending")
    assert first.moderated_by == moderator
    first.thread.refresh_from_db()
    assert (first.thread.approved_count, first.thread.pending_count) == (2, 1)
    first.commenter.refresh_from_db()
    assert first.commenter.approved_comment_count == 1
    assert "2 comments approved." in [
        str(m).strip() for m in moderator_client.get(QUEUE).context["messages"]
    ]


def test_a_row_button_marks_one_comment_as_spam_and_queues_the_report_with_it(
    article, held, moderator_client
):
    spam, other = post_guest_comment(article, policy=held), post_guest_comment(article, policy=held)

    moderator_client.post(MODERATE, {"row": f"spam:{spam.pk}", "comment": [other.pk]})

    spam, other = refreshed(spam, other)
    assert (spam.status, other.status) == ("spam", "pending")
    task = DBTaskResult.objects.get(task_path=REPORT_TASK)
    assert task.args_kwargs["args"] == [spam.pk, "spam"]


def test_trash_and_back_to_pending_are_offered_per_row_and_in_bulk(article, held, moderator_client):
    comment = post_guest_comment(article, policy=held)

    moderator_client.post(MODERATE, {"action": "trash", "comment": [comment.pk]})
    (comment,) = refreshed(comment)
    assert comment.status == Comment.Status.TRASH
    html = moderator_client.get(QUEUE + "?status=trash").content.decode()
    assert f'value="pending:{comment.pk}"' in html
    assert f'value="trash:{comment.pk}"' not in html  # no button for the status it already has

    moderator_client.post(MODERATE, {"row": f"pending:{comment.pk}"})
    (comment,) = refreshed(comment)
    assert comment.status == Comment.Status.PENDING
    comment.thread.refresh_from_db()
    assert comment.thread.pending_count == 1


def test_moderating_nothing_or_nonsense_changes_nothing_and_never_fails(
    article, held, moderator_client
):
    comment = post_guest_comment(article, policy=held)

    for data in (
        {"action": "approve"},
        {"action": "publish-everything", "comment": [comment.pk]},
        {"row": "approve:not-a-number"},
        {"action": "approve", "comment": ["999999"]},
    ):
        assert moderator_client.post(MODERATE, data).status_code == HTTPStatus.FOUND
    (comment,) = refreshed(comment)
    assert comment.status == Comment.Status.PENDING
    assert moderator_client.get(MODERATE).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_next_address_cannot_send_a_moderator_off_site(article, held, moderator_client):
    comment = post_guest_comment(article, policy=held)

    response = moderator_client.post(
        MODERATE, {"row": f"approve:{comment.pk}", "next": "https://evil.example/"}
    )

    assert response["Location"] == QUEUE


def test_moderation_needs_the_csrf_token(article, held, moderator):
    comment = post_guest_comment(article, policy=held)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    response = client.post(MODERATE, {"row": f"approve:{comment.pk}"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    (comment,) = refreshed(comment)
    assert comment.status == Comment.Status.PENDING


def test_a_moderator_edits_a_comment_and_the_text_is_cleaned_again(
    article, held, moderator_client, moderator
):
    comment = post_guest_comment(article, "Call me on 555-0100 now.", policy=held)
    url = reverse("discussion_comments:edit", args=[comment.pk])

    page = moderator_client.get(url)
    response = moderator_client.post(
        url, {"body": "Call me. <script>alert(1)</script> *soon*", "next": QUEUE}
    )

    assert page.status_code == HTTPStatus.OK
    assert "Call me on 555-0100 now." in page.content.decode()
    assert response.status_code == HTTPStatus.FOUND
    (comment,) = refreshed(comment)
    assert comment.body.startswith("Call me.")
    assert "<script" not in comment.body_html
    assert "<em>soon</em>" in comment.body_html
    assert comment.moderated_by == moderator
    assert comment.status == Comment.Status.PENDING  # editing is not approving


def test_an_edit_that_breaks_the_rules_is_shown_back_with_the_reason(
    article, held, moderator_client
):
    discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL, max_length=100)
    comment = post_guest_comment(article, "Short.", policy=held)

    response = moderator_client.post(
        reverse("discussion_comments:edit", args=[comment.pk]), {"body": "x" * 101}
    )

    assert response.status_code == HTTPStatus.OK
    assert "101 characters" in response.content.decode()
    (comment,) = refreshed(comment)
    assert comment.body == "Short."


def test_editing_a_comment_that_does_not_exist_is_a_404(moderator_client):
    url = reverse("discussion_comments:edit", args=[999999])

    assert moderator_client.get(url).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("by", "extra", "expected_kind", "expected_value"),
    [
        ("email", {}, Ban.Kind.EMAIL, "troll@example.org"),
        ("ip", {"ip_range": "203.0.113.0/24"}, Ban.Kind.IP, "203.0.113.0/24"),
        ("commenter", {}, Ban.Kind.COMMENTER, ""),
    ],
)
def test_banning_the_author_from_the_queue_refuses_their_next_comment(
    article, held, moderator_client, moderator, by, extra, expected_kind, expected_value
):
    comment = post_guest_comment(
        article, "Rude words.", policy=held, email="troll@example.org", ip="203.0.113.50"
    )
    url = reverse("discussion_comments:ban", args=[comment.pk])

    assert moderator_client.get(url).status_code == HTTPStatus.OK
    response = moderator_client.post(
        url, {"by": by, "reason": "abuse", "duration": "7", "mark_spam": "on", **extra}
    )

    assert response.status_code == HTTPStatus.FOUND
    ban = Ban.objects.get()
    assert (ban.kind, ban.value, ban.created_by) == (expected_kind, expected_value, moderator)
    assert ban.expires_at > timezone.now() + datetime.timedelta(days=6)
    if by == "commenter":
        assert ban.commenter == comment.commenter
    (comment,) = refreshed(comment)
    assert comment.status == Comment.Status.SPAM
    with pytest.raises(actions.CommenterBanned):
        post_guest_comment(
            article, "Again.", policy=held, email="troll@example.org", ip="203.0.113.50"
        )


def test_a_bad_ip_range_is_explained_and_nothing_is_banned(article, held, moderator_client):
    comment = post_guest_comment(article, policy=held, ip="203.0.113.50")

    response = moderator_client.post(
        reverse("discussion_comments:ban", args=[comment.pk]),
        {"by": "ip", "ip_range": "203.0.113.0/99"},
    )

    assert response.status_code == HTTPStatus.OK
    assert "Enter an IP address or a range" in response.content.decode()
    assert not Ban.objects.exists()
    (comment,) = refreshed(comment)
    assert comment.status == Comment.Status.PENDING


def test_the_ban_list_creates_validates_and_removes_bans(moderator_client):
    index = reverse("discussion_bans:index")
    add = reverse("discussion_bans:add")

    invalid = moderator_client.post(add, {"kind": "ip", "value": "not an address"})
    created = moderator_client.post(
        add, {"kind": "ip", "value": " 198.51.100.0/24 ", "reason": "flood"}
    )
    ban = Ban.objects.get()
    listing = moderator_client.get(index)
    deleted = moderator_client.post(reverse("discussion_bans:delete", args=[ban.pk]))

    assert invalid.status_code == HTTPStatus.OK
    assert "Enter an IP address or a range" in invalid.content.decode()
    assert created.status_code == HTTPStatus.FOUND
    assert ban.value == "198.51.100.0/24"  # stored through actions.ban, trimmed
    assert "198.51.100.0/24" in listing.content.decode()
    assert deleted.status_code == HTTPStatus.FOUND
    assert not Ban.objects.exists()


def test_an_identity_ban_needs_a_commenter(moderator_client):
    response = moderator_client.post(reverse("discussion_bans:add"), {"kind": "commenter"})

    assert response.status_code == HTTPStatus.OK
    assert "Choose the commenter to ban." in response.content.decode()
    assert not Ban.objects.exists()


def test_the_commenter_chooser_finds_commenters_by_name_or_email(article, held, moderator_client):
    post_guest_comment(article, policy=held, name="Hana", email="hana@example.org")
    post_guest_comment(article, policy=held, name="Yusuf", email="yusuf@example.org")

    response = moderator_client.get(
        reverse("discussion_commenter_chooser:choose_results") + "?q=hana"
    )

    assert response.status_code == HTTPStatus.OK
    assert "hana@example.org" in response.content.decode()
    assert "yusuf@example.org" not in response.content.decode()


def test_people_who_are_not_moderators_get_a_403_everywhere(article, held, editor_client):
    comment = post_guest_comment(article, policy=held)
    ban = actions.ban(kind=Ban.Kind.EMAIL, value="x@example.org")

    for url in (
        QUEUE,
        QUEUE + "results/",
        reverse("discussion_comments:edit", args=[comment.pk]),
        reverse("discussion_comments:ban", args=[comment.pk]),
        reverse("discussion_bans:index"),
        reverse("discussion_bans:add"),
        reverse("discussion_bans:edit", args=[ban.pk]),
        reverse("discussion_commenter_chooser:choose"),
    ):
        assert editor_client.get(url).status_code == HTTPStatus.FORBIDDEN, url
    response = editor_client.post(MODERATE, {"row": f"approve:{comment.pk}"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert editor_client.post(reverse("discussion_bans:delete", args=[ban.pk])).status_code == (
        HTTPStatus.FORBIDDEN
    )
    (comment,) = refreshed(comment)
    assert comment.status == Comment.Status.PENDING
    assert Ban.objects.exists()
    assert QUEUE not in sidebar_text(editor_client.get("/admin/"))


def test_readers_who_are_not_signed_in_are_sent_to_the_login_page(client):
    response = client.get(QUEUE)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")


def test_superusers_may_moderate_without_the_group(article, held):
    admin = User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")
    client = Client()
    client.force_login(admin)
    comment = post_guest_comment(article, policy=held)

    assert client.get(QUEUE).status_code == HTTPStatus.OK
    client.post(MODERATE, {"row": f"approve:{comment.pk}"})
    (comment,) = refreshed(comment)
    assert comment.status == Comment.Status.APPROVED


def sidebar_text(response) -> str:
    """The admin sidebar is rendered by JavaScript from JSON embedded in the page."""
    raw = re.search(r'id="wagtail-sidebar-props"[^>]*>(.*?)</script>', response.content.decode())
    assert raw is not None
    return json.dumps(json.loads(raw.group(1)), ensure_ascii=False)


def test_the_menu_shows_how_many_comments_are_waiting(article, held, moderator_client):
    post_guest_comment(article, policy=held)
    post_guest_comment(article, policy=held)

    with CaptureQueriesContext(connection) as captured:
        response = moderator_client.get("/admin/")

    assert "Comments (2 waiting)" in sidebar_text(response)
    waiting_counts = [q for q in captured if "discussion_comment" in q["sql"]]
    assert len(waiting_counts) == 1


def test_the_discussion_settings_page_renders_saves_and_validates(moderator):
    admin = User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")
    client = Client()
    client.force_login(admin)
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    url = reverse("wagtailsettings:edit", args=["discussion", "discussionsettings", site.pk])
    page = client.get(url)
    form = {
        "heading": "Have your say",
        "mode": "hold_all",
        "trusted_after": "2",
        "max_links": "3",
        "reports_to_hold": "5",
        "moderation_words": "refund\nfree money",
        "blocked_words": "casino",
        "max_length": "5000",
        "flood_seconds": "10",
        "edit_window_minutes": "15",
        "max_depth": "11",
        "order": "newest",
        "page_size": "40",
        "close_after_days": "0",
        "embed_origins": "",
    }

    too_deep = client.post(url, form)
    saved = client.post(url, {**form, "max_depth": "4"})

    assert page.status_code == HTTPStatus.OK
    assert too_deep.status_code == HTTPStatus.OK
    assert "less than or equal to 10" in too_deep.content.decode()
    assert saved.status_code == HTTPStatus.FOUND
    policy = DiscussionSettings.for_site(site)
    assert (policy.mode, policy.max_depth, policy.moderation_word_list) == (
        "hold_all",
        4,
        ["refund", "free money"],
    )
    assert policy.reports_to_hold == 5


def test_the_queue_says_why_a_comment_was_held_in_the_moderators_language(
    article, held, moderator_client
):
    post_guest_comment(article, policy=held)

    english = moderator_client.get(QUEUE).content.decode()
    arabic = moderator_client.get(QUEUE, headers={"accept-language": "ar"}).content.decode()

    assert "every comment is held" in english
    assert "every comment is held" not in arabic
    with translation.override("ar"):
        assert reasons.describe({"code": "hold_all"}) in arabic


def test_a_reason_recorded_as_text_before_reasons_had_codes_is_shown_as_it_is():
    assert reasons.describe("held by an older version") == "held by an older version"
    assert reasons.describe({"code": "no-such-code"}) == "{'code': 'no-such-code'}"
    assert reasons.describe({"code": "over_link_limit", "count": 3}) == "over_link_limit"
