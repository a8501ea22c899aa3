"""The embed in a real Chromium: a page on another origin (a static server on 127.0.0.1)
includes /embed.js from the Dateline live server, shows the thread, and posts a comment
across origins; the author can still edit it after a reload, and their details are kept only
when they ask; a page on an origin that is not allowed gets nothing and cannot post."""

import json

import pytest

from dateline.discussion import actions, targets
from dateline.discussion.models import Comment, DiscussionSettings, Thread
from tests.browser import playwright_sync_api, restore_database  # noqa: F401 - module fixture
from tests.discussion.embed_helpers import HostSite, in_browser
from tests.factories import discussion_policy

# Skips the module without Playwright, except in CI, where that fails (tests/browser.py).
expect = playwright_sync_api().expect

# Transactional: the live server answers from another thread, so the data must be committed.
# serialized_rollback restores Wagtail's root page and default site that the flush removes.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("restore_database"),
]

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner story</title></head>
<body><main><h1>Partner story</h1><p>A story on another site.</p>
<div id="talk"></div>
<script src="{dateline}/embed.js" data-dateline-target="#talk" async></script>
</main></body></html>"""

REMEMBER = "Save my name, email, and website in this browser for the next time I comment."
# What a browser with storage switched off (or a sandboxed page) does on any use of it.
BLOCK_STORAGE = """Object.defineProperty(window, "localStorage", {
    get() { throw new DOMException("The operation is insecure.", "SecurityError"); }
});"""


def post_as_a_guest(
    page, body: str, *, name: str, email: str, remember: bool = False, shown: str = ""
) -> None:
    """Fill in and post the embed's form; returns once the comment (``shown`` as rendered, if
    that differs from what was typed) is in the thread and focused."""
    talk = page.locator("#talk")
    # People take more than two seconds to write; faster posts are held as likely bots.
    page.wait_for_timeout(2100)
    talk.get_by_role("textbox", name="Comment (required)").fill(body)
    talk.get_by_role("textbox", name="Name (required)").fill(name)
    talk.get_by_role("textbox", name="Email (required)").fill(email)
    if remember:
        talk.get_by_role("checkbox", name=REMEMBER).check()
    talk.get_by_role("button", name="Post Comment").click()
    expect(talk.locator(".dateline-comment", has_text=shown or body)).to_be_focused()


@pytest.fixture
def host_site(live_server):
    with HostSite() as site:
        site.pages["/story.html"] = HOST_PAGE.format(dateline=live_server.url)
        yield site


def _seed_thread(origin: str, page_url: str, policy: DiscussionSettings) -> Comment:
    thread = actions.ensure_thread(
        targets.embedded_page(
            origin=origin, allowed_origins=[origin], page_url=page_url, title="Partner story"
        )
    )
    return actions.post_comment(
        target=targets.of_thread(thread),
        body="An earlier reader was *here*.",
        policy=policy,
        meta=actions.RequestMeta(ip_address="192.0.2.1"),
        author=actions.Guest(name="Layla", email="layla@example.org"),
    ).comment


def test_a_reader_on_an_allowed_site_reads_the_thread_and_posts_a_comment(host_site):
    allowed = host_site.origin("127.0.0.1")
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, embed_origins=allowed)
    story = f"{allowed}/story.html"
    earlier = _seed_thread(allowed, story, policy)

    def scenario(page):
        page.goto(story)
        talk = page.locator("#talk")
        expect(talk.get_by_text("An earlier reader was here.")).to_be_visible()
        expect(talk.locator(f"#dateline-comment-{earlier.pk} em")).to_have_text("here")
        expect(talk.get_by_role("heading", name="Leave a Reply")).to_be_visible()
        for label in (
            "Comment (required)",
            "Name (required)",
            "Email (required)",
            "Website (optional)",
        ):
            expect(talk.get_by_role("textbox", name=label)).to_be_visible()
        expect(talk.locator(".dateline-text").first).to_have_attribute("dir", "auto")

        # Errors: said in an alert, marked on the field, and the focus goes to the first one.
        talk.get_by_role("button", name="Post Comment").click()
        expect(talk.get_by_role("alert")).to_have_text("Please correct the errors below.")
        body = talk.get_by_role("textbox", name="Comment (required)")
        expect(body).to_have_attribute("aria-invalid", "true")
        expect(body).to_be_focused()

        # Replying by keyboard moves the form under the comment and back.
        talk.get_by_role("button", name="Leave a Reply to Layla").focus()
        page.keyboard.press("Enter")
        expect(talk.get_by_role("heading", name="Leave a Reply to Layla")).to_be_visible()
        expect(body).to_be_focused()
        talk.get_by_role("button", name="Cancel reply").click()
        expect(talk.get_by_role("heading", name="Leave a Reply")).to_be_visible()

        remember = talk.get_by_role("checkbox", name=REMEMBER)
        expect(remember).not_to_be_checked()
        post_as_a_guest(
            page,
            "Posted from the partner site, with **feeling**.",
            name="Omar",
            email="omar@example.org",
            remember=True,
            shown="Posted from the partner site, with feeling.",
        )
        posted = talk.locator(".dateline-comment", has_text="Posted from the partner site")
        expect(posted.locator("strong")).to_have_text("feeling")
        expect(body).to_have_value("")

        # After a reload the thread still shows it, its author can still edit it (the token
        # was kept in localStorage), and the ticked box brought the details back.
        page.reload()
        talk = page.locator("#talk")
        posted = talk.locator(".dateline-comment", has_text="Posted from the partner site")
        expect(posted).to_be_visible()
        expect(
            talk.locator(f"#dateline-comment-{earlier.pk}").get_by_role("button", name="Edit")
        ).to_have_count(0)
        expect(talk.get_by_role("textbox", name="Name (required)")).to_have_value("Omar")
        expect(talk.get_by_role("textbox", name="Email (required)")).to_have_value(
            "omar@example.org"
        )
        expect(talk.get_by_role("checkbox", name=REMEMBER)).to_be_checked()
        posted = talk.locator("#" + (posted.get_attribute("id") or ""))  # text is to change
        posted.get_by_role("button", name="Edit").click()
        posted.get_by_role("textbox", name="Comment").fill("Edited after a reload.")
        posted.get_by_role("button", name="Save").click()
        expect(posted.get_by_text("Edited after a reload.")).to_be_visible()
        return page.console_errors

    console_errors = in_browser(scenario)

    comment = Comment.objects.get(author_name="Omar")
    assert comment.status == Comment.Status.APPROVED
    assert comment.body == "Edited after a reload."
    assert comment.thread_id == earlier.thread_id
    # (The 400 of the empty form and the host's missing favicon are logged as failed loads.)
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []


def test_the_readers_details_are_remembered_only_when_they_tick_the_box(host_site):
    allowed = host_site.origin("127.0.0.1")
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, embed_origins=allowed)

    def scenario(page):
        page.goto(f"{allowed}/story.html")
        post_as_a_guest(page, "Not remembered.", name="Rana", email="rana@example.org")
        kept = page.evaluate(
            "() => [localStorage.getItem('dateline.commenter'),"
            " Object.keys(JSON.parse(localStorage.getItem('dateline.editTokens')))]"
        )
        page.reload()
        talk = page.locator("#talk")
        expect(talk.get_by_text("Not remembered.")).to_be_visible()
        expect(talk.get_by_role("textbox", name="Name (required)")).to_have_value("")
        expect(talk.get_by_role("checkbox", name=REMEMBER)).not_to_be_checked()
        expect(talk.get_by_role("button", name="Edit")).to_be_visible()
        return kept

    details, token_ids = in_browser(scenario)

    assert details is None
    assert token_ids == [str(Comment.objects.get(author_name="Rana").pk)]


def test_with_storage_blocked_the_author_can_still_edit_until_the_page_is_left(host_site):
    allowed = host_site.origin("127.0.0.1")
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, embed_origins=allowed)

    def scenario(page):
        page.add_init_script(BLOCK_STORAGE)
        page.goto(f"{allowed}/story.html")
        post_as_a_guest(
            page, "Posted without storage.", name="Ziad", email="ziad@example.org", remember=True
        )
        posted = page.locator("#talk .dateline-comment", has_text="Posted without storage.")
        expect(posted.get_by_role("button", name="Edit")).to_be_visible()
        return page.console_errors

    console_errors = in_browser(scenario)

    assert Comment.objects.filter(author_name="Ziad").exists()
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []


def test_closed_discussions_say_so_instead_of_showing_the_form(host_site):
    allowed = host_site.origin("127.0.0.1")
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, embed_origins=allowed)
    story = f"{allowed}/story.html"
    Thread.objects.filter(pk=_seed_thread(allowed, story, policy).thread_id).update(closed=True)

    def scenario(page):
        page.goto(story)
        expect(page.get_by_text("Comments are closed.")).to_be_visible()
        expect(page.get_by_text("An earlier reader was here.")).to_be_visible()
        expect(page.get_by_role("button", name="Post Comment")).to_have_count(0)
        expect(page.get_by_role("button", name="Leave a Reply to Layla")).to_have_count(0)

    in_browser(scenario)


def test_a_site_that_is_not_allowed_gets_nothing_and_cannot_post(host_site, live_server):
    allowed = host_site.origin("127.0.0.1")
    stranger = host_site.origin("localhost")  # same server, another origin
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH, embed_origins=allowed)
    payload = json.dumps(
        {
            "thread": {"url": f"{stranger}/story.html"},
            "body": "From a stranger's page.",
            "name": "Eve",
            "email": "eve@example.org",
        }
    )

    def scenario(page):
        page.goto(f"{stranger}/story.html")
        expect(page.locator("#talk").get_by_role("alert")).to_have_text(
            "The discussion could not be loaded."
        )
        return page.evaluate(
            """async ([api, payload]) => {
                let cors;
                try {
                    const r = await fetch(api, {method: "POST", credentials: "omit",
                        body: payload, headers: {"Content-Type": "application/json"}});
                    cors = "answered " + r.status;
                } catch (e) { cors = "refused"; }
                // What a page can send without a preflight; the browser hides the answer.
                const simple = await fetch(api, {method: "POST", mode: "no-cors",
                    body: payload, headers: {"Content-Type": "text/plain"}});
                return [cors, simple.type];
            }""",
            [f"{live_server.url}/comments/api/comments/", payload],
        )

    assert in_browser(scenario) == ["refused", "opaque"]
    assert not Comment.objects.exists()
    assert not Thread.objects.exists()


def test_a_long_subthread_shows_its_first_replies_and_the_rest_on_request(host_site):
    from dateline.discussion.threads import REPLIES_SHOWN

    allowed = host_site.origin("127.0.0.1")
    policy = discussion_policy(
        mode=DiscussionSettings.Mode.PUBLISH, embed_origins=allowed, flood_seconds=0
    )
    story = f"{allowed}/story.html"
    root = _seed_thread(allowed, story, policy)

    def reply(n: int, parent: Comment) -> Comment:
        return actions.post_comment(
            target=targets.of_thread(root.thread),
            body=f"Reply number {n}.",
            policy=policy,
            meta=actions.RequestMeta(ip_address="192.0.2.2"),
            author=actions.Guest(name=f"Reader {n}", email=f"reader{n}@example.org"),
            parent_id=parent.pk,
        ).comment

    replies = [reply(n, root) for n in range(REPLIES_SHOWN + 2)]
    # Its parent is on the page already: it must land under it, not at the end.
    answer = reply(99, replies[REPLIES_SHOWN])

    def scenario(page):
        page.goto(story)
        talk = page.locator("#talk")
        expect(talk.get_by_text(f"Reply number {REPLIES_SHOWN - 1}.")).to_be_visible()
        expect(talk.get_by_text(f"Reply number {REPLIES_SHOWN}.")).to_have_count(0)
        more = talk.get_by_role("button", name="Show more replies (3)")
        more.focus()
        page.keyboard.press("Enter")
        expect(talk.get_by_text(f"Reply number {REPLIES_SHOWN + 1}.")).to_be_visible()
        expect(talk.locator(f"#dateline-comment-{replies[REPLIES_SHOWN].pk}")).to_be_focused()
        expect(
            talk.locator(
                f"#dateline-comment-{replies[REPLIES_SHOWN].pk} > .dateline-children "
                f"> #dateline-comment-{answer.pk}"
            )
        ).to_be_visible()
        expect(more).to_have_count(0)

    in_browser(scenario)
