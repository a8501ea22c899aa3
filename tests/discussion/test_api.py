"""The discussion's JSON API over HTTP: reading threads, posting, editing and deleting.
Every answer is checked against the published OpenAPI document (see embed_helpers.Api)."""

import json
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dateline.discussion import actions
from dateline.discussion.models import Comment, DiscussionSettings, Thread
from dateline.discussion.reasons import describe_all
from dateline.newsroom.models import ArticlePage
from tests.discussion.embed_helpers import API, Api, guest_payload
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = pytest.mark.django_db

BLOG = "https://blog.example.org"
OTHER_BLOG = "https://other.example.net"


@pytest.fixture
def article(section):
    return make_article(section, title="Water returns to the old canal")


@pytest.fixture
def policy(db):
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, embed_origins=BLOG)


@pytest.fixture
def api(client):
    return Api(client)


def _texts(comments):
    for comment in comments:
        yield comment["html"]
        yield from _texts(comment["replies"])


# Reading ----------------------------------------------------------------------------------


def test_a_thread_page_is_a_tree_of_approved_comments_without_private_details(api, article, policy):
    top = post_guest_comment(
        article,
        "The canal *was* dry for years.",
        policy=policy,
        name="Samir",
        email="samir@example.org",
    )
    reply = post_guest_comment(article, "I remember it full.", policy=policy, parent=top)

    response = api.thread(article=article.pk)

    assert response.status_code == HTTPStatus.OK
    data = response.data
    assert data["thread"]["count"] == 2
    assert data["thread"]["open"] is True
    assert data["thread"]["heading"] == "Leave a Reply"
    assert data["next"] is None
    assert data["previous"] is None
    [first] = data["comments"]
    assert first["id"] == top.pk
    assert first["author"] == {"name": "Samir", "website": None}
    assert first["html"] == "<p>The canal <em>was</em> dry for years.</p>"
    assert first["removed"] is False
    assert first["replies"][0]["id"] == reply.pk
    assert first["replies"][0]["parent"] == top.pk
    assert first["replies"][0]["depth"] == 1
    raw = response.content.decode()
    for private in (
        "samir@example.org",
        "192.0.2.10",
        "email",
        "ip_address",
        "user_agent",
        "status",
    ):
        assert private not in raw


def test_held_and_spam_comments_never_appear_and_removed_ones_keep_only_a_placeholder(
    api, article, policy
):
    parent = post_guest_comment(article, "Soon to be removed.", policy=policy, name="Rami")
    reply = post_guest_comment(article, "A reply that stays.", policy=policy, parent=parent)
    actions.set_status(comments=[parent], status=Comment.Status.TRASH, moderator=None)
    held_policy = discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    post_guest_comment(article, "Secret held words.", policy=held_policy)
    post_guest_comment(article, "Held reply words.", policy=held_policy, parent=reply)
    post_guest_comment(article, "Spammy words.", policy=held_policy, honeypot="filled")

    response = api.thread(article=article.pk)

    raw = response.content.decode()
    for hidden in ("Secret held", "Held reply", "Spammy", "Soon to be removed", "Rami"):
        assert hidden not in raw
    [placeholder] = response.data["comments"]
    assert placeholder["removed"] is True
    assert placeholder["html"] == ""
    assert placeholder["author"] == {"name": "", "website": None}
    assert [r["html"] for r in placeholder["replies"]] == ["<p>A reply that stays.</p>"]
    assert response.data["thread"]["count"] == 1


def test_reading_a_thread_nobody_has_commented_on_creates_nothing(api, client, article, policy):
    by_article = api.thread(article=article.pk)
    by_url = Api(client, origin=BLOG).thread(url=f"{BLOG}/2024/05/canal.html")
    by_id = Api(client, origin=BLOG).thread(id="canal-story")

    for response in (by_article, by_url, by_id):
        assert response.status_code == HTTPStatus.OK
        assert response.data["comments"] == []
        assert response.data["thread"]["count"] == 0
        assert response.data["thread"]["open"] is True
    assert by_url.data["thread"]["key"] == f"embed:url:{BLOG}/2024/05/canal.html"
    assert not Thread.objects.exists()


def test_cursors_walk_every_page_forwards_and_back(api, article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, page_size=5)
    comments = [
        post_guest_comment(article, f"Comment number {i}", policy=policy) for i in range(12)
    ]

    seen, pages, cursor = [], [], None
    while True:
        response = api.thread(article=article.pk, **({"cursor": cursor} if cursor else {}))
        pages.append(response.data)
        seen += [c["id"] for c in response.data["comments"]]
        cursor = response.data["next"]
        if not cursor:
            break
    back = api.thread(article=article.pk, cursor=pages[-1]["previous"])

    assert seen == [c.pk for c in comments]
    assert len(pages) == 3
    assert [c["id"] for c in back.data["comments"]] == [c.pk for c in comments[5:10]]


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "x1.1",
        "a1",
        "a.1",
        "a1.1.1",
        "u1.1",
        "u-1.1.1",
        "v1.1.1.1",
        "u99999999999.1.1",
        "a99999999999999999999.1",
        "a1.99999999999999999999999",
        "a1.0",
        "a1.-5",
        "a" + "9" * 60,
        "a1.\x00",
    ],
)
def test_an_invalid_cursor_answers_400(api, article, policy, cursor):
    post_guest_comment(article, policy=policy)

    response = api.thread(article=article.pk, cursor=cursor)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "cursor" in response.data["errors"]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, HTTPStatus.BAD_REQUEST, "thread"),
        ({"article": "abc"}, HTTPStatus.BAD_REQUEST, "article"),
        ({"article": "1" * 40}, HTTPStatus.BAD_REQUEST, "article"),
        ({"article": "999999"}, HTTPStatus.NOT_FOUND, "thread"),
        ({"article": "1", "url": f"{BLOG}/x"}, HTTPStatus.BAD_REQUEST, "thread"),
        ({"url": "javascript:alert(1)"}, HTTPStatus.BAD_REQUEST, "url"),
        ({"url": "http://[::1"}, HTTPStatus.BAD_REQUEST, "url"),
        ({"url": "http://example.org:99999/"}, HTTPStatus.BAD_REQUEST, "url"),
        ({"url": f"{BLOG}/a\x00b"}, HTTPStatus.BAD_REQUEST, "url"),
        ({"url": f"{BLOG}/" + "a" * 2100}, HTTPStatus.BAD_REQUEST, "url"),
        ({"id": "x\x00y", "origin": BLOG}, HTTPStatus.BAD_REQUEST, "id"),
        ({"id": "story-1"}, HTTPStatus.BAD_REQUEST, "origin"),
        ({"url": "https://stranger.example/page"}, HTTPStatus.FORBIDDEN, "__all__"),
    ],
)
def test_bad_thread_references_answer_in_json(api, policy, params, status, field):
    response = api.thread(**params)

    assert response.status_code == status
    assert field in response.data["errors"]
    assert not Thread.objects.exists()


def test_a_draft_story_has_no_public_thread(api, section, policy):
    draft = make_article(section, publish=False)

    assert api.thread(article=draft.pk).status_code == HTTPStatus.NOT_FOUND


def test_the_query_count_does_not_grow_with_the_thread(api, article, policy):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.thread(article=article.pk).status_code == HTTPStatus.OK
        return len(captured)

    top = post_guest_comment(article, policy=policy)
    post_guest_comment(article, policy=policy, parent=top)
    queries()  # a process's first request also loads the site snapshot (server/siteconfig.py)
    few = queries()
    for _ in range(15):
        reply_to = post_guest_comment(article, policy=policy)
        post_guest_comment(article, policy=policy, parent=reply_to)
    many = queries()

    assert few == many
    assert many <= 5


# Posting ----------------------------------------------------------------------------------


def test_a_guest_comment_is_published_with_201_and_an_edit_token(api, article, policy):
    response = api.post(
        guest_payload(
            {"article": article.pk},
            body="Good news for **farmers**.",
            website="farm.example.org",
        ),
        **{"User-Agent": "TestBrowser/1.0"},
    )

    assert response.status_code == HTTPStatus.CREATED
    data = response.data
    assert data["status"] == "approved"
    assert data["comment"]["html"] == "<p>Good news for <strong>farmers</strong>.</p>"
    assert data["comment"]["author"] == {"name": "Huda", "website": "https://farm.example.org"}
    assert data["edit_window_minutes"] == policy.edit_window_minutes
    assert "email" not in response.content.decode()
    comment = Comment.objects.get(pk=data["comment"]["id"])
    assert comment.status == Comment.Status.APPROVED
    assert comment.commenter.email == "huda@example.org"
    assert comment.ip_address == "127.0.0.1"
    assert comment.user_agent == "TestBrowser/1.0"
    assert response["Cache-Control"] == "no-store"
    listed = api.thread(article=article.pk)
    assert [c["id"] for c in listed.data["comments"]] == [comment.pk]


def test_a_held_comment_answers_202_with_only_the_posters_own_copy(api, article):
    discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)

    response = api.post(guest_payload({"article": article.pk}, body="Please check the dates."))

    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.data["status"] == "pending"
    assert response.data["comment"]["html"] == "<p>Please check the dates.</p>"
    assert response.data["message"] == "Your comment is awaiting moderation."
    assert response.data["edit_token"]
    listed = api.thread(article=article.pk)
    assert listed.data["comments"] == []
    assert "check the dates" not in listed.content.decode()


def test_spam_is_answered_like_any_held_comment(api, article, policy):
    response = api.post(guest_payload({"article": article.pk}, honeypot="http://spam.example"))

    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.data["status"] == "pending"
    assert Comment.objects.get().status == Comment.Status.SPAM


def test_a_comment_posted_at_once_after_the_form_was_shown_is_held(api, article, policy):
    token = api.thread(article=article.pk).data["form_token"]

    fast = api.post(guest_payload({"article": article.pk}, form_token=token))
    forged = api.post(
        guest_payload({"article": article.pk}, body="Another one.", form_token="x:y:z")
    )

    assert fast.status_code == HTTPStatus.ACCEPTED
    assert forged.status_code == HTTPStatus.ACCEPTED
    assert all(
        "2 seconds" in " ".join(describe_all(c.moderation_reasons)) for c in Comment.objects.all()
    )


def test_invalid_fields_are_named_with_a_message_each(api, article, policy):
    response = api.post(
        {
            "thread": {"article": article.pk},
            "body": "   ",
            "name": "",
            "email": "not-an-address",
            "website": "javascript:alert(1)",
        }
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.data["errors"]) == {"body", "name", "email", "website"}
    assert not Comment.objects.exists()
    assert not Thread.objects.exists()  # a refused first comment leaves no empty thread


def test_a_comment_over_the_length_limit_is_refused_with_its_length(api, article):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, max_length=100)

    response = api.post(guest_payload({"article": article.pk}, body="y" * 101))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "101 characters" in response.data["errors"]["body"]


def test_a_reply_to_a_comment_of_another_thread_is_refused(api, section, article, policy):
    elsewhere = post_guest_comment(make_article(section), policy=policy)

    response = api.post(guest_payload({"article": article.pk}, parent=elsewhere.pk))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "parent" in response.data["errors"]


def test_a_reply_lands_under_its_parent(api, article, policy):
    top = post_guest_comment(article, policy=policy)

    response = api.post(guest_payload({"article": article.pk}, parent=top.pk))

    assert response.data["comment"]["parent"] == top.pk
    assert response.data["comment"]["depth"] == 1


def test_closed_discussions_and_banned_commenters_get_403(api, article, policy):
    actions.ban(kind="email", value="banned@example.org")
    banned = api.post(guest_payload({"article": article.pk}, email="banned@example.org"))
    ArticlePage.objects.filter(pk=article.pk).update(comments_enabled=False)

    closed = api.post(guest_payload({"article": article.pk}))
    listed = api.thread(article=article.pk)

    assert banned.status_code == HTTPStatus.FORBIDDEN
    assert closed.status_code == HTTPStatus.FORBIDDEN
    assert closed.data["errors"]["__all__"] == "Comments are closed on this story."
    assert listed.data["thread"]["open"] is False
    assert not Comment.objects.exists()


def test_posting_too_quickly_answers_429_with_retry_after(api, article):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, flood_seconds=30)

    first = api.post(guest_payload({"article": article.pk}, body="First thought."))
    second = api.post(guest_payload({"article": article.pk}, body="Second thought."))

    assert first.status_code == HTTPStatus.CREATED
    assert second.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 1 <= int(second["Retry-After"]) <= 30
    assert second.data["retry_after"] == int(second["Retry-After"])
    assert "too quickly" in second.data["errors"]["__all__"]


# Threads of other sites -----------------------------------------------------------------------


def test_the_first_comment_on_a_page_of_an_allowed_site_creates_its_thread(client, policy):
    blog = Api(client, origin=BLOG)
    page = f"{BLOG}/2024/05/canal.html?utm_source=x#comments"

    first = blog.post(guest_payload({"url": page, "title": "  The   canal  "}))
    second = blog.post(guest_payload({"url": page}, body="Me too.", email="b@example.org"))
    listed = blog.thread(url=page)

    assert first.status_code == second.status_code == HTTPStatus.CREATED
    thread = Thread.objects.get()
    assert thread.url == f"{BLOG}/2024/05/canal.html?utm_source=x"
    assert thread.title == "The canal"
    assert thread.approved_count == 2
    assert [c["id"] for c in listed.data["comments"]] == [
        first.data["comment"]["id"],
        second.data["comment"]["id"],
    ]


def test_explicit_discussion_ids_belong_to_the_origin_that_uses_them(client, policy, settings):
    settings.DATELINE_EMBED_ORIGINS = [OTHER_BLOG]
    Api(client, origin=BLOG).post(guest_payload({"id": "story-7"}))

    from_other = Api(client, origin=OTHER_BLOG).thread(id="story-7")
    from_blog = Api(client, origin=BLOG).thread(id="story-7")

    assert from_other.data["comments"] == []
    assert len(from_blog.data["comments"]) == 1


def test_a_site_cannot_post_to_another_sites_page(client, policy):
    response = Api(client, origin=BLOG).post(guest_payload({"url": f"{OTHER_BLOG}/page"}))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Thread.objects.exists()


def test_a_server_without_an_origin_header_names_the_site(api, policy):
    posted = api.post(guest_payload({"id": "story-9", "origin": BLOG}))
    by_url_owner = api.post(guest_payload({"url": f"{BLOG}/p"}, body="Via the address."))
    refused = api.post(guest_payload({"id": "story-9", "origin": OTHER_BLOG}))

    assert posted.status_code == by_url_owner.status_code == HTTPStatus.CREATED
    assert refused.status_code == HTTPStatus.FORBIDDEN


# Editing and deleting -------------------------------------------------------------------------


def test_the_author_edits_their_comment_with_the_bearer_token(api, article, policy):
    posted = api.post(guest_payload({"article": article.pk})).data
    comment_id, token = posted["comment"]["id"], posted["edit_token"]

    edited = api.patch(comment_id, {"body": "Corrected: *three* bridges."}, token=token)
    via_body = api.patch(comment_id, {"body": "Corrected again.", "edit_token": token})
    wrong = api.patch(comment_id, {"body": "Hijacked."}, token="not-a-token")
    missing = api.patch(comment_id, {"body": "Hijacked."})

    assert edited.status_code == HTTPStatus.OK
    assert edited.data["comment"]["html"] == "<p>Corrected: <em>three</em> bridges.</p>"
    assert edited.data["comment"]["edited"] is not None
    assert via_body.status_code == HTTPStatus.OK
    assert wrong.status_code == missing.status_code == HTTPStatus.FORBIDDEN
    assert Comment.objects.get().body == "Corrected again."


def test_a_token_cannot_edit_a_different_comment(api, article, policy):
    mine = api.post(guest_payload({"article": article.pk})).data
    theirs = post_guest_comment(article, "Not yours.", policy=policy)

    response = api.patch(theirs.pk, {"body": "Hijacked."}, token=mine["edit_token"])

    assert response.status_code == HTTPStatus.FORBIDDEN
    theirs.refresh_from_db()
    assert theirs.body == "Not yours."


def test_edits_after_the_window_are_refused(api, article):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, edit_window_minutes=0)
    posted = api.post(guest_payload({"article": article.pk})).data

    response = api.patch(posted["comment"]["id"], {"body": "Too late."}, token=posted["edit_token"])

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_an_edit_that_must_now_be_held_answers_202(api, article):
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, moderation_words="refund")
    posted = api.post(guest_payload({"article": article.pk})).data

    response = api.patch(
        posted["comment"]["id"], {"body": "Ask for a refund."}, token=posted["edit_token"]
    )

    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.data["status"] == "pending"
    assert api.thread(article=article.pk).data["comments"] == []


def test_the_author_deletes_their_comment(api, article, policy):
    posted = api.post(guest_payload({"article": article.pk})).data
    comment_id, token = posted["comment"]["id"], posted["edit_token"]

    wrong = api.delete(comment_id, token="nope")
    deleted = api.delete(comment_id, token=token)
    via_body = api.delete(comment_id, payload={"edit_token": token})

    assert wrong.status_code == HTTPStatus.FORBIDDEN
    assert deleted.status_code == via_body.status_code == HTTPStatus.NO_CONTENT
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.TRASH
    assert comment.removed_by_author
    assert api.thread(article=article.pk).data["comments"] == []


def test_editing_or_deleting_a_missing_comment_is_404(api, policy):
    assert api.patch(424242, {"body": "x"}, token="t").status_code == HTTPStatus.NOT_FOUND
    assert api.delete(424242, token="t").status_code == HTTPStatus.NOT_FOUND


# Addresses and methods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/",
        f"{API}/nothing/",
        f"{API}/comments",  # no trailing slash: JSON, not a redirect that would drop a POST
        f"{API}/comments/99999999999999999999999/",
    ],
)
def test_unknown_api_addresses_answer_404_in_json(client, path):
    for response in (client.get(path), client.post(path, "{}", content_type="application/json")):
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response["Content-Type"] == "application/json"
        assert "__all__" in json.loads(response.content)["errors"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("post", f"{API}/threads/", "GET, OPTIONS"),
        ("put", f"{API}/comments/", "POST, OPTIONS"),
        ("get", f"{API}/comments/", "POST, OPTIONS"),
        ("get", f"{API}/comments/1/", "PATCH, DELETE, OPTIONS"),
        ("post", f"{API}/openapi.json", "GET, OPTIONS"),
    ],
)
def test_other_methods_answer_405_with_allow(client, db, method, path, allow):
    response = getattr(client, method)(path)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == allow
    assert "__all__" in json.loads(response.content)["errors"]
