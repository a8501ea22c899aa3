"""The embed script at /embed.js: how it is served, its size, and what it may and may not do."""

import gzip
import json
import re
from http import HTTPStatus

import pytest

from dateline.discussion import embed
from dateline.discussion.embed import EMBED_STRINGS_MARKER
from dateline.discussion.strings import EMBED_SCRIPT

pytestmark = pytest.mark.django_db

SIZE_BUDGET = 20_000  # bytes, gzipped


def _strings(script: str) -> dict:
    match = re.search(r"var S = (\{.*?\});\n", script)
    assert match, "the strings were not filled in"
    return json.loads(match.group(1))


def test_the_script_is_served_as_javascript_with_caching_headers(client):
    response = client.get("/embed.js")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "public" in response["Cache-Control"]
    assert "max-age=3600" in response["Cache-Control"]
    assert response["ETag"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Accept-Language" in response["Vary"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.has_header("Access-Control-Allow-Origin")  # a script tag needs none
    assert not response.cookies


def test_a_repeat_visit_revalidates_with_the_etag(client):
    etag = client.get("/embed.js")["ETag"]

    again = client.get("/embed.js", headers={"If-None-Match": etag})

    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""


def test_the_script_is_compressed_and_within_its_size_budget(client):
    response = client.get("/embed.js", headers={"Accept-Encoding": "gzip"})

    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) < SIZE_BUDGET
    assert "function" in gzip.decompress(response.content).decode()


def test_the_interface_strings_are_filled_in_for_the_readers_language(client):
    english = _strings(client.get("/embed.js").content.decode())
    arabic_by_header = _strings(
        client.get("/embed.js", headers={"Accept-Language": "ar"}).content.decode()
    )
    arabic_by_query = _strings(client.get("/embed.js", {"lang": "ar"}).content.decode())

    assert english["heading"] == "Leave a Reply"
    assert english["closed"] == "Comments are closed."
    assert (english["lang"], english["dir"]) == ("en", "ltr")
    assert (arabic_by_header["lang"], arabic_by_header["dir"]) == ("ar", "rtl")
    assert (arabic_by_query["lang"], arabic_by_query["dir"]) == ("ar", "rtl")
    assert EMBED_STRINGS_MARKER not in client.get("/embed.js").content.decode()


def test_an_unknown_language_falls_back_to_the_sites(client):
    strings = _strings(client.get("/embed.js", {"lang": "xx"}).content.decode())

    assert strings["lang"] == "en"


def test_every_string_the_script_uses_is_translatable_and_none_is_unused():
    source = embed._read_embed_source()
    used = set(re.findall(r'\bt\("(\w+)"\)', source))

    assert used == set(EMBED_SCRIPT)


def test_the_script_builds_the_page_without_html_strings_or_eval():
    source = embed._read_embed_source()

    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ):
        assert forbidden not in source
    assert 'credentials: "omit"' in source
    assert "DOMParser" in source


def test_only_reading_methods_are_accepted(client):
    assert client.head("/embed.js").status_code == HTTPStatus.OK
    assert client.post("/embed.js").status_code == HTTPStatus.METHOD_NOT_ALLOWED
