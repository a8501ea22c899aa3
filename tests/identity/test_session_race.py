"""A sign-in replaces the session under a new key and deletes the old one. The comment form
asks /identity/me/ while the popup is still finishing, with the old cookie; that answer may
reach the browser after the login's. It must not delete the new session cookie (Django's own
middleware does, for any request whose session turned out empty): the reader would be signed
out again the moment they signed in. Found as a rare failure of the browser sign-in test."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse

from dateline.discussion.models import Commenter
from dateline.identity import session
from dateline.server.middleware import SessionMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def amal(db) -> Commenter:
    return Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER,
        provider="newsroom",
        subject="amal-1",
        display_name="Amal Haddad",
        email="amal@example.org",
        email_verified=True,
    )


def test_a_question_asked_during_the_sign_in_leaves_the_new_session_cookie_alone(client, amal):
    # The story's tab, anonymous, starts a sign-in in a popup: a session with it pending.
    before = SessionStore()
    before[session.PENDING_KEY] = {"provider": "newsroom", "next": "/", "popup": True}
    before.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = before.session_key
    # The popup's login: the same data under a new key, the old key gone (cycle_key).
    after = SessionStore()
    after[session.COMMENTER_KEY] = amal.pk
    after.create()
    before.delete()

    # The tab's question was sent with the old cookie, and answered after the login.
    response = client.get("/identity/me/", {"path": "/"})

    assert response.status_code == 200
    assert response.json()["signed_in"] is False
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    # So the browser keeps the login's cookie, and the next question finds the reader.
    client.cookies[settings.SESSION_COOKIE_NAME] = after.session_key
    assert client.get("/identity/me/", {"path": "/"}).json()["signed_in"] is True


def test_a_session_ended_by_the_request_itself_still_loses_its_cookie(rf):
    ending = SessionStore()
    ending[session.COMMENTER_KEY] = 1
    ending.create()

    def log_out(request):
        request.session.flush()  # what django.contrib.auth.logout does
        return HttpResponse("bye")

    request = rf.post("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = ending.session_key
    response = SessionMiddleware(log_out)(request)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value == ""
    assert cookie["max-age"] == 0
