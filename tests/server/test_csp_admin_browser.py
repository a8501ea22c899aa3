"""The admin works under the Content-Security-Policy: an editor signs in and opens the
dashboard, the page explorer and a story's edit form (Wagtail's inline widget scripts carry
the nonce) in Chromium, which reports no violation (the ``browser`` fixture fails the test on
any) and the edit form's widgets come alive."""

import pytest
from django.contrib.auth import get_user_model

from tests.browser import browser, chromium, restore_database, site_url  # noqa: F401
from tests.factories import make_article

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("restore_database"),
]


def test_an_editor_uses_the_admin_without_a_policy_violation(browser, section, site_url):  # noqa: F811
    article = make_article(section, title="Council approves the new market hall")
    get_user_model().objects.create_superuser("desk", "desk@example.org", "a-long-password-1")
    page = browser.new_page()

    page.goto(f"{site_url}/admin/login/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", "a-long-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site_url}/admin/")

    page.goto(f"{site_url}/admin/pages/")
    page.goto(f"{site_url}/admin/pages/{article.pk}/edit/")
    # The title field is there and the Stimulus-driven admin is running (it marks <html>).
    page.wait_for_selector("#id_title")
    assert page.input_value("#id_title") == "Council approves the new market hall"
    page.wait_for_function("() => window.wagtail !== undefined")
