from http import HTTPStatus

import pytest
import requests

from tests.factories import make_article
from tests.servers import running_server

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_serve_command_answers_a_reader_over_http(section):
    article = make_article(section, title="Night market returns to the old souq")

    with running_server("--no-worker") as base_url:
        response = requests.get(base_url + article.url, timeout=10)

    assert response.status_code == HTTPStatus.OK
    assert "Night market returns to the old souq" in response.text
