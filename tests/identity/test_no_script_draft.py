import pytest

from dateline.identity.session import keep_draft
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_a_draft_kept_during_a_no_script_sign_in_refills_the_comment_box_once(client, section):
    article = make_article(section, title="Water station opens")
    session = client.session
    request = type("R", (), {"session": session, "COOKIES": {}})()
    keep_draft(request, path=article.url, data={"body": "Half-written thought about the pumps"})
    session.save()
    client.cookies["sessionid"] = session.session_key

    first = client.get(article.url).content.decode()
    second = client.get(article.url).content.decode()

    assert "Half-written thought about the pumps" in first
    assert "Half-written thought about the pumps" not in second
