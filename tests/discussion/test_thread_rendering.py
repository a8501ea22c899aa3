"""The thread as the article page shows it: nesting, placeholders, pagination, permalinks,
closed discussions, hostile input, comment counts on list pages, and a constant number of
queries whatever the size of the thread."""

import base64
import datetime
import re
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dateline.discussion import actions
from dateline.discussion.models import Comment, Commenter, DiscussionSettings, Thread
from dateline.newsroom import actions as newsroom_actions
from dateline.newsroom.models import ArticlePage, SectionPage
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(section):
    return make_article(section, title="Ferry timetable changes for winter")


@pytest.fixture
def policy(db):
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


def page_html(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def ids_on(html):
    return [int(pk) for pk in re.findall(r'<article id="comment-(\d+)"', html)]


def test_the_form_says_leave_a_reply_and_asks_for_details(client, article):
    html = page_html(client, article.url)

    assert (
        '<span data-reply-heading data-default-heading="Leave a Reply">Leave a Reply</span>' in html
    )
    assert "Fill in your details below or click an icon to log in:" in html
    assert '<label for="comment-email">Email' in html
    assert '<label for="comment-name">Name' in html
    assert '<label for="comment-website">Website' in html
    assert '<label for="comment-body">Comment' in html
    assert "Save my name, email, and website in this browser for the next time I comment." in html
    assert 'name="website_confirm" type="text" value="" tabindex="-1" autocomplete="off"' in html
    assert 'name="rendered_at"' in html
    assert "No comments yet" in html


def test_the_heading_can_be_changed_in_the_settings(client, article):
    discussion_policy(heading="Join the conversation")

    assert ">Join the conversation</span>" in page_html(client, article.url)


def test_the_cacheable_article_page_carries_nothing_about_the_reader(client, article, policy):
    post_guest_comment(article, "Hello.", policy=policy, name="Amal")
    client.cookies["csrftoken"] = "x" * 32

    response = client.get(article.url)

    html = response.content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert "csrftoken" not in response.cookies
    assert "sessionid" not in response.cookies


def test_the_session_endpoint_hands_out_a_token_and_is_never_cached(client):
    response = client.get("/comments/session/")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["csrfToken"]
    assert "csrftoken" in response.cookies
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_replies_nest_under_their_parents_with_names_times_and_permalinks(
    client, article, policy, settings
):
    settings.TIME_ZONE = "Asia/Baghdad"
    top = post_guest_comment(article, "Top level.", policy=policy, name="Omar")
    reply = post_guest_comment(article, "A reply.", policy=policy, name="Layla", parent=top)
    deeper = post_guest_comment(article, "Deeper.", policy=policy, name="Nour", parent=reply)
    Comment.objects.filter(pk=top.pk).update(
        created_at=datetime.datetime(2020, 11, 20, 18, 28, 39, tzinfo=datetime.UTC)
    )

    html = page_html(client, article.url)

    assert "3 comments" in html
    top_at = html.index(f'id="comment-{top.pk}"')
    reply_at = html.index(f'id="comment-{reply.pk}"')
    deeper_at = html.index(f'id="comment-{deeper.pk}"')
    assert top_at < reply_at < deeper_at
    between = html[top_at:deeper_at]
    assert between.count('<ol class="comment-list comment-list--children">') == 2
    assert (
        f'<a class="comment__permalink" href="#comment-{top.pk}"><time datetime="2020-11-20T21:28:39+03:00">2020/11/20 21:28:39</time></a>'
        in html
    )
    assert '<span class="comment__author" dir="auto">Omar</span>' in html
    assert '<div class="comment__content" dir="auto"><p>Top level.</p></div>' in html


def test_a_reply_link_re_renders_the_form_as_a_reply_without_javascript(client, article, policy):
    top = post_guest_comment(article, "Top level.", policy=policy, name="Omar Saleh")

    html = page_html(client, f"{article.url}?replytocom={top.pk}")

    assert f'href="{article.url}?replytocom={top.pk}#respond"' in html
    assert "Leave a Reply to <bdi>Omar Saleh</bdi>" in html
    assert f'name="parent" value="{top.pk}"' in html
    assert (
        f'<a class="respond__cancel" href="{article.url}#respond" data-cancel-reply>Cancel reply</a>'
        in html
    )


@pytest.mark.parametrize("value", ["abc", "0", "-5", "99999999999999999999999999"])
def test_a_bad_replytocom_shows_the_plain_form(client, article, policy, value):
    html = page_html(client, f"{article.url}?replytocom={value}")

    assert ">Leave a Reply</span>" in html
    assert 'name="parent" value=""' in html


def test_replying_to_a_held_comment_is_not_offered(client, article):
    held = post_guest_comment(
        article, policy=discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    )

    html = page_html(client, f"{article.url}?replytocom={held.pk}")

    assert ">Leave a Reply</span>" in html
    assert held.author_name not in html


def test_the_reader_s_name_and_website_are_linked_with_nofollow_ugc(client, article, policy):
    post_guest_comment(article, "Hi.", policy=policy, name="Amal")
    Comment.objects.update(author_website="https://amal.example/")

    html = page_html(client, article.url)

    assert '<a href="https://amal.example/" rel="nofollow ugc">Amal</a>' in html


def test_edited_comments_say_so(client, article, policy):
    comment = post_guest_comment(article, "Frist.", policy=policy)
    actions.edit_comment(
        comment=comment, token=actions.edit_token(comment), body="First.", policy=policy
    )

    html = page_html(client, article.url)

    assert '<span class="comment__edited">(edited)</span>' in html
    assert "First." in html


def test_a_removed_comment_with_approved_replies_stays_as_a_placeholder(client, article, policy):
    top = post_guest_comment(article, "Something rude.", policy=policy, name="Troll")
    reply = post_guest_comment(article, "A calm answer.", policy=policy, parent=top)
    actions.set_status(comments=[top], status=Comment.Status.TRASH, moderator=None)

    html = page_html(client, article.url)

    assert "This comment was removed." in html
    assert "Something rude." not in html
    assert "Troll" not in html
    assert "A calm answer." in html
    assert html.index(f'id="comment-{top.pk}"') < html.index(f'id="comment-{reply.pk}"')
    assert f"replytocom={top.pk}" not in html


def test_newest_first_order_puts_the_latest_comment_on_top(client, article):
    policy = discussion_policy(
        mode=DiscussionSettings.Mode.PUBLISH, order=DiscussionSettings.Order.NEWEST
    )
    first = post_guest_comment(article, "Early.", policy=policy)
    second = post_guest_comment(article, "Late.", policy=policy)

    assert ids_on(page_html(client, article.url)) == [second.pk, first.pk]


def bulk_comments(article, count, *, parents=(), start=None):
    """Many approved comments at once, one minute apart (``post_comment`` one by one is what
    the other tests use; here only the amount matters). Replies go under ``parents`` in turn."""
    thread = actions.thread_for_article(article=article)
    commenter, _ = Commenter.objects.get_or_create(
        provider="guest",
        subject="bulk@example.org",
        defaults={
            "kind": Commenter.Kind.GUEST,
            "display_name": "Bulk",
            "email": "bulk@example.org",
        },
    )
    start = start or timezone.now() - datetime.timedelta(days=1)
    made = []
    for i in range(count):
        parent = parents[i % len(parents)] if parents else None
        made.append(
            Comment(
                thread=thread,
                commenter=commenter,
                parent=parent,
                root=parent,
                depth=1 if parent else 0,
                author_name=f"Reader {i}",
                body=f"Comment number {i}.",
                body_html=f"<p>Comment number {i}.</p>",
                status=Comment.Status.APPROVED,
                created_at=start + datetime.timedelta(minutes=i),
                content_hash=f"bulk-{i}",
            )
        )
    made = Comment.objects.bulk_create(made)
    Thread.objects.filter(pk=thread.pk).update(approved_count=F("approved_count") + count)
    for parent in parents:
        Comment.objects.filter(pk=parent.pk).update(
            approved_reply_count=F("approved_reply_count")
            + sum(c.parent_id == parent.pk for c in made)
        )
    return made


@pytest.fixture
def long_thread(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, page_size=50)
    return policy, bulk_comments(article, 120)


def test_a_long_thread_pages_with_older_and_newer_links(client, article, long_thread):
    _policy, comments = long_thread

    first = page_html(client, article.url)
    newer_link = re.search(r'<a class="comment-pagination__newer" href="([^"]+)"', first).group(1)
    second = page_html(client, newer_link.replace("&amp;", "&").split("#")[0])
    third_link = re.search(r'<a class="comment-pagination__newer" href="([^"]+)"', second).group(1)
    third = page_html(client, third_link.replace("&amp;", "&").split("#")[0])
    back_link = re.search(r'<a class="comment-pagination__older" href="([^"]+)"', third).group(1)
    back = page_html(client, back_link.replace("&amp;", "&").split("#")[0])

    assert "120 comments" in first
    assert "comment-pagination__older" not in first
    assert newer_link.startswith(f"{article.url}?comments=")
    assert newer_link.endswith("#comments")
    assert ids_on(first) == [c.pk for c in comments[:50]]
    assert ids_on(second) == [c.pk for c in comments[50:100]]
    assert ids_on(third) == [c.pk for c in comments[100:]]
    assert "comment-pagination__newer" not in third
    assert ids_on(back) == ids_on(second)


def test_permalinks_redirect_to_the_page_holding_the_comment(client, article, long_thread):
    policy, comments = long_thread
    reply = post_guest_comment(
        article, "Late reply to an old one.", policy=policy, parent=comments[75]
    )

    for comment in [*(comments[i] for i in (0, 49, 50, 99, 100, 119)), reply]:
        response = client.get(f"/comments/{comment.pk}/")

        assert response.status_code == HTTPStatus.FOUND
        location = response["Location"]
        assert location.startswith(article.url)
        assert location.endswith(f"#comment-{comment.pk}")
        assert comment.pk in ids_on(page_html(client, location.split("#")[0])), comment


def test_permalinks_of_missing_held_and_removed_comments_are_404(client, article, policy):
    removed = post_guest_comment(article, policy=policy)
    actions.set_status(comments=[removed], status=Comment.Status.SPAM, moderator=None)

    assert client.get(f"/comments/{removed.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/comments/987654321/").status_code == HTTPStatus.NOT_FOUND


def test_a_permalink_on_an_unpublished_story_is_404(client, article, policy):
    comment = post_guest_comment(article, policy=policy)
    article.unpublish()

    assert client.get(f"/comments/{comment.pk}/").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "a",
        "a1.2",
        "b99999999999999999999.1",
        "a12.99999999999999999999999",
        "%00",
        "x" * 500,
    ],
)
def test_an_invalid_cursor_shows_the_first_page_never_an_error(client, article, policy, cursor):
    post_guest_comment(article, "Still here.", policy=policy)

    html = page_html(client, f"{article.url}?comments={cursor}")

    assert "Still here." in html


def test_closed_comments_keep_the_thread_but_drop_the_form(client, article, policy):
    post_guest_comment(article, "Said before closing.", policy=policy)
    ArticlePage.objects.filter(pk=article.pk).update(comments_enabled=False)

    html = page_html(client, article.url)

    assert "Said before closing." in html
    assert "Comments are closed." in html
    assert "<form" not in html.split('id="comments"')[1]
    assert "replytocom=" not in html


def test_a_section_with_comments_off_closes_its_stories(client, section, policy):
    sub = newsroom_actions.create_section(parent=section, title="Opinion")
    story = make_article(sub)
    SectionPage.objects.filter(pk=section.pk).update(comments_enabled=False)

    assert "Comments are closed." in page_html(client, story.url)


def test_comments_close_automatically_after_the_configured_days(client, section):
    discussion_policy(close_after_days=3)
    old = make_article(section, published_at=timezone.now() - datetime.timedelta(days=4))
    recent = make_article(section, published_at=timezone.now() - datetime.timedelta(days=1))

    assert "Comments are closed." in page_html(client, old.url)
    assert "Comments are closed." not in page_html(client, recent.url)


def test_a_thread_closed_by_a_moderator_is_closed(client, article, policy):
    post_guest_comment(article, policy=policy)
    Thread.objects.update(closed=True)

    assert "Comments are closed." in page_html(client, article.url)


HOSTILE = [
    "<script>alert('x')</script>",
    "[click](javascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<img src=x onerror="alert(1)">',
    '" onmouseover="alert(1)',
    "<svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "4-byte: 😀𝕏𐍈 and a bidi ‮override‬ attempt",
    "> " * 200 + "deep quote",
    "- " * 200 + "deep list",
    "*" * 500 + "emphasis" + "*" * 500,
    "[" * 300 + "brackets" + "]" * 300,
    " ".join(f"https://example.org/{i}" for i in range(300)),
    " ".join(f"[l{i}](https://example.org/{i})" for i in range(300)),
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attributes: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]


# The generated faces beside comments (discussion/avatars.py): an SVG drawn as an image.
GENERATED_FACE = "data:image/svg+xml;base64,"


def assert_only_shapes(svg):
    """A generated face is squares in two colours and nothing else: no script, no link."""
    parser = _Tags()
    parser.feed(svg)
    assert set(parser.tags) <= {"svg", "rect", "g"}, parser.tags
    for tag, name, _value in parser.attributes:
        assert name in {"xmlns", "viewbox", "width", "height", "fill", "x", "y"}, (tag, name)


def assert_no_active_content(html):
    """Whatever the text says, no element may carry a handler, a script URL or an inline script."""
    parser = _Tags()
    parser.feed(html)
    for tag, name, value in parser.attributes:
        assert not name.startswith("on"), (tag, name, value)
        if tag == "img" and name == "src" and value.startswith(GENERATED_FACE):
            assert_only_shapes(base64.b64decode(value.removeprefix(GENERATED_FACE)).decode())
            continue
        if name in {"href", "src", "action", "formaction"} and value:
            assert value.startswith(("https://", "http://", "/", "#", "?")), (tag, name, value)
    assert "<script>alert" not in html
    assert "<svg" not in html


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_comments_are_refused_or_render_escaped_never_a_crash(
    client, article, policy, body
):
    response = client.post(
        f"/comments/post/{article.pk}/",
        {"body": body, "name": "<b onclick=alert(1)>Eve</b>", "email": "eve@example.org"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code in {HTTPStatus.CREATED, HTTPStatus.BAD_REQUEST}
    # Whatever the spam checks thought of it, show it, to see how it would look.
    Comment.objects.update(status=Comment.Status.APPROVED)

    html = page_html(client, article.url)
    discussion = html.split('<section id="comments"')[1]

    assert_no_active_content(discussion)
    assert "\u202e" not in discussion
    assert "\u202c" not in discussion
    if response.status_code == HTTPStatus.CREATED:
        assert "&lt;b onclick=alert(1)&gt;Eve&lt;/b&gt;" in discussion
        assert_no_active_content(response.json()["html"])


def test_hostile_names_and_websites_in_the_form_are_escaped_on_the_way_back(
    client, article, policy
):
    response = client.post(
        f"/comments/post/{article.pk}/",
        {
            "body": "",
            "name": '"><script>alert(1)</script>',
            "email": '"><img src=x onerror=alert(1)>@x',
            "website": "javascript&colon;alert(1)",
        },
    )

    html = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert_no_active_content(html.split('<section id="comments"')[1])
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_the_article_page_costs_the_same_queries_with_5_and_500_comments(
    client, article, policy, django_assert_num_queries
):
    for i in range(5):
        top = post_guest_comment(article, f"Top {i}.", policy=policy)
    post_guest_comment(article, "Nested.", policy=policy, parent=top)
    client.get(article.url)  # warm Wagtail's site and settings caches
    with CaptureQueriesContext(connection) as few:
        small = client.get(article.url)
    tops = bulk_comments(article, 450, start=timezone.now() - datetime.timedelta(hours=1))
    bulk_comments(article, 44, parents=tops[:30], start=timezone.now())

    with django_assert_num_queries(len(few.captured_queries)):
        large = client.get(article.url)

    assert small.status_code == large.status_code == HTTPStatus.OK
    assert "6 comments" in small.content.decode()
    assert "500 comments" in large.content.decode()


def test_list_cards_show_comment_counts_in_a_constant_number_of_queries(
    client, section, home, policy, django_assert_num_queries
):
    stories = [make_article(section, title=f"Story {i}") for i in range(3)]
    for _ in range(3):
        post_guest_comment(stories[0], policy=policy)
    post_guest_comment(stories[1], policy=policy)
    client.get(section.url)
    with CaptureQueriesContext(connection) as few:
        client.get(section.url)
    more = [make_article(section, title=f"Extra {i}") for i in range(6)]
    for story in more:
        post_guest_comment(story, policy=policy)

    with django_assert_num_queries(len(few.captured_queries)):
        html = page_html(client, section.url)
    front = page_html(client, home.url)

    assert f'href="{stories[0].url}#comments">3 comments</a>' in html
    assert f'href="{stories[1].url}#comments">1 comment</a>' in html
    assert f'href="{stories[2].url}#comments"' not in html
    assert "3 comments</a>" in front
