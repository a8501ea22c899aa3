"""The sign-in part of the "Leave a Reply" form and the small endpoints behind it: what the
cached article shows everyone, what a signed-in reader's uncached page shows, /identity/me/,
Log Out and Change, and where a reader may be sent back to."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client, RequestFactory

from dateline.discussion.models import Commenter
from dateline.identity import actions, returns, session
from tests.identity.conftest import add_app, query_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(db):
    return add_app("google", name="Google")


@pytest.fixture
def commenter(db) -> Commenter:
    return Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER,
        provider="google",
        subject="110169484474386276334",
        display_name="Nadia Karim",
        email="nadia@example.org",
        email_verified=True,
        avatar_url="https://lh3.googleusercontent.com/a/nadia",
    )


def sign_in(client: Client, commenter: Commenter) -> None:
    sess = client.session
    sess[session.COMMENTER_KEY] = commenter.pk
    sess.save()
    client.cookies["dateline_identity"] = "1"


def test_the_article_offers_configured_providers_with_accessible_names(client, article, google):
    add_app("twitter_oauth2", name="X")
    add_app(
        "openid_connect",
        provider_id="newsroom",
        name="Newsroom SSO",
        settings={"server_url": "https://sso.example.org"},
    )

    page = client.get(article.url).content.decode()

    assert "Fill in your details below or click an icon to log in:" in page
    for name in ("Google", "X", "Newsroom SSO"):
        assert f"Log in with {name}" in page
        assert f'data-connecting="Connecting to {name}…"' in page
    assert "Facebook" not in page
    assert "%s" not in page
    assert 'formaction="/identity/start/google/?next=' in page
    assert "Or confirm your email address" in page


def test_the_big_providers_show_their_own_marks_in_their_brand_colours(client, article, google):
    """Readers recognise Google, Facebook, X and WordPress.com by their marks, not by a letter
    in a circle; the marks are inlined (no request to the provider) and decorative."""
    import re

    add_app("facebook", name="Facebook")
    add_app("twitter_oauth2", name="X")
    add_app("wordpress_com", name="WordPress.com")

    page = client.get(article.url).content.decode()

    buttons = dict(
        re.findall(r'title="Log in with ([^"]+)"[^>]*>(<svg.*?</svg>)', page, flags=re.S)
    )
    assert set(buttons) == {"Google", "Facebook", "X", "WordPress.com"}
    colours = {
        "Google": {"#4285F4", "#34A853", "#FBBC05", "#EA4335"},
        "Facebook": {"#0866FF"},
        "X": {"#000"},
        "WordPress.com": {"#21759B"},
    }
    for name, svg in buttons.items():
        assert set(re.findall(r'fill="(#[0-9A-Fa-f]+)"', svg)) == colours[name], name
        assert 'aria-hidden="true"' in svg
        assert "<text" not in svg  # a drawn mark, not a letter
        assert "http" not in svg
        assert "href" not in svg


def test_an_openid_connect_provider_shows_the_icon_its_editor_set(client, article):
    add_app(
        "openid_connect",
        provider_id="partner",
        name="Partner Press",
        settings={
            "server_url": "https://id.partner.example",
            "icon_url": "https://partner.example/i.svg",
        },
    )

    page = client.get(article.url).content.decode()

    assert '<img class="sign-in__icon" src="https://partner.example/i.svg" alt=""' in page
    assert "Log in with Partner Press" in page  # the name stays the accessible label


def test_switched_off_providers_get_no_icon(client, article):
    add_app("google", settings={"enabled": False})
    add_app("facebook", name="Facebook")

    page = client.get(article.url).content.decode()

    assert "Log in with Google" not in page
    assert "Log in with Facebook" in page


def test_providers_from_the_environment_get_an_icon_and_win_over_the_admin(
    client, article, settings
):
    import copy

    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APPS"] = [
        {"name": "Google", "client_id": "env-id", "secret": "env-secret", "settings": {}}
    ]
    settings.SOCIALACCOUNT_PROVIDERS = providers
    add_app("google", client_id="admin-id")

    page = client.get(article.url).content.decode()
    started = client.post(f"/identity/start/google/?next={article.url}")

    assert page.count("Log in with Google") == 2  # the title and the hidden text of one icon
    assert query_of(started["Location"])["client_id"] == "env-id"


def test_the_cached_article_carries_nothing_about_the_reader(client, article, google, commenter):
    anonymous = client.get(article.url)

    assert "Nadia" not in anonymous.content.decode()
    assert "sessionid" not in anonymous.cookies
    assert "data-signed-in" not in anonymous.content.decode()


def test_a_signed_in_readers_uncached_page_shows_who_they_are(client, article, google, commenter):
    sign_in(client, commenter)

    page = client.get(article.url).content.decode()

    assert "You are commenting using your Google account." in page
    assert "data-signed-in" in page
    assert "Log Out" in page
    assert "Change" in page
    # The provider's picture is never linked from the page (the server keeps its own copy).
    assert "googleusercontent" not in page


def test_me_answers_the_script_and_is_never_cached(client, commenter):
    anonymous = client.get("/identity/me/")
    sign_in(client, commenter)
    signed_in = client.get("/identity/me/")

    assert anonymous.json()["signed_in"] is False
    assert "no-store" in anonymous["Cache-Control"]
    data = signed_in.json()
    assert data["signed_in"] is True
    assert data["name"] == "Nadia Karim"
    assert data["provider"] == "google"
    # Only the copy the server stored is ever shown (none yet): never the provider's address.
    assert data["avatar"] == ""
    assert "googleusercontent" not in signed_in.content.decode()
    assert data["text"] == "You are commenting using your Google account."
    assert data["csrf_token"]
    assert "private" in signed_in["Cache-Control"]


def test_log_out_ends_the_commenting_identity_only_by_post(client, commenter, article):
    sign_in(client, commenter)

    assert client.get("/identity/sign-out/").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    out = client.post("/identity/sign-out/", {"next": article.url})

    assert out.status_code == HTTPStatus.FOUND
    assert out["Location"] == f"{article.url}#respond"
    assert client.get("/identity/me/").json()["signed_in"] is False
    assert out.cookies["dateline_identity"]["max-age"] == 0


def test_change_signs_out_and_goes_back_to_the_choices(client, commenter, article):
    sign_in(client, commenter)

    out = client.post(f"/identity/sign-out/?next={article.url}&change=1")

    assert out["Location"] == f"{article.url}#sign-in-choices"
    assert client.get("/identity/me/").json()["signed_in"] is False


def test_log_out_from_a_cached_form_without_a_token_asks_again_instead_of_failing(
    commenter, article
):
    reader = Client(enforce_csrf_checks=True)
    sign_in(reader, commenter)

    asked = reader.post(f"/identity/sign-out/?next={article.url}")

    assert asked.status_code == HTTPStatus.OK
    assert b"Log out of commenting?" in asked.content
    assert reader.get("/identity/me/").json()["signed_in"] is True


def test_the_scripts_log_out_without_a_token_gets_the_one_json_error_shape(commenter, article):
    reader = Client(enforce_csrf_checks=True)
    sign_in(reader, commenter)

    refused = reader.post(f"/identity/sign-out/?next={article.url}", HTTP_ACCEPT="application/json")

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json() == {"errors": {"__all__": "Your session has expired. Please try again."}}
    assert "no-store" in refused["Cache-Control"]
    assert reader.get("/identity/me/").json()["signed_in"] is True


def test_logging_out_of_commenting_keeps_an_editor_in_the_admin(
    client, commenter, django_user_model
):
    editor = django_user_model.objects.create_superuser("editor", "e@example.org", "pw-for-tests")
    client.force_login(editor)
    sign_in(client, commenter)

    client.post("/identity/sign-out/", {"next": "/"})

    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_the_wagtail_admin_login_still_takes_a_username_and_password(client, django_user_model):
    django_user_model.objects.create_superuser("editor", "e@example.org", "correct horse battery")

    form = client.get("/admin/login/")
    logged_in = client.post(
        "/admin/login/",
        {"username": "editor", "password": "correct horse battery", "next": "/admin/"},
    )

    assert form.status_code == HTTPStatus.OK
    assert logged_in.status_code == HTTPStatus.FOUND
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_allauths_local_account_pages_are_not_there(client):
    for path in (
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/3rdparty/signup/",
    ):
        assert client.get(path).status_code == HTTPStatus.NOT_FOUND, path


# Starting a sign-in ---------------------------------------------------------------------


def test_the_popup_gets_a_page_that_posts_itself_with_a_fresh_token(client, google, article):
    page = client.get(f"/identity/start/google/?next={article.url}&popup=1")

    html = page.content.decode()
    assert page.status_code == HTTPStatus.OK
    assert "Connecting to Google…" in html
    assert "data-identity-autosubmit" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert (
        f'action="/identity/start/google/?next={article.url.replace("/", "%2F")}&amp;popup=1"'
        in html
    )
    assert "no-store" in page["Cache-Control"]


def test_another_site_linking_to_the_start_page_cannot_start_a_sign_in_unseen(client, google):
    page = client.get("/identity/start/google/?next=/", HTTP_SEC_FETCH_SITE="cross-site")

    assert "data-identity-autosubmit" not in page.content.decode()
    assert "Continue to Google" in page.content.decode()


def test_a_form_without_a_valid_token_asks_again_and_keeps_what_was_typed(google, article):
    reader = Client(enforce_csrf_checks=True)

    asked = reader.post(
        f"/identity/start/google/?next={article.url}",
        {"body": "Half-written <thoughts>", "name": "Nadia", "email": "n@example.org"},
    )

    html = asked.content.decode()
    assert asked.status_code == HTTPStatus.OK
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="body" value="Half-written &lt;thoughts&gt;"' in html
    assert "socialaccount_states" not in reader.session
    assert session.DRAFT_KEY not in reader.session


def test_without_javascript_the_draft_waits_in_the_session(client, google, article):
    client.post(
        f"/identity/start/google/?next={article.url}", {"body": "Draft", "email": "n@example.org"}
    )

    assert client.session[session.DRAFT_KEY] == {
        "path": article.url,
        "fields": {"body": "Draft", "email": "n@example.org"},
    }
    assert client.get(f"/identity/me/?path={article.url}").json()["draft"]["body"] == "Draft"
    assert client.get(f"/identity/me/?path={article.url}").json()["draft"] is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/identity/sign-out/",
        "/accounts/google/login/callback/",
        "",
    ],
)
def test_next_can_only_be_a_path_on_this_site(client, google, target):
    started = client.post("/identity/start/google/", {"next": target})

    stashed = next(iter(client.session["socialaccount_states"].values()))[0]
    assert stashed["next"] == "/identity/finish/?next=%2F"
    finished = client.get(f"/identity/finish/?next={target}")
    assert finished["Location"] == "/#respond"
    assert started.status_code == HTTPStatus.FOUND


def test_safe_return_path_keeps_the_query_and_drops_the_fragment():
    request = RequestFactory().get("/")

    assert returns.safe_return_path("/world/story/?replytocom=5#x", request=request) == (
        "/world/story/?replytocom=5"
    )
    assert returns.safe_return_path("/%0d%0a", request=request) == "/%0d%0a"
    assert returns.safe_return_path("/a\r\nb", request=request) == "/"


def test_finish_in_a_popup_answers_a_page_that_tells_its_opener(client, commenter, article):
    sign_in(client, commenter)

    page = client.get(f"/identity/finish/?next={article.url}&popup=1")

    html = page.content.decode()
    assert "data-identity-finish" in html
    assert f'data-return-url="{article.url}#respond"' in html
    assert "You are signed in" in html


def test_a_deleted_identity_is_signed_out_on_the_next_request(client, commenter):
    sign_in(client, commenter)
    commenter.delete()

    assert client.get("/identity/me/").json()["signed_in"] is False
    assert session.COMMENTER_KEY not in client.session


def test_sign_out_without_a_session_is_harmless(client):
    request = RequestFactory().post("/identity/sign-out/")
    request.COOKIES = {}

    actions.sign_out_commenter(request)
