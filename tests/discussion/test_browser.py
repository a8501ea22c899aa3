"""What readers click: the comment form in a real Chromium, with JavaScript on and off, by
mouse and by keyboard alone."""

import pytest

from dateline.discussion.models import Comment, DiscussionSettings
from tests.browser import browser, chromium, restore_database, site_url  # noqa: F401
from tests.factories import discussion_policy, make_article, post_guest_comment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("restore_database"),
]


@pytest.fixture
def story(section, site_url, settings):  # noqa: F811
    # A browser fills the form in milliseconds, which the spam checks rightly find suspicious;
    # these tests are about the page, so every comment is published at once.
    settings.DATELINE_SPAM_CHECKERS = []
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    article = make_article(section, title="Old bridge reopens to foot traffic")
    return f"{site_url}{article.url}", article


def fill_details(page, *, name="Amal Hassan", email="amal@example.org"):
    page.fill("#comment-email", email)
    page.fill("#comment-name", name)


def active(page, expression="el.id"):
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {expression}; }})()")


def test_a_guest_posts_a_comment_and_a_reply_in_place_with_javascript(browser, story):  # noqa: F811
    url, _article = story
    page = browser.new_page()
    page.goto(url)
    page.evaluate("window.stillTheSamePage = true")

    page.click("[data-submit]")
    page.wait_for_selector("[data-error-summary]:not([hidden])")
    assert active(page) == "comment-form-errors"
    assert page.get_attribute("#comment-body", "aria-invalid") == "true"

    page.fill("#comment-body", "Walked across it this morning.")
    fill_details(page)
    page.click("[data-submit]")
    page.wait_for_selector(".comment__content >> text=Walked across it this morning.")
    comment = Comment.objects.get()
    assert active(page) == f"comment-{comment.pk}"
    assert page.text_content("[data-comment-count]") == "1 comment"

    page.click(f'a[data-reply-to="{comment.pk}"]')
    assert page.locator(f'li[data-comment-id="{comment.pk}"] #respond').count() == 1
    assert page.text_content("[data-reply-heading]") == "Leave a Reply to Amal Hassan"
    assert active(page) == "comment-body"
    page.fill("#comment-body", "So did I, at dawn.")
    page.click("[data-submit]")
    page.wait_for_selector(
        f'li[data-comment-id="{comment.pk}"] ol.comment-list .comment__content >> text=So did I'
    )

    reply = Comment.objects.get(parent=comment)
    assert active(page) == f"comment-{reply.pk}"
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.text_content("[data-reply-heading]") == "Leave a Reply"
    assert page.is_hidden("[data-cancel-reply]")


def test_a_guest_posts_a_comment_and_a_reply_with_javascript_off(chromium, story):  # noqa: F811
    url, _article = story
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(url)
        page.fill("#comment-body", "Good to have it back.")
        fill_details(page, name="Omar")
        page.press("#comment-name", "Enter")  # posts the comment, not one of the sign-in choices
        # The cached page had no token; a browser with no session posts from it all the same,
        # and lands on its comment (POST, redirect, GET).
        comment = Comment.objects.get()
        assert page.url.endswith(f"#comment-{comment.pk}")
        assert "Good to have it back." in page.text_content(f"#comment-{comment.pk}")

        page.click(f'a[data-reply-to="{comment.pk}"]')
        assert "replytocom=" in page.url
        assert page.text_content("[data-reply-heading]") == "Leave a Reply to Omar"
        page.fill("#comment-body", "Agreed.")
        fill_details(page, name="Layla", email="layla@example.org")
        page.click("[data-submit]")
        reply = Comment.objects.get(parent=comment)
        assert page.url.endswith(f"#comment-{reply.pk}")
        assert page.locator(f'li[data-comment-id="{comment.pk}"] #comment-{reply.pk}').count() == 1
    finally:
        context.close()


def test_a_reader_replies_with_the_keyboard_alone(browser, story):  # noqa: F811
    url, article = story
    existing = post_guest_comment(article, "Is it open at night?", name="Nour")
    page = browser.new_page()
    page.goto(url)

    def tab_to(selector, limit=120):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"never reached {selector} with Tab")

    tab_to(f'a[data-reply-to="{existing.pk}"]')
    page.keyboard.press("Enter")
    assert active(page) == "comment-body"
    assert page.text_content("[data-reply-heading]") == "Leave a Reply to Nour"

    page.keyboard.press("Escape")  # changed my mind: back to where I was
    assert active(page, "el.getAttribute('data-reply-to')") == str(existing.pk)
    assert page.text_content("[data-reply-heading]") == "Leave a Reply"

    page.keyboard.press("Enter")
    page.keyboard.type("Until ten, the sign says.")
    tab_to("#comment-email")
    page.keyboard.type("sara@example.org")
    tab_to("#comment-name")
    page.keyboard.type("Sara")
    page.keyboard.press("Enter")  # submits from a field, as forms do: the comment, not a sign-in
    page.wait_for_selector(".comment__content >> text=Until ten, the sign says.")

    reply = Comment.objects.get(parent=existing)
    assert active(page) == f"comment-{reply.pk}"
    tab_to("[data-submit]")  # and the visible button is reachable too


def test_save_my_details_fills_the_form_on_the_next_visit(browser, story):  # noqa: F811
    url, _article = story
    page = browser.new_page()
    page.goto(url)
    page.fill("#comment-body", "First visit.")
    fill_details(page, name="Sara")
    page.fill("#comment-website", "https://sara.example")
    page.check("#comment-remember")
    page.click("[data-submit]")
    page.wait_for_selector(".comment__content >> text=First visit.")

    page.goto(url)

    assert page.input_value("#comment-name") == "Sara"
    assert page.input_value("#comment-email") == "amal@example.org"
    assert page.input_value("#comment-website") == "https://sara.example"
    assert page.is_checked("#comment-remember")
    assert page.input_value("#comment-body") == ""


def test_the_author_edits_and_deletes_their_comment_in_place(browser, story):  # noqa: F811
    url, _article = story
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url)
    page.fill("#comment-body", "Teh bridge is open.")
    fill_details(page)
    page.click("[data-submit]")
    page.wait_for_selector(".comment__edit")
    comment = Comment.objects.get()

    page.reload()  # the token survives in this browser
    page.click(".comment__edit")
    page.fill(f"#edit-body-{comment.pk}", "The bridge is open.")
    page.click(".comment-editor button[type=submit]")
    page.wait_for_selector(".comment__content >> text=The bridge is open.")
    assert page.is_visible(".comment__edited")
    comment.refresh_from_db()
    assert comment.body == "The bridge is open."

    page.click(".comment__delete")
    page.wait_for_selector(f"#comment-{comment.pk}", state="detached")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.TRASH
