"""A guest's email is not an identity (issue #13, point 1). What a guest earned — trust after
approved comments, the name and website on their row — follows only proof: a signed-in
identity, or the signed token the browser that earned it was given. Anybody else typing the
same address is moderated as a newcomer and changes nothing stored about the earlier guest.

Names lose their invisible characters, and a name that passes for the newsroom's own people
or its administration is held, however it is disguised."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import User
from django.test import Client

from dateline.discussion import actions, impersonation
from dateline.discussion.models import Comment, Commenter, DiscussionSettings
from dateline.discussion.reasons import describe_all
from dateline.discussion.views import GUEST_COOKIE
from dateline.newsroom.models import Author
from tests.discussion.embed_helpers import Api, guest_payload
from tests.factories import discussion_policy, make_article

HOLD_NEW = DiscussionSettings.Mode.HOLD_NEW
PUBLISH = DiscussionSettings.Mode.PUBLISH


@pytest.fixture
def article(section):
    return make_article(section, title="Night buses return to the river line")


@pytest.fixture
def trusting_policy(db):
    # Trusted after one approved comment, as the review found it.
    return discussion_policy(mode=HOLD_NEW, trusted_after=1)


def post(api: Api, article, **fields: str):  # type: ignore[no-untyped-def]
    return api.post(guest_payload({"article": article.pk}, **fields))


def approve(comment_id: int) -> None:
    actions.set_status(
        comments=Comment.objects.filter(pk=comment_id),
        status=Comment.Status.APPROVED,
        moderator=None,
    )


def samira_approved_once(api: Api, article) -> str:
    """Samira's first comment, held and then approved: returns the token her browser keeps."""
    first = post(
        api,
        article,
        body="The late buses matter to shift workers.",
        name="Samira",
        email="samira@victim.test",
        website="https://samira.example.org",
    )
    assert first.status_code == HTTPStatus.ACCEPTED, first.content
    approve(first.data["comment"]["id"])
    return str(first.data["guest_token"])


def test_someone_else_typing_a_trusted_guests_email_is_held_and_changes_nothing(
    client, article, trusting_policy
):
    api = Api(client)
    samira_approved_once(api, article)

    attack = post(
        api,
        article,
        body="Everything Samira said before was wrong.",
        name="Attacker",
        email="SAMIRA@victim.test",
        website="https://attacker.example.net",
    )

    assert attack.status_code == HTTPStatus.ACCEPTED, attack.content
    assert attack.data["status"] == "pending"
    held = Comment.objects.get(pk=attack.data["comment"]["id"])
    assert describe_all(held.moderation_reasons) == ["first comments are held until approved"]
    # The comment keeps what its author typed; the earlier guest's row does not change.
    assert held.author_name == "Attacker"
    samira = Commenter.objects.get(provider="guest", subject="samira@victim.test")
    assert samira.display_name == "Samira"
    assert samira.website == "https://samira.example.org"
    assert samira.approved_comment_count == 1


def test_the_browser_that_earned_the_trust_keeps_it(client, article, trusting_policy):
    api = Api(client)
    token = samira_approved_once(api, article)

    again = post(
        api,
        article,
        body="And the early ones too.",
        name="Samira K.",
        email="samira@victim.test",
        guest_token=token,
    )

    assert again.status_code == HTTPStatus.CREATED, again.content
    assert again.data["status"] == "approved"
    samira = Commenter.objects.get(provider="guest", subject="samira@victim.test")
    assert samira.display_name == "Samira K."  # her own change of name is hers to make
    assert samira.approved_comment_count == 2
    assert again.data["guest_token"]  # renewed


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        actions.guest_token(10**9),  # signed, but for another row
        "eyJjIjoxfQ:forged:signature",
    ],
)
def test_a_forged_or_foreign_token_proves_nothing(client, article, trusting_policy, token):
    api = Api(client)
    samira_approved_once(api, article)

    attack = post(
        api,
        article,
        name="Attacker",
        email="samira@victim.test",
        guest_token=token,
    )

    assert attack.status_code == HTTPStatus.ACCEPTED, attack.content
    assert Commenter.objects.get(subject="samira@victim.test").display_name == "Samira"


def test_a_token_for_a_held_comment_proves_the_browser_once_a_moderator_approves_it(
    client, article, trusting_policy
):
    """Samira on a new phone: held like a newcomer; once a moderator approves that comment,
    the phone is hers too. A comment published at once (no moderator looked) proves nothing."""
    api = Api(client)
    samira_approved_once(api, article)
    phone = post(api, article, name="Samira", email="samira@victim.test")
    assert phone.status_code == HTTPStatus.ACCEPTED
    phone_token = phone.data["guest_token"]

    before = post(
        api,
        article,
        body="Not yet approved.",
        name="Samira",
        email="samira@victim.test",
        guest_token=phone_token,
    )
    assert before.status_code == HTTPStatus.ACCEPTED

    approve(phone.data["comment"]["id"])
    after = post(
        api,
        article,
        body="Approved now.",
        name="Samira",
        email="samira@victim.test",
        guest_token=phone_token,
    )
    assert after.status_code == HTTPStatus.CREATED, after.content

    # In publish mode nothing is held, so posting under somebody's address earns no token.
    discussion_policy(mode=PUBLISH)
    published = post(
        api,
        article,
        body="Published at once.",
        name="Attacker",
        email="samira@victim.test",
    )
    assert published.status_code == HTTPStatus.CREATED, published.content
    assert "guest_token" not in published.data


def test_the_form_keeps_the_proof_in_a_cookie_for_the_same_browser_only(article, trusting_policy):
    samira_browser, other_browser = Client(), Client()

    def post(browser: Client, body: str, name: str) -> Comment:
        response = browser.post(
            f"/comments/post/{article.pk}/",
            {"body": body, "name": name, "email": "samira@victim.test"},
        )
        assert response.status_code == HTTPStatus.SEE_OTHER, response.content
        return Comment.objects.get(body=body)

    first = post(samira_browser, "Good to have them back.", "Samira")
    cookie = samira_browser.cookies[GUEST_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    approve(first.pk)

    assert post(samira_browser, "They run till two.", "Samira").status == "approved"
    assert post(other_browser, "No they do not.", "Attacker").status == "pending"
    assert Commenter.objects.get(subject="samira@victim.test").display_name == "Samira"


def test_a_signed_in_reader_is_trusted_as_themselves(article, trusting_policy):
    reader = Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER,
        provider="google",
        subject="1234",
        display_name="Nadia",
        approved_comment_count=3,
    )
    posted = actions.post_comment(
        target=actions.targets.story(article.pk, fresh=True),
        author=reader,
        body="Signed in and trusted.",
        policy=trusting_policy,
        meta=actions.RequestMeta(ip_address="192.0.2.8"),
    )
    assert posted.comment.status == Comment.Status.APPROVED
    assert posted.guest_token == ""


# Names -----------------------------------------------------------------------------------------


def test_invisible_characters_are_taken_out_of_names(client, article):
    discussion_policy(mode=PUBLISH)
    response = post(
        Api(client),
        article,
        name="\ufeffSa\u200bmi\u200dra\u2060\u00ad \u3164",
        email="s@example.org",
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.data["comment"]["author"]["name"] == "Samira"
    assert Commenter.objects.get(subject="s@example.org").display_name == "Samira"


def test_a_name_of_nothing_but_invisible_characters_is_asked_for_again(client, article):
    discussion_policy(mode=PUBLISH)
    response = post(Api(client), article, name="\u200b\u200d\ufeff", email="s@example.org")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.data["errors"]["name"] == "Please enter your name."


@pytest.mark.parametrize(
    ("name", "passes_for"),
    [
        ("Mona Haddad", "Mona Haddad"),  # a staff author, as written
        ("MONA  HADDAD", "Mona Haddad"),
        ("Μona Ηaddad", "Mona Haddad"),  # Greek capitals Mu and Eta
        ("Ｍｏｎａ Ｈａｄｄａｄ", "Mona Haddad"),  # full-width
        ("Ted Editorson", None),  # "editor" only as a word of its own
        ("Desk Lead", "Desk Lead"),  # an editor's account (staff), by its full name
        ("Site Аdmіn", "admin"),  # Cyrillic а and і
        ("Adm1n", "admin"),
        ("ADMIN", "admin"),
        ("The Moderator", "moderator"),
        ("المُشرف", "المشرف"),  # a vowel sign slipped in
        ("Badminton fan", None),
        ("Mona", None),
        ("Mona Hadda", None),
    ],
)
def test_a_name_that_passes_for_the_newsroom_is_held(client, article, name, passes_for):
    Author.objects.create(name="Mona Haddad", slug="mona-haddad")
    User.objects.create_user(
        "desk", password="x", first_name="Desk", last_name="Lead", is_staff=True
    )
    discussion_policy(mode=PUBLISH)

    response = post(Api(client), article, name=name, email="reader@example.org")

    comment = Comment.objects.get(pk=response.data["comment"]["id"])
    if passes_for is None:
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert comment.status == Comment.Status.APPROVED
    else:
        assert response.status_code == HTTPStatus.ACCEPTED, response.content
        assert describe_all(comment.moderation_reasons) == [f"the name passes for “{passes_for}”"]


def test_a_new_author_is_protected_at_once(db, section):
    assert impersonation.imitated("Rami Nasser") is None
    Author.objects.create(name="Rami Nasser", slug="rami-nasser")
    assert impersonation.imitated("Rami Nasser") == "Rami Nasser"
