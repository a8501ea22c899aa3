"""The newsroom's moderation rules: what is held, what is spam, who is banned, what counters
say, and that nothing a moderator has not approved is ever public."""

import datetime
import ipaddress
import json
from http import HTTPStatus

import pytest
from django.utils import timezone

from dateline.discussion import actions, targets, threads
from dateline.discussion.models import Ban, Comment, Commenter, DiscussionSettings, Thread
from dateline.discussion.reasons import describe_all
from dateline.newsroom.models import ArticlePage
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

Mode = DiscussionSettings.Mode
Status = Comment.Status


@pytest.fixture
def article(section):
    return make_article(section, title="Water returns to the eastern districts")


def approve(*comments):
    actions.set_status(comments=list(comments), status=Status.APPROVED, moderator=None)
    for comment in comments:
        comment.refresh_from_db()


# Modes ------------------------------------------------------------------------------------


def test_hold_all_holds_even_a_trusted_commenter(article):
    trusted = post_guest_comment(
        article, policy=discussion_policy(mode=Mode.PUBLISH), email="old@example.org"
    )
    policy = discussion_policy(mode=Mode.HOLD_ALL)

    comment = post_guest_comment(article, "Again.", policy=policy, email="old@example.org")

    assert trusted.status == Status.APPROVED
    assert comment.status == Status.PENDING
    assert "every comment is held" in describe_all(comment.moderation_reasons)


def test_first_comments_are_held_until_the_commenter_has_enough_approved(article):
    policy = discussion_policy(mode=Mode.HOLD_NEW, trusted_after=3)
    email = "newcomer@example.org"

    held, token = [], ""  # the one browser the newcomer posts from
    for n in range(3):
        comment = post_guest_comment(
            article, f"Comment {n}.", policy=policy, email=email, token=token
        )
        assert comment.status == Status.PENDING, n
        assert "first comments are held until approved" in describe_all(comment.moderation_reasons)
        held.append(comment)
        approve(comment)
        token = comment.guest_token
    trusted = post_guest_comment(
        article, "Now I am known.", policy=policy, email=email, token=token
    )

    assert trusted.status == Status.APPROVED
    assert Commenter.objects.get(subject=email).approved_comment_count == 4


def test_an_approved_commenter_is_known_by_email_whatever_its_case(article):
    policy = discussion_policy(mode=Mode.HOLD_NEW, trusted_after=1)
    first = post_guest_comment(article, "Hello.", policy=policy, email="Mixed@Example.org")
    approve(first)

    second = post_guest_comment(
        article,
        "Hello again.",
        policy=policy,
        email="mixed@example.ORG",
        token=first.guest_token,
    )

    assert second.status == Status.APPROVED, second.moderation_reasons
    assert second.commenter_id == first.commenter_id


def test_publish_mode_publishes_at_once(article):
    comment = post_guest_comment(article, policy=discussion_policy(mode=Mode.PUBLISH))

    assert comment.status == Status.APPROVED
    assert comment.moderation_reasons == []


# Content rules ----------------------------------------------------------------------------


def test_more_links_than_allowed_are_held_and_the_limit_itself_is_not(article):
    policy = discussion_policy(mode=Mode.PUBLISH, max_links=2)
    two = "See [one](https://a.example) and [two](https://b.example)."
    three = two + " And [three](https://c.example)."

    at_limit = post_guest_comment(article, two, policy=policy)
    over = post_guest_comment(article, three, policy=policy)

    assert at_limit.status == Status.APPROVED
    assert over.status == Status.PENDING
    assert "3 links (more than 2)" in describe_all(over.moderation_reasons)


def test_a_moderation_word_holds_the_comment_whatever_its_case(article):
    policy = discussion_policy(mode=Mode.PUBLISH, moderation_words="refund\nlawyer up")

    held = post_guest_comment(article, "I want a REFUND now.", policy=policy)
    phrase = post_guest_comment(article, "Time to Lawyer Up, folks.", policy=policy)
    clean = post_guest_comment(article, "Nothing to see.", policy=policy)

    assert held.status == phrase.status == Status.PENDING
    assert "contains “refund”" in describe_all(held.moderation_reasons)
    assert clean.status == Status.APPROVED


def test_a_blocked_word_sends_the_comment_to_spam_even_in_publish_mode(article):
    policy = discussion_policy(mode=Mode.PUBLISH, blocked_words="casino\ncheap pills")

    comment = post_guest_comment(article, "Visit my Casino today.", policy=policy)
    by_name = post_guest_comment(article, "Hello.", policy=policy, name="Cheap Pills Shop")

    assert comment.status == by_name.status == Status.SPAM
    assert "blocked word “casino”" in describe_all(comment.moderation_reasons)
    thread = Thread.objects.get(pk=comment.thread_id)
    assert (thread.approved_count, thread.pending_count) == (0, 0)


def test_a_filled_honeypot_is_spam(article):
    policy = discussion_policy(mode=Mode.PUBLISH)

    comment = post_guest_comment(article, policy=policy, honeypot="http://spam.example")

    assert comment.status == Status.SPAM


def test_the_same_text_twice_from_one_commenter_is_refused_as_a_duplicate(section, article):
    policy = discussion_policy(mode=Mode.PUBLISH)
    other_story = make_article(section, title="Another story")
    first = post_guest_comment(article, "Well said.", policy=policy, email="echo@example.org")

    with pytest.raises(actions.CommentError) as refused:
        post_guest_comment(article, "  WELL   said. ", policy=policy, email="echo@example.org")
    elsewhere = post_guest_comment(
        other_story, "Well said.", policy=policy, email="echo@example.org"
    )
    someone_else = post_guest_comment(article, "Well said.", policy=policy, email="b@example.org")

    assert "already said that" in refused.value.errors["body"]
    assert Comment.objects.filter(thread=first.thread, commenter=first.commenter).count() == 1
    assert elsewhere.status == someone_else.status == Status.APPROVED


def test_a_trashed_comment_may_be_said_again(article):
    policy = discussion_policy(mode=Mode.PUBLISH)
    first = post_guest_comment(article, "Second try.", policy=policy, email="retry@example.org")
    actions.set_status(comments=[first], status=Status.TRASH, moderator=None)

    again = post_guest_comment(article, "Second try.", policy=policy, email="retry@example.org")

    assert again.status == Status.APPROVED


# Bans -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ban", "who"),
    [
        ({"kind": Ban.Kind.EMAIL, "value": "Banned@Example.org"}, {"email": "banned@example.org"}),
        ({"kind": Ban.Kind.IP, "value": "203.0.113.5"}, {"ip": "203.0.113.5"}),
        ({"kind": Ban.Kind.IP, "value": "203.0.113.0/24"}, {"ip": "203.0.113.200"}),
        ({"kind": Ban.Kind.IP, "value": "2001:db8::/32"}, {"ip": "2001:db8:1::7"}),
    ],
)
def test_a_banned_address_or_email_cannot_comment_and_leaves_nothing_behind(article, ban, who):
    policy = discussion_policy(mode=Mode.PUBLISH)
    actions.ban(**ban)

    with pytest.raises(actions.CommenterBanned) as refused:
        post_guest_comment(article, "Let me in.", policy=policy, **who)

    assert refused.value.status_code == HTTPStatus.FORBIDDEN
    assert not Comment.objects.exists()
    assert not Commenter.objects.exists()


def test_an_identity_ban_follows_the_commenter_not_the_address(article):
    policy = discussion_policy(mode=Mode.PUBLISH)
    earlier = post_guest_comment(article, "Before.", policy=policy, email="id@example.org")
    actions.ban(kind=Ban.Kind.COMMENTER, commenter=earlier.commenter)

    with pytest.raises(actions.CommenterBanned):
        post_guest_comment(
            article, "From elsewhere.", policy=policy, email="id@example.org", ip="198.51.100.1"
        )
    other = post_guest_comment(article, "Not me.", policy=policy, email="other@example.org")

    assert other.status == Status.APPROVED


def test_a_range_ban_spares_addresses_outside_it(article):
    policy = discussion_policy(mode=Mode.PUBLISH)
    actions.ban(kind=Ban.Kind.IP, value="203.0.113.0/24")

    outside = post_guest_comment(article, policy=policy, ip="203.0.114.1")

    assert ipaddress.ip_address("203.0.114.1") not in ipaddress.ip_network("203.0.113.0/24")
    assert outside.status == Status.APPROVED


def test_an_expired_ban_is_ignored(article):
    policy = discussion_policy(mode=Mode.PUBLISH)
    actions.ban(
        kind=Ban.Kind.EMAIL,
        value="reformed@example.org",
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    actions.ban(
        kind=Ban.Kind.IP,
        value="192.0.2.0/24",
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )

    allowed = post_guest_comment(
        article, policy=policy, email="reformed@example.org", ip="198.51.100.9"
    )
    with pytest.raises(actions.CommenterBanned):
        post_guest_comment(article, policy=policy, ip="192.0.2.44")

    assert allowed.status == Status.APPROVED


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [
        (Ban.Kind.IP, "300.1.1.1", "value"),
        (Ban.Kind.IP, "10.0.0.0/33", "value"),
        (Ban.Kind.EMAIL, "not-an-email", "value"),
        (Ban.Kind.COMMENTER, "", "commenter"),
    ],
)
def test_a_ban_that_makes_no_sense_is_refused(kind, value, field, db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        actions.ban(kind=kind, value=value)

    assert field in refused.value.message_dict
    assert not Ban.objects.exists()


def test_a_banned_reader_gets_a_403_from_the_json_api(article, client):
    discussion_policy(mode=Mode.PUBLISH)
    actions.ban(kind=Ban.Kind.IP, value="203.0.113.0/24")

    response = client.post(
        "/comments/api/comments/",
        data=json.dumps(
            {
                "thread": {"article": article.pk},
                "body": "Hello?",
                "name": "Blocked",
                "email": "blocked@example.org",
            }
        ),
        content_type="application/json",
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Comment.objects.exists()


# Counters ---------------------------------------------------------------------------------


def assert_counters_are_true(thread: Thread) -> None:
    thread.refresh_from_db()
    comments = Comment.objects.filter(thread=thread)
    assert thread.approved_count == comments.filter(status=Status.APPROVED).count()
    assert thread.pending_count == comments.filter(status=Status.PENDING).count()
    for commenter in Commenter.objects.all():
        assert commenter.approved_comment_count == (
            Comment.objects.filter(commenter=commenter, status=Status.APPROVED).count()
        ), commenter
    for root in comments.filter(root__isnull=True):
        assert root.approved_reply_count == (
            comments.filter(root=root, status=Status.APPROVED).count()
        ), root


def test_counters_stay_true_through_every_change_of_status(article):
    publish = discussion_policy(mode=Mode.PUBLISH, max_depth=5)
    root = post_guest_comment(article, "Top.", policy=publish, email="root@example.org")
    reply = post_guest_comment(
        article, "Reply.", policy=publish, parent=root, email="replier@example.org"
    )
    deeper = post_guest_comment(
        article, "Deeper.", policy=publish, parent=reply, email="replier@example.org"
    )
    held = post_guest_comment(
        article, "Held.", policy=discussion_policy(mode=Mode.HOLD_ALL), parent=root
    )
    thread = root.thread
    assert_counters_are_true(thread)

    steps = [
        ([reply], Status.SPAM),
        ([reply], Status.TRASH),
        ([reply], Status.APPROVED),
        ([reply, deeper, held], Status.PENDING),
        ([reply, deeper, held], Status.APPROVED),
        ([root], Status.SPAM),
        ([root, held], Status.TRASH),
        ([root], Status.APPROVED),
        ([held], Status.APPROVED),
        ([held], Status.APPROVED),  # twice: nothing moves the second time
    ]
    for comments, status in steps:
        actions.set_status(comments=comments, status=status, moderator=None)
        assert_counters_are_true(thread)

    thread.refresh_from_db()
    root.refresh_from_db()
    assert (thread.approved_count, thread.pending_count, root.approved_reply_count) == (4, 0, 3)


def test_counters_stay_true_when_authors_edit_or_delete_their_own_comments(article):
    publish = discussion_policy(mode=Mode.PUBLISH, moderation_words="refund")
    root = post_guest_comment(article, "Top.", policy=publish)
    posted = actions.post_comment(
        target=targets.of_thread(root.thread),
        body="My reply.",
        policy=publish,
        meta=actions.RequestMeta(ip_address="192.0.2.1"),
        author=actions.Guest(name="Author", email="author@example.org"),
        parent_id=root.pk,
    )

    edited = actions.edit_comment(
        comment=posted.comment, token=posted.edit_token, body="A refund please.", policy=publish
    )
    assert edited.status == Status.PENDING
    assert_counters_are_true(root.thread)
    actions.delete_own_comment(comment=edited, token=posted.edit_token, policy=publish)
    assert_counters_are_true(root.thread)


# Never public -----------------------------------------------------------------------------

SECRET = "Zanzibarquokka"  # a word nothing else on the site contains


@pytest.fixture
def unapproved(article):
    """One comment in each state a reader must never see, beside one they may."""
    publish = discussion_policy(mode=Mode.PUBLISH)
    visible = post_guest_comment(article, "Approved and public.", policy=publish)
    hidden = [
        post_guest_comment(
            article, f"{SECRET} {status}", policy=discussion_policy(mode=Mode.HOLD_ALL)
        )
        for status in (Status.PENDING, Status.SPAM, Status.TRASH)
    ]
    for comment, status in zip(hidden, (Status.PENDING, Status.SPAM, Status.TRASH), strict=True):
        actions.set_status(comments=[comment], status=status, moderator=None)
    discussion_policy(mode=Mode.PUBLISH)
    return visible, hidden


def test_unapproved_comments_are_not_in_a_thread_page(article, unapproved):
    visible, _hidden = unapproved
    thread = Thread.objects.get(article=article)

    page = threads.thread_page(thread=thread, policy=discussion_policy())

    assert [node.comment.pk for node in page.nodes] == [visible.pk]
    assert page.total == 1


def test_a_held_comment_under_a_public_reply_is_an_empty_placeholder(article):
    publish = discussion_policy(mode=Mode.PUBLISH)
    parent = post_guest_comment(article, f"{SECRET} parent", policy=publish)
    post_guest_comment(article, "A public reply.", policy=publish, parent=parent)
    actions.set_status(comments=[parent], status=Status.SPAM, moderator=None)

    page = threads.thread_page(thread=parent.thread, policy=publish)

    (node,) = page.nodes
    assert node.is_placeholder
    assert SECRET not in node.comment.body_html + node.comment.author_name


def test_unapproved_comments_are_not_on_the_story_page(article, unapproved, client):
    response = client.get(article.url)
    held_view = client.get(article.url + "?held=1")

    assert response.status_code == HTTPStatus.OK
    assert "Approved and public." in response.content.decode()
    assert SECRET not in response.content.decode()
    assert SECRET not in held_view.content.decode()


def test_unapproved_comments_have_no_permalink(unapproved, client):
    visible, hidden = unapproved

    assert client.get(f"/comments/{visible.pk}/").status_code == HTTPStatus.FOUND
    for comment in hidden:
        assert client.get(f"/comments/{comment.pk}/").status_code == HTTPStatus.NOT_FOUND


def test_unapproved_comments_are_not_in_the_json_api(article, unapproved, client):
    response = client.get(f"/comments/api/threads/?article={article.pk}")

    assert response.status_code == HTTPStatus.OK
    assert "Approved and public." in response.content.decode()
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/", "/world/feed/rss/", "/sitemap.xml"])
def test_unapproved_comments_are_not_in_feeds_or_the_sitemap(unapproved, client, url):
    response = client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert SECRET not in response.content.decode()


def test_comments_are_not_indexed_by_search(article, unapproved):
    from modelsearch.index import insert_or_update_object
    from wagtail.search.index import class_is_indexed

    # The worker re-indexes a story after each change; do it now, with the comments present.
    insert_or_update_object(article)

    assert not class_is_indexed(Comment)
    assert not any("comment" in field.field_name for field in ArticlePage.get_search_fields())
    assert list(ArticlePage.objects.live().search(SECRET)) == []
    assert [page.pk for page in ArticlePage.objects.live().search("Water returns")] == [article.pk]
