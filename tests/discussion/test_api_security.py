"""Who may call the JSON API: CORS for the allowlisted sites, CSRF for same-origin calls that
carry cookies, and cross-origin calls that never act with a reader's session."""

import json
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from dateline.discussion.models import Comment, Commenter, DiscussionSettings, Thread
from dateline.identity import session as identity_session
from tests.discussion.embed_helpers import API, Api, guest_payload
from tests.factories import discussion_policy, make_article

pytestmark = pytest.mark.django_db

ADMIN_LISTED = "https://blog.example.org"
ENV_LISTED = "https://partner.example.com"
STRANGER = "https://evil.example"
OWN = "http://testserver"
CSRF_SECRET = "k" * 32


@pytest.fixture
def article(section):
    return make_article(section, title="Harbour reopens to fishing boats")


@pytest.fixture(autouse=True)
def allowlist(db, settings):
    settings.DATELINE_EMBED_ORIGINS = [ENV_LISTED]
    return discussion_policy(
        mode=DiscussionSettings.Mode.PUBLISH, embed_origins=f"{ADMIN_LISTED}/\n"
    )


@pytest.fixture
def strict_client():
    return Client(enforce_csrf_checks=True)


def _preflight(client, origin, path=f"{API}/comments/", method="POST"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )


def _no_cors(response):
    return not any(name.lower().startswith("access-control-") for name in response.headers)


# CORS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [ADMIN_LISTED, ENV_LISTED])
def test_a_preflight_from_an_allowed_site_names_that_site_and_no_credentials(client, origin):
    response = _preflight(client, origin)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response["Vary"]
    assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    allowed_headers = response["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed_headers
    assert "authorization" in allowed_headers
    assert int(response["Access-Control-Max-Age"]) > 0
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_a_preflight_for_editing_allows_patch_and_delete(client):
    response = _preflight(client, ADMIN_LISTED, path=f"{API}/comments/5/", method="PATCH")

    assert response["Access-Control-Allow-Methods"] == "PATCH, DELETE, OPTIONS"


@pytest.mark.parametrize(
    "origin", [STRANGER, "null", "https://blog.example.org.evil.example", "http://blog.example.org"]
)
def test_a_preflight_from_any_other_origin_gets_no_cors_headers(client, origin):
    response = _preflight(client, origin)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _no_cors(response)
    assert "Origin" in response["Vary"]


def test_an_allowed_site_posts_across_origins_and_can_read_the_answer(client, article):
    response = Api(client, origin=ADMIN_LISTED).post(guest_payload({"article": article.pk}))

    assert response.status_code == HTTPStatus.CREATED
    assert response["Access-Control-Allow-Origin"] == ADMIN_LISTED
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    assert "Origin" in response["Vary"]
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_error_answers_to_an_allowed_site_carry_cors_headers_so_it_can_show_them(client, article):
    response = Api(client, origin=ADMIN_LISTED).post(
        guest_payload({"article": article.pk}, body="")
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Access-Control-Allow-Origin"] == ADMIN_LISTED


@pytest.mark.parametrize("origin", [STRANGER, "null"])
def test_other_origins_cannot_post_edit_or_delete(client, article, origin):
    stranger = Api(client, origin=origin)
    own = Api(client).post(guest_payload({"article": article.pk})).data

    posted = stranger.post(guest_payload({"article": article.pk}, body="From a stranger."))
    edited = stranger.patch(own["comment"]["id"], {"body": "Changed."}, token=own["edit_token"])
    deleted = stranger.delete(own["comment"]["id"], token=own["edit_token"])

    for response in (posted, edited, deleted):
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert _no_cors(response)
    assert list(Comment.objects.values_list("body", "status")) == [
        ("A careful, considered comment.", Comment.Status.APPROVED)
    ]


def test_other_origins_reading_a_story_thread_get_no_cors_headers(client, article):
    response = Api(client, origin=STRANGER).thread(article=article.pk)

    assert response.status_code == HTTPStatus.OK  # public anyway; the browser will not show it
    assert _no_cors(response)


def test_other_origins_cannot_read_or_create_threads_for_their_pages(client):
    response = Api(client, origin=STRANGER).thread(url=f"{STRANGER}/post")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Thread.objects.exists()


def test_a_stranger_cannot_bypass_the_preflight_with_a_simple_request(client, article):
    # What a page on another site can send without a preflight: text/plain, no custom headers.
    response = client.post(
        f"{API}/comments/",
        json.dumps(guest_payload({"article": article.pk})),
        content_type="text/plain",
        headers={"Origin": STRANGER},
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Comment.objects.exists()


# Cookies and CSRF -------------------------------------------------------------------------


def test_a_same_origin_request_with_cookies_needs_the_csrf_token(strict_client, article):
    strict_client.cookies["csrftoken"] = CSRF_SECRET
    api = Api(strict_client, origin=OWN)

    without = api.post(guest_payload({"article": article.pk}))
    with_token = api.post(guest_payload({"article": article.pk}), **{"X-CSRFToken": CSRF_SECRET})

    assert without.status_code == HTTPStatus.FORBIDDEN
    assert "security check" in without.data["errors"]["__all__"]
    assert with_token.status_code == HTTPStatus.CREATED
    assert Comment.objects.count() == 1


def test_an_old_browser_without_an_origin_header_still_needs_the_token(strict_client, article):
    strict_client.cookies["sessionid"] = "whatever"
    strict_client.cookies["csrftoken"] = CSRF_SECRET
    api = Api(strict_client)

    post = api.post(guest_payload({"article": article.pk}))
    patch = api.patch(1, {"body": "x"}, token="t")
    delete = api.delete(1, token="t")

    assert post.status_code == patch.status_code == delete.status_code == HTTPStatus.FORBIDDEN
    assert not Comment.objects.exists()


def test_a_caller_without_cookies_needs_no_token(strict_client, article):
    response = Api(strict_client).post(guest_payload({"article": article.pk}))

    assert response.status_code == HTTPStatus.CREATED


def test_a_cross_origin_request_never_acts_with_the_readers_session(strict_client, article):
    reader = get_user_model().objects.create_user("amal", "amal@example.org", "a-long-password")
    strict_client.force_login(reader)
    strict_client.cookies["csrftoken"] = CSRF_SECRET
    api = Api(strict_client, origin=ADMIN_LISTED)

    # No CSRF token, yet accepted: the session cookie the browser might send is ignored...
    as_guest = api.post(guest_payload({"article": article.pk}))
    # ...so the reader is a guest like any other, and must say who they are.
    anonymous = api.post({"thread": {"article": article.pk}, "body": "Signed in, am I?"})

    assert as_guest.status_code == HTTPStatus.CREATED
    assert anonymous.status_code == HTTPStatus.BAD_REQUEST
    assert {"name", "email"} <= set(anonymous.data["errors"])
    for response in (as_guest, anonymous):
        assert not response.cookies
        assert "Cookie" not in response.get("Vary", "")  # the session was never even read


def test_a_cross_origin_request_is_never_treated_as_same_origin_by_a_lookalike_host(
    client, article
):
    response = Api(client, origin="http://testserver.evil.example").post(
        guest_payload({"article": article.pk})
    )

    assert response.status_code == HTTPStatus.FORBIDDEN


def _signed_in(client: Client) -> Commenter:
    """A reader signed in to comment (through a provider), as dateline.identity leaves them."""
    commenter = Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER,
        provider="google",
        subject="1234567890",
        display_name="Nadia K.",
        email="nadia@example.org",
        email_verified=True,
    )
    session = client.session
    session[identity_session.COMMENTER_KEY] = commenter.pk
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    client.cookies["csrftoken"] = CSRF_SECRET
    return commenter


def test_a_signed_in_reader_posts_as_themselves_only_from_dateline_itself(strict_client, article):
    commenter = _signed_in(strict_client)
    body_only = {"thread": {"article": article.pk}, "body": "Signed in, am I?"}

    same_origin = Api(strict_client, origin=OWN).post(body_only, **{"X-CSRFToken": CSRF_SECRET})
    cross_origin = Api(strict_client, origin=ADMIN_LISTED).post(body_only | {"body": "Again?"})

    assert same_origin.status_code == HTTPStatus.CREATED
    assert same_origin.data["comment"]["author"]["name"] == "Nadia K."
    assert Comment.objects.get().commenter == commenter
    # Across origins the same cookies count for nothing: a guest, who must give their details.
    assert cross_origin.status_code == HTTPStatus.BAD_REQUEST
    assert {"name", "email"} <= set(cross_origin.data["errors"])
    assert "Cookie" not in cross_origin.get("Vary", "")
