"""End to end in a real Chromium: a reader signs in to comment with a real OpenID Connect
provider (django-oauth-toolkit in its own process on 127.0.0.1), through the popup the comment
form opens, and through the full-page fallback when popups are blocked."""

from __future__ import annotations

import re

import pytest
from allauth.socialaccount.models import SocialApp

from dateline.discussion.models import Comment, DiscussionSettings
from tests.browser import browser, chromium, restore_database, site_url  # noqa: F401
from tests.factories import discussion_policy, make_article
from tests.identity.conftest import OIDC_CALLBACK_PATH, OIDC_PROVIDER_ID

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("restore_database"),
]

# The machine is small and busy: generous, but bounded.
SLOW_MS = 30_000
SIGNED_IN = "You are commenting using your Newsroom SSO account."


@pytest.fixture
def story(section, site_url, settings, oidc_server):  # noqa: F811
    settings.DATELINE_SPAM_CHECKERS = []
    discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    oidc_server.allow_redirect_uri(f"{site_url}{OIDC_CALLBACK_PATH}")
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id=OIDC_PROVIDER_ID,
        name="Newsroom SSO",
        client_id=oidc_server.client_id,
        secret=oidc_server.client_secret,
        settings={"server_url": oidc_server.url, "enabled": True},
    )
    article = make_article(section, title="Night ferry returns to the harbour")
    return f"{site_url}{article.url}"


def sign_in_at_provider(page, oidc_server, *, approve: bool = True, popup: bool = True) -> None:
    """What the reader does on the provider's own pages: sign in, then approve (or cancel).
    In a popup, returns once the popup has closed itself."""
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/accounts/login/"), timeout=SLOW_MS)
    page.fill("#id_username", oidc_server.username)
    page.fill("#id_password", oidc_server.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#authorizationForm", timeout=SLOW_MS)
    button = "input[name=allow]" if approve else "input[type=submit]:not([name=allow])"
    if not popup:
        page.click(button)
        return
    # Listening before the click: the popup may close before a later wait could start.
    with page.expect_event("close", timeout=SLOW_MS):
        page.click(button)


def signed_in_through_the_popup(browser, story: str, oidc_server):  # noqa: F811
    """A new tab on the story, signed in through the popup; returned once the form says so."""
    page = browser.new_page()
    page.goto(story)
    with page.expect_popup(timeout=SLOW_MS) as opened:
        page.get_by_role("button", name="Log in with Newsroom SSO").click()
    sign_in_at_provider(opened.value, oidc_server)
    page.wait_for_selector(f"text={SIGNED_IN}", timeout=SLOW_MS)
    return page


def guest_fields_visible(page) -> bool:
    return page.is_visible("#comment-email")


def test_a_reader_signs_in_in_a_popup_posts_and_logs_out(browser, story, oidc_server):  # noqa: F811
    page = browser.new_page()
    page.goto(story)
    page.fill("#comment-body", "Glad the night crossing is back.")
    assert guest_fields_visible(page)

    with page.expect_popup(timeout=SLOW_MS) as opened:
        page.get_by_role("button", name="Log in with Newsroom SSO").click()
    status = page.locator("[data-identity-status]")
    assert status.get_attribute("aria-live") == "polite"
    assert status.text_content() == "Connecting to Newsroom SSO…"
    sign_in_at_provider(opened.value, oidc_server)

    page.wait_for_selector(f"text={SIGNED_IN}", timeout=SLOW_MS)
    assert not guest_fields_visible(page)
    assert status.text_content() == ""
    assert page.input_value("#comment-body") == "Glad the night crossing is back."
    # The provider's picture is fetched by the worker, never linked from the page: until the
    # copy is stored there is no picture at all.
    assert not page.get_attribute("[data-identity-avatar]", "src")
    assert "images.example.org" not in page.content()

    page.click("[data-submit]")
    page.wait_for_selector(".comment >> text=Glad the night crossing is back.", timeout=SLOW_MS)
    comment = Comment.objects.get()
    assert comment.author_name == "Amal Haddad"
    assert comment.commenter.provider == OIDC_PROVIDER_ID
    assert "Amal Haddad" in page.text_content(f"#comment-{comment.pk}")

    page.get_by_role("button", name="Log Out").click()
    page.wait_for_selector("[data-identity-choices]:not([hidden])", timeout=SLOW_MS)
    assert guest_fields_visible(page)
    assert page.is_hidden("[data-identity-current]")


def test_the_story_learns_of_the_sign_in_even_when_no_message_gets_through(
    browser,  # noqa: F811
    story,
    oidc_server,
):
    """The popup's messages lost (no BroadcastChannel, and the provider's isolation cuts the
    popup off from its opener): once the popup looks closed, the story asks the server."""
    browser.add_init_script("delete window.BroadcastChannel;")

    page = signed_in_through_the_popup(browser, story, oidc_server)

    assert not guest_fields_visible(page)


def test_change_goes_back_to_the_choices(browser, story, oidc_server):  # noqa: F811
    page = signed_in_through_the_popup(browser, story, oidc_server)

    page.get_by_role("button", name="Change").click()

    page.wait_for_selector("[data-identity-choices]:not([hidden])", timeout=SLOW_MS)
    focused = page.evaluate("document.activeElement.getAttribute('data-identity-provider')")
    assert focused == OIDC_PROVIDER_ID
    page.reload()
    assert page.is_hidden("[data-identity-current]")


def test_with_popups_blocked_the_tab_goes_and_comes_back_with_the_draft(
    browser,  # noqa: F811
    story,
    oidc_server,
):
    page = browser.new_page()
    page.add_init_script("window.open = function () { return null; };")
    page.goto(story)
    page.fill("#comment-body", "Typed before signing in.")

    page.get_by_role("button", name="Log in with Newsroom SSO").click()
    sign_in_at_provider(page, oidc_server, popup=False)

    page.wait_for_url(re.compile(re.escape(story) + "#respond$"), timeout=SLOW_MS)
    page.wait_for_selector(f"text={SIGNED_IN}", timeout=SLOW_MS)
    assert page.input_value("#comment-body") == "Typed before signing in."


def test_denied_consent_in_the_popup_is_a_message_in_the_form(browser, story, oidc_server):  # noqa: F811
    page = browser.new_page()
    page.goto(story)
    page.fill("#comment-body", "Still here?")
    with page.expect_popup(timeout=SLOW_MS) as opened:
        page.get_by_role("button", name="Log in with Newsroom SSO").click()
    sign_in_at_provider(opened.value, oidc_server, approve=False)

    page.wait_for_selector("text=You cancelled signing in with Newsroom SSO", timeout=SLOW_MS)
    assert page.input_value("#comment-body") == "Still here?"
    assert guest_fields_visible(page)


def test_without_javascript_the_icon_still_signs_the_reader_in(chromium, story, oidc_server):  # noqa: F811
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(SLOW_MS)
    page = context.new_page()
    try:
        page.goto(story)
        page.get_by_role("button", name="Log in with Newsroom SSO").click()
        # The cached page's form carried no token: one click more on a page that has one.
        page.get_by_role("button", name="Continue to Newsroom SSO").click()
        sign_in_at_provider(page, oidc_server, popup=False)
        page.wait_for_url(re.compile(re.escape(story) + "#respond$"), timeout=SLOW_MS)
        assert page.is_visible(f"text={SIGNED_IN}")
        assert not guest_fields_visible(page)
    finally:
        context.close()


def test_the_popup_stays_open_until_the_story_has_heard_it(browser, story, site_url):  # noqa: F811
    """A message posted just before ``window.close()`` can go down with the window; the popup
    closes on the article's answer instead (here a listener that answers when told to)."""
    page = browser.new_page()
    page.goto(f"{site_url}/")
    finish_url = "/identity/finish/?popup=1&next=/"
    heard_while_open = page.evaluate(
        """(url) => new Promise((resolve) => {
            const channel = new BroadcastChannel("dateline-identity");
            channel.onmessage = (event) => {
              if (event.data && event.data.type === "dateline:identity") resolve(!window.popup.closed);
            };
            window.popup = window.open(url, "dateline-sign-in", "popup=yes");
            window.channel = channel;
        })""",
        finish_url,
    )
    assert heard_while_open
    page.wait_for_timeout(300)
    assert page.evaluate("window.popup.closed") is False

    page.evaluate("window.channel.postMessage({type: 'dateline:identity:heard'})")
    page.wait_for_function("window.popup.closed", timeout=SLOW_MS)
