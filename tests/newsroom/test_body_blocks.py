"""The body blocks an imported archive needs (WordPress's galleries, code, tables, audio and
video, separators, and markup kept as sanitised HTML), and the plain page type, as readers
see them."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from dateline.newsroom import actions
from dateline.newsroom.models import StandardPage
from tests.factories import make_image

pytestmark = pytest.mark.django_db


def _body(client, article) -> str:
    response = client.get(article.url)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('class="story__body"') :]


def test_every_new_block_renders_for_readers(client, section):
    image = make_image("Harbour at dawn")
    document = Document.objects.create(title="Interview", file=ContentFile(b"ID3", name="a.mp3"))
    body = [
        actions.Block(
            "gallery", {"images": [{"image": image, "caption": "Boats"}], "caption": "The port"}
        ),
        actions.Block("code", {"language": "python", "code": "print('<hi>')"}),
        actions.Block(
            "table",
            {"data": [["City", "Rain"], ["Basra", "2 mm"]], "first_row_is_table_header": True},
        ),
        actions.Block("separator", None),
        actions.Block("media_file", {"kind": "audio", "file": document, "caption": "Listen"}),
        actions.Block("image", {"image": None, "caption": "A picture still to come"}),
        actions.Block("html", '<div class="kept"><b>kept</b><script>alert(1)</script></div>'),
    ]
    article = actions.create_article(section=section, title="Blocks", body=body, publish=True)
    html = _body(client, article)
    assert 'class="story__gallery"' in html
    assert 'alt="Boats"' in html
    assert "print(&#x27;&lt;hi&gt;&#x27;)" in html
    assert "<th" in html
    assert "Basra" in html
    assert '<hr class="story__separator">' in html
    assert "<audio controls" in html
    assert document.url in html
    # An image whose file is still missing keeps its place without breaking the page.
    assert "A picture still to come" not in html
    assert "<b>kept</b>" in html
    assert "alert(1)" not in html


def test_kept_html_is_sanitised_even_when_an_editor_stores_a_script(client, section):
    article = actions.create_article(
        section=section,
        title="Pasted",
        body=[actions.Block("html", '<p onclick="x()">Hi <a href="javascript:evil()">x</a></p>')],
        publish=True,
    )
    html = _body(client, article)
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "<p>Hi <a" in html


def test_a_plain_page_lives_under_the_home_page(client, home):
    page = StandardPage(title="About us", slug="about", body=[("paragraph", "<p>Who we are.</p>")])
    home.add_child(instance=page)
    page.save_revision().publish()
    response = client.get("/about/")
    assert response.status_code == 200
    assert b"Who we are." in response.content
    assert b"<h1" in response.content
