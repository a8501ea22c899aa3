import pytest

from dateline import ratelimits
from dateline.discussion import actions, threads
from dateline.discussion.models import Comment, DiscussionSettings
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(section):
    return make_article(section, title="Bridge reopens after repairs")


def test_a_first_time_guest_is_held_until_a_moderator_approves_them(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.HOLD_NEW, trusted_after=1)

    first = post_guest_comment(article, "Glad to hear it.", policy=policy, email="amal@example.org")
    actions.set_status(comments=[first], status=Comment.Status.APPROVED, moderator=None)
    second = post_guest_comment(
        article,
        "And the ferry too?",
        policy=policy,
        email="amal@example.org",
        token=first.guest_token,  # the same browser
    )

    assert first.status == Comment.Status.PENDING
    assert second.status == Comment.Status.APPROVED
    first.thread.refresh_from_db()
    assert first.thread.approved_count == 2
    assert first.thread.pending_count == 0


def test_a_comment_over_the_length_limit_is_refused_not_truncated(article):
    policy = discussion_policy(max_length=100, mode=DiscussionSettings.Mode.PUBLISH)

    with pytest.raises(actions.CommentError) as refused:
        post_guest_comment(article, "x" * 101, policy=policy)

    assert "101 characters" in refused.value.errors["body"]
    assert not Comment.objects.exists()


def test_control_characters_are_refused_and_bidi_overrides_removed(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)

    with pytest.raises(actions.CommentError):
        post_guest_comment(article, "bell \x07 here", policy=policy)
    comment = post_guest_comment(article, "abc \u202edcba\u202c 😀", policy=policy)

    assert comment.body == "abc dcba 😀"


def test_script_and_javascript_links_never_survive(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)

    comment = post_guest_comment(
        article,
        "<script>alert(1)</script> [a](javascript:alert(1)) [b](javascript&colon;alert(1)) "
        '<img src=x onerror="alert(1)"> [ok](https://example.org)',
        policy=policy,
    )

    assert "<script" not in comment.body_html
    assert "<img" not in comment.body_html  # shown as the text the reader typed, never a tag
    assert 'href="javascript' not in comment.body_html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">ok</a>' in comment.body_html


def test_a_second_comment_within_the_flood_window_is_rate_limited(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, flood_seconds=15)

    post_guest_comment(article, "One.", policy=policy, ip="198.51.100.7")
    with pytest.raises(ratelimits.RateLimited) as limited:
        post_guest_comment(article, "Two.", policy=policy, ip="198.51.100.7")

    assert 1 <= limited.value.retry_after <= 15


def test_replies_deeper_than_the_limit_attach_to_the_deepest_level(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, max_depth=3)
    top = post_guest_comment(article, policy=policy)
    second = post_guest_comment(article, policy=policy, parent=top)
    third = post_guest_comment(article, policy=policy, parent=second)

    fourth = post_guest_comment(article, policy=policy, parent=third)

    assert (top.depth, second.depth, third.depth, fourth.depth) == (0, 1, 2, 2)
    assert fourth.parent_id == second.pk
    assert fourth.root_id == top.pk


def test_keyset_pages_walk_the_whole_thread_and_permalinks_land_on_their_page(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, page_size=5)
    comments = [post_guest_comment(article, f"Comment {i}", policy=policy) for i in range(12)]
    thread = comments[0].thread
    thread.refresh_from_db()

    seen, cursor = [], None
    while True:
        page = threads.thread_page(thread=thread, policy=policy, cursor=cursor)
        seen += [node.comment.pk for node in page.nodes]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    landing = threads.thread_page(
        thread=thread,
        policy=policy,
        cursor=threads.page_cursor_for(comment=comments[7], policy=policy),
    )

    assert seen == [c.pk for c in comments]
    assert comments[7].pk in [node.comment.pk for node in landing.nodes]


def test_pending_comments_never_appear_in_a_thread_page(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    post_guest_comment(article, "Held back.", policy=policy)
    thread = actions.thread_for_article(article=article)

    page = threads.thread_page(thread=thread, policy=policy)

    assert page.nodes == []


def test_a_first_comment_whose_address_was_taken_meanwhile_joins_that_commenter(article):
    # The address had no commenter when the post was checked; by the time the posting
    # transaction runs, a concurrent first comment has created one.
    from django.db import transaction

    from dateline.discussion.models import Commenter

    earlier = post_guest_comment(article, "First.", name="Amal", email="amal@example.org")
    details = actions.Guest(name="Amal R.", email="Amal@Example.org", website="")

    with transaction.atomic():
        commenter, created = actions._guest_commenter(
            details, existing=None, approved=False, proven=True
        )
        # The failed insert was undone on its own: the transaction goes on (PostgreSQL
        # refuses every statement after an error that was not).
        assert Commenter.objects.filter(provider="guest").count() == 1

    assert not created
    assert commenter.pk == earlier.commenter_id
    commenter.refresh_from_db()
    # Whoever won the race wrote the row; this post proves nothing about being them.
    assert commenter.display_name == "Amal"


def test_a_first_time_guest_is_created_with_the_comment_in_one_go(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    comment = post_guest_comment(
        article, "Hello.", policy=policy, name="Sami", email="Sami@example.org"
    )
    comment.commenter.refresh_from_db()

    assert comment.commenter.subject == "sami@example.org"
    assert comment.commenter.display_name == "Sami"
    assert comment.commenter.approved_comment_count == 1
