"""WordPress post content → body blocks (dateline.importers.wordpress.content): each block-editor
and classic mapping on small markup of our own, hostile and broken input, and every post of the
shared WordPress exports."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from lxml import html as lxml_html
from wagtail.documents.models import Document
from wagtail.embeds.blocks import EmbedValue
from wagtail.images.models import Image

from dateline.importers.wordpress.content import (
    Converted,
    _parse_blocks,
    convert,
    plain_text,
    wpautop,
)
from dateline.newsroom import actions
from tests.factories import make_image

pytestmark = pytest.mark.django_db


@dataclass
class FakeMedia:
    """Images and documents by WordPress id or address; anything else is missing."""

    images: dict[int | str, Image] = field(default_factory=dict)
    documents: dict[int | str, Document] = field(default_factory=dict)
    attached: list[Image] = field(default_factory=list)
    image_calls: list[dict[str, Any]] = field(default_factory=list)

    def image(self, *, url: str, wp_id: int | None, alt: str) -> Image | None:
        self.image_calls.append({"url": url, "wp_id": wp_id, "alt": alt})
        return self.images.get(wp_id) if wp_id in self.images else self.images.get(url)

    def document(self, *, url: str, wp_id: int | None) -> Document | None:
        return self.documents.get(wp_id) if wp_id in self.documents else self.documents.get(url)

    def attached_images(self) -> list[Image]:
        return list(self.attached)


@pytest.fixture
def picture() -> Image:
    return make_image("Harbour")


@pytest.fixture
def media(picture: Image) -> FakeMedia:
    return FakeMedia(images={12: picture, "https://old.example/pic.jpg": picture})


def _document(name: str = "talk.mp3") -> Document:
    return Document.objects.create(title=name, file=ContentFile(b"ID3", name=name))


def _types(result: Converted) -> list[str]:
    return [b.type for b in result.blocks]


def _values(result: Converted, kind: str) -> list[Any]:
    return [b.value for b in result.blocks if b.type == kind]


# --- Block editor ----------------------------------------------------------------------------


def test_paragraph_keeps_the_inline_markup_rich_text_has(media):
    result = convert(
        '<!-- wp:paragraph {"dropCap":true} -->\n<p class="has-drop-cap">Hello <strong>bold</strong> '
        '<em>slanted</em> <a href="https://example.org/a?b=1&amp;c=2" target="_blank">link</a> '
        '<mark style="color:red">marked</mark> H<sub>2</sub>O x<sup>2</sup> <code>ls</code> '
        "<del>old</del><br>next line</p>\n<!-- /wp:paragraph -->",
        media=media,
    )
    assert _types(result) == ["paragraph"]
    assert result.blocks[0].value == (
        '<p>Hello <b>bold</b> <i>slanted</i> <a href="https://example.org/a?b=1&amp;c=2">link</a> '
        "marked H<sub>2</sub>O x<sup>2</sup> <code>ls</code> <s>old</s><br>next line</p>"
    )
    assert result.kept_as_html == []
    assert result.dropped == []


def test_any_heading_level_is_a_heading_of_plain_text(media):
    result = convert(
        '<!-- wp:heading {"level":4} -->\n<h4 class="wp-block-heading">Rain <em>in</em> Basra</h4>\n'
        "<!-- /wp:heading --><!-- wp:heading -->\n<h2>Second</h2>\n<!-- /wp:heading -->",
        media=media,
    )
    assert result.blocks == [
        actions.Block("heading", "Rain in Basra"),
        actions.Block("heading", "Second"),
    ]


def test_nested_lists_stay_nested(media):
    markup = (
        '<!-- wp:list {"ordered":true} -->\n<ol><!-- wp:list-item -->\n<li>One<!-- wp:list -->\n'
        "<ul><!-- wp:list-item -->\n<li><strong>Inner</strong></li>\n<!-- /wp:list-item --></ul>\n"
        "<!-- /wp:list --></li>\n<!-- /wp:list-item -->\n\n<!-- wp:list-item -->\n<li>Two</li>\n"
        "<!-- /wp:list-item --></ol>\n<!-- /wp:list -->"
    )
    result = convert(markup, media=media)
    assert result.blocks == [
        actions.Block(
            "paragraph", "<ol><li>One<ul><li><b>Inner</b></li></ul></li><li>Two</li></ol>"
        )
    ]


def test_quote_and_pullquote_become_quotes_with_the_citation_as_speaker(media):
    result = convert(
        '<!-- wp:quote -->\n<blockquote class="wp-block-quote"><!-- wp:paragraph -->\n<p>First.</p>\n'
        "<!-- /wp:paragraph -->\n<!-- wp:paragraph -->\n<p>Second.</p>\n<!-- /wp:paragraph -->"
        "<cite>— Rana Aziz</cite></blockquote>\n<!-- /wp:quote -->\n\n"
        '<!-- wp:pullquote -->\n<figure class="wp-block-pullquote"><blockquote><p>Pulled.</p>'
        "<cite>Minister</cite></blockquote></figure>\n<!-- /wp:pullquote -->",
        media=media,
    )
    assert _values(result, "quote") == [
        {"quote": "First.\n\nSecond.", "speaker": "Rana Aziz", "role": ""},
        {"quote": "Pulled.", "speaker": "Minister", "role": ""},
    ]


def test_image_is_resolved_by_its_attachment_id_with_caption_and_alt(media, picture):
    result = convert(
        '<!-- wp:image {"id":12,"sizeSlug":"large"} -->\n<figure class="wp-block-image size-large">'
        '<a href="https://old.example/full.jpg"><img src="https://old.example/pic-1024.jpg" '
        'alt="Boats at dawn" class="wp-image-12"/></a><figcaption class="wp-element-caption">'
        "The port <em>at dawn</em></figcaption></figure>\n<!-- /wp:image -->",
        media=media,
    )
    assert result.blocks == [
        actions.Block("image", {"image": picture, "caption": "The port at dawn", "credit": ""})
    ]
    assert media.image_calls == [
        {"url": "https://old.example/pic-1024.jpg", "wp_id": 12, "alt": "Boats at dawn"}
    ]
    assert result.missing_media == []


def test_an_image_whose_file_is_missing_keeps_its_place_and_is_reported(media):
    result = convert(
        '<!-- wp:image {"id":99} -->\n<figure class="wp-block-image"><img src="https://old.example/'
        'gone.jpg" alt=""/><figcaption>Still here</figcaption></figure>\n<!-- /wp:image -->',
        media=media,
    )
    assert result.blocks == [
        actions.Block("image", {"image": None, "caption": "Still here", "credit": ""})
    ]
    assert result.missing_media == ["https://old.example/gone.jpg"]


def test_gallery_of_inner_images_keeps_each_caption_and_its_own(media, picture):
    result = convert(
        '<!-- wp:gallery {"linkTo":"none"} -->\n<figure class="wp-block-gallery has-nested-images">'
        '<!-- wp:image {"id":12} -->\n<figure class="wp-block-image"><img src="https://old.example/'
        'a.jpg" class="wp-image-12"/><figcaption>One</figcaption></figure>\n<!-- /wp:image -->\n\n'
        '<!-- wp:image {"id":13} -->\n<figure class="wp-block-image"><img src="https://old.example/'
        'b.jpg" class="wp-image-13"/></figure>\n<!-- /wp:image --><figcaption class="blocks-gallery-'
        'caption">Both</figcaption></figure>\n<!-- /wp:gallery -->',
        media=media,
    )
    assert result.blocks == [
        actions.Block(
            "gallery",
            {
                "images": [
                    {"image": picture, "caption": "One", "credit": ""},
                    {"image": None, "caption": "", "credit": ""},
                ],
                "caption": "Both",
            },
        )
    ]
    assert result.missing_media == ["https://old.example/b.jpg"]


def test_gallery_with_ids_only_resolves_each_attachment(media, picture):
    result = convert('<!-- wp:gallery {"ids":[12,40]} /-->', media=media)
    assert _values(result, "gallery") == [
        {
            "images": [
                {"image": picture, "caption": "", "credit": ""},
                {"image": None, "caption": "", "credit": ""},
            ],
            "caption": "",
        }
    ]
    assert result.missing_media == ["attachment 40"]


def test_embeds_old_and_new_become_embed_blocks(media):
    result = convert(
        '<!-- wp:embed {"url":"https://www.youtube.com/watch?v=abc","type":"video",'
        '"providerNameSlug":"youtube"} -->\n<figure class="wp-block-embed is-type-video"><div class="'
        'wp-block-embed__wrapper">\nhttps://www.youtube.com/watch?v=abc\n</div><figcaption>Talk'
        "</figcaption></figure>\n<!-- /wp:embed -->\n"
        '<!-- wp:core-embed/vimeo {"url":"https://vimeo.com/123"} -->\n<figure class="wp-block-embed-'
        'vimeo"><div class="wp-block-embed__wrapper">\nhttps://vimeo.com/123\n</div></figure>\n'
        "<!-- /wp:core-embed/vimeo -->\n"
        '<!-- wp:embed {"url":"https://blog.example/2020/a-post/"} -->\n<figure class="wp-block-'
        'embed"><div class="wp-block-embed__wrapper">\nhttps://blog.example/2020/a-post/\n</div>'
        "</figure>\n<!-- /wp:embed -->",
        media=media,
    )
    # No provider Wagtail knows: a link, so readers still reach it.
    assert result.blocks[-1] == actions.Block(
        "paragraph",
        '<p><a href="https://blog.example/2020/a-post/">https://blog.example/2020/a-post/</a></p>',
    )
    assert len(result.warnings) == 1
    embeds = _values(result, "embed")
    assert [(e["embed"].url, e["caption"]) for e in embeds] == [
        ("https://www.youtube.com/watch?v=abc", "Talk"),
        ("https://vimeo.com/123", ""),
    ]
    assert all(isinstance(e["embed"], EmbedValue) for e in embeds)


def test_video_and_audio_become_media_files_or_embeds_or_links(media):
    document = _document("interview.mp4")
    media.documents[30] = document
    result = convert(
        '<!-- wp:video {"id":30} -->\n<figure class="wp-block-video"><video controls src="https://'
        'old.example/interview.mp4"></video><figcaption>Interview</figcaption></figure>\n'
        "<!-- /wp:video -->\n"
        '<!-- wp:video -->\n<figure class="wp-block-video"><video src="https://www.youtube.com/watch'
        '?v=xyz"></video></figure>\n<!-- /wp:video -->\n'
        '<!-- wp:audio {"id":31} -->\n<figure class="wp-block-audio"><audio controls src="https://'
        'old.example/song.mp3"></audio><figcaption>Song</figcaption></figure>\n<!-- /wp:audio -->',
        media=media,
    )
    assert _types(result) == ["media_file", "embed", "paragraph"]
    assert result.blocks[0].value == {"kind": "video", "file": document, "caption": "Interview"}
    assert result.blocks[1].value["embed"].url == "https://www.youtube.com/watch?v=xyz"
    # The missing sound file keeps a link to where it was, and is reported.
    assert result.blocks[2].value == '<p><a href="https://old.example/song.mp3">Song</a></p>'
    assert result.missing_media == ["https://old.example/song.mp3"]


def test_file_becomes_a_paragraph_with_a_link(media):
    result = convert(
        '<!-- wp:file {"id":5,"href":"https://old.example/report.pdf"} -->\n<div class="wp-block-file">'
        '<a id="wp-block-file--media-1" href="https://old.example/report.pdf">Annual report</a><a '
        'href="https://old.example/report.pdf" class="wp-block-file__button" download>Download</a>'
        "</div>\n<!-- /wp:file -->",
        media=media,
    )
    assert result.blocks == [
        actions.Block(
            "paragraph", '<p><a href="https://old.example/report.pdf">Annual report</a></p>'
        )
    ]


def test_code_preformatted_and_verse_become_code_blocks(media):
    result = convert(
        '<!-- wp:code -->\n<pre class="wp-block-code"><code class="language-python">if a &lt; b:\n'
        "    print(&quot;x&quot;)</code></pre>\n<!-- /wp:code -->\n"
        '<!-- wp:preformatted -->\n<pre class="wp-block-preformatted">Col  A<br>Col  <strong>B'
        "</strong></pre>\n<!-- /wp:preformatted -->\n"
        '<!-- wp:verse -->\n<pre class="wp-block-verse">Roses\n  are red</pre>\n<!-- /wp:verse -->',
        media=media,
    )
    assert _values(result, "code") == [
        {"language": "python", "code": 'if a < b:\n    print("x")'},
        {"language": "", "code": "Col  A\nCol  B"},
        {"language": "", "code": "Roses\n  are red"},
    ]


def test_table_keeps_cells_header_row_header_column_and_caption(media):
    result = convert(
        '<!-- wp:table -->\n<figure class="wp-block-table"><table><thead><tr><th>City</th><th>Rain'
        "</th></tr></thead><tbody><tr><th>Basra</th><td><strong>2</strong> mm</td></tr><tr><th>Mosul"
        '</th><td colspan="1">5 mm</td></tr><tr><th>Erbil</th></tr></tbody></table><figcaption>'
        "Rainfall</figcaption></figure>\n<!-- /wp:table -->",
        media=media,
    )
    assert result.blocks == [
        actions.Block(
            "table",
            {
                "data": [["City", "Rain"], ["Basra", "2 mm"], ["Mosul", "5 mm"], ["Erbil", ""]],
                "first_row_is_table_header": True,
                "first_col_is_header": True,
                "table_caption": "Rainfall",
            },
        )
    ]


def test_separator_spacer_more_and_nextpage(media):
    result = convert(
        "<!-- wp:paragraph --><p>a</p><!-- /wp:paragraph -->"
        '<!-- wp:separator -->\n<hr class="wp-block-separator"/>\n<!-- /wp:separator -->'
        '<!-- wp:spacer {"height":"40px"} -->\n<div style="height:40px" aria-hidden="true" '
        'class="wp-block-spacer"></div>\n<!-- /wp:spacer -->'
        "<!-- wp:more -->\n<!--more-->\n<!-- /wp:more --><!-- wp:nextpage -->\n<!--nextpage-->\n"
        "<!-- /wp:nextpage --><!-- wp:paragraph --><p>b</p><!-- /wp:paragraph -->"
        "<!-- wp:paragraph --><p>&nbsp;</p><!-- /wp:paragraph -->",
        media=media,
    )
    assert _types(result) == ["paragraph", "separator", "paragraph"]
    assert result.blocks[1].value is None
    assert result.dropped == ["wp:spacer", "wp:more", "wp:nextpage", "empty paragraph"]


def test_buttons_become_a_paragraph_of_links(media):
    result = convert(
        '<!-- wp:buttons -->\n<div class="wp-block-buttons"><!-- wp:button -->\n<div class="wp-block-'
        'button"><a class="wp-block-button__link" href="https://example.org/give">Give</a></div>\n'
        '<!-- /wp:button -->\n<!-- wp:button -->\n<div class="wp-block-button"><a class="wp-block-'
        'button__link" href="javascript:steal()">Click</a></div>\n<!-- /wp:button --></div>\n'
        "<!-- /wp:buttons -->",
        media=media,
    )
    assert result.blocks == [
        actions.Block("paragraph", '<p><a href="https://example.org/give">Give</a><br>Click</p>')
    ]


def test_custom_html_and_details_are_kept_sanitised_and_reported(media):
    result = convert(
        '<!-- wp:html -->\n<b>Hello</b><script>alert(1)</script><iframe src="https://maps.example/'
        'x"></iframe>\n<!-- /wp:html -->\n<!-- wp:details -->\n<details class="wp-block-details">'
        "<summary>More</summary><!-- wp:paragraph -->\n<p>Hidden</p>\n<!-- /wp:paragraph -->"
        "</details>\n<!-- /wp:details -->",
        media=media,
    )
    assert _types(result) == ["html", "html"]
    assert result.kept_as_html == ["wp:html", "wp:details"]
    first = result.blocks[0].value
    assert "<b>Hello</b>" in first
    assert "script" not in first
    assert "<iframe" not in first
    # The frame's address is the content worth keeping, as a plain link.
    assert 'href="https://maps.example/x"' in first
    assert "<summary>More</summary>" in result.blocks[1].value


def test_shortcode_block_and_classic_block_inside_block_content(media, picture):
    result = convert(
        '<!-- wp:shortcode -->\n[gallery columns=2 ids="12,41"]\n<!-- /wp:shortcode -->\n\n'
        "<!-- wp:freeform -->\nClassic line one\nline two\n\nSecond <b>para</b>\n"
        "<!-- /wp:freeform -->\n\nTop-level classic text",
        media=media,
    )
    assert _types(result) == ["gallery", "paragraph", "paragraph", "paragraph"]
    assert [i["image"] for i in result.blocks[0].value["images"]] == [picture, None]
    assert [b.value for b in result.blocks[1:]] == [
        "<p>Classic line one<br>line two</p>",
        "<p>Second <b>para</b></p>",
        "<p>Top-level classic text</p>",
    ]


def test_layout_containers_are_flattened_in_reading_order(media, picture):
    result = convert(
        '<!-- wp:columns -->\n<div class="wp-block-columns"><!-- wp:column -->\n<div class="wp-block-'
        'column"><!-- wp:paragraph -->\n<p>Left</p>\n<!-- /wp:paragraph --></div>\n<!-- /wp:column -->'
        '\n<!-- wp:column -->\n<div class="wp-block-column"><!-- wp:group -->\n<div class="wp-block-'
        'group"><!-- wp:heading -->\n<h2>Right</h2>\n<!-- /wp:heading --></div>\n<!-- /wp:group -->'
        "</div>\n<!-- /wp:column --></div>\n<!-- /wp:columns -->\n"
        '<!-- wp:cover {"url":"https://old.example/pic.jpg","id":12} -->\n<div class="wp-block-cover">'
        '<img class="wp-block-cover__image-background wp-image-12" src="https://old.example/pic.jpg"/>'
        '<div class="wp-block-cover__inner-container"><!-- wp:paragraph -->\n<p>On the cover</p>\n'
        "<!-- /wp:paragraph --></div></div>\n<!-- /wp:cover -->\n"
        '<!-- wp:media-text {"mediaId":12} -->\n<div class="wp-block-media-text"><figure class="wp-'
        'block-media-text__media"><img src="https://old.example/pic.jpg" class="wp-image-12"/>'
        '</figure><div class="wp-block-media-text__content"><!-- wp:paragraph -->\n<p>Beside</p>\n'
        "<!-- /wp:paragraph --></div></div>\n<!-- /wp:media-text -->\n"
        '<!-- wp:acme/fancy-box {"tone":"warm"} -->\n<div class="acme-box"><!-- wp:paragraph -->\n'
        "<p>Inside a plugin box</p>\n<!-- /wp:paragraph --></div>\n<!-- /wp:acme/fancy-box -->",
        media=media,
    )
    assert _types(result) == [
        "paragraph",
        "heading",
        "image",
        "paragraph",
        "image",
        "paragraph",
        "paragraph",
    ]
    assert result.blocks[0].value == "<p>Left</p>"
    assert result.blocks[2].value["image"] == picture
    assert result.blocks[6].value == "<p>Inside a plugin box</p>"
    # The plugin's wrapper is layout: said so, its content converted.
    assert result.dropped == ["wp:acme/fancy-box"]
    assert result.kept_as_html == []


def test_dynamic_blocks_and_unknown_blocks_are_reported(media):
    result = convert(
        '<!-- wp:latest-posts {"postsToShow":3} /-->\n<!-- wp:archives /-->\n<!-- wp:search /-->\n'
        '<!-- wp:query {"queryId":1} -->\n<div class="wp-block-query"><!-- wp:post-template -->\n'
        "<!-- wp:post-title /-->\n<!-- /wp:post-template --></div>\n<!-- /wp:query -->\n"
        '<!-- wp:social-links -->\n<ul class="wp-block-social-links"><!-- wp:social-link {"url":'
        '"https://twitter.com/dateline","service":"twitter"} /--></ul>\n<!-- /wp:social-links -->\n'
        '<!-- wp:acme/poll {"id":4} -->\n<div class="acme-poll"><p>Which?</p><form><input name="a">'
        "</form></div>\n<!-- /wp:acme/poll -->\n<!-- wp:acme/counter /-->",
        media=media,
    )
    assert result.dropped == [
        "wp:latest-posts",
        "wp:archives",
        "wp:search",
        "wp:query",
        "wp:acme/counter",
    ]
    assert result.kept_as_html == ["wp:acme/poll"]
    assert _types(result) == ["paragraph", "html"]
    assert result.blocks[0].value == '<p><a href="https://twitter.com/dateline">Twitter</a></p>'
    assert "Which?" in result.blocks[1].value


# --- Classic content -------------------------------------------------------------------------


def test_wpautop_makes_paragraphs_and_line_breaks_as_wordpress_does():
    assert wpautop("One\ntwo\n\nThree") == "<p>One<br />\ntwo</p>\n<p>Three</p>\n"
    assert wpautop("<h2>Head</h2>\nText") == "<h2>Head</h2>\n<p>Text</p>\n"
    assert wpautop("<pre>a\n\nb</pre>") == "<pre>a\n\nb</pre>\n"
    assert wpautop("<blockquote>Quoted</blockquote>") == "<blockquote><p>Quoted</p></blockquote>\n"
    assert wpautop("   \n") == ""


def test_classic_content_maps_to_blocks(media):
    result = convert(
        "Intro line\nsame paragraph\n\n<h2>Section</h2>\n<ul>\n\t<li>One</li>\n\t<li>Two</li>\n</ul>"
        '\n<blockquote>Wise words\n<cite>Someone</cite></blockquote>\n<pre class="lang:php">'
        "echo 1;\n\necho 2;</pre>\n<hr />\nLast <strong>words</strong><!--more-->",
        media=media,
    )
    assert _types(result) == [
        *("paragraph", "heading", "paragraph", "quote", "code", "separator", "paragraph")
    ]
    assert result.blocks[0].value == "<p>Intro line<br>same paragraph</p>"
    assert result.blocks[2].value == "<ul><li>One</li><li>Two</li></ul>"
    assert result.blocks[3].value == {"quote": "Wise words", "speaker": "Someone", "role": ""}
    assert result.blocks[4].value == {"language": "php", "code": "echo 1;\n\necho 2;"}
    assert result.blocks[6].value == "<p>Last <b>words</b></p>"
    assert result.dropped == ["<!--more-->"]


def test_caption_shortcode_is_an_image_with_its_caption(media, picture):
    result = convert(
        'Before\n\n[caption id="attachment_12" align="alignnone" width="300"]<a href="https://old.'
        'example/full.jpg"><img class="size-medium" src="https://old.example/p-300.jpg" alt="Boats" '
        'width="300" /></a> Boats in the <em>harbour</em>[/caption]\n\nAfter',
        media=media,
    )
    assert result.blocks == [
        actions.Block("paragraph", "<p>Before</p>"),
        actions.Block("image", {"image": picture, "caption": "Boats in the harbour", "credit": ""}),
        actions.Block("paragraph", "<p>After</p>"),
    ]
    assert media.image_calls[0]["wp_id"] == 12


def test_gallery_shortcode_with_ids_and_without(media, picture):
    other = make_image("Other")
    media.attached = [picture, other]
    result = convert('[gallery ids="12, 77"]\n\n[gallery columns="3"]', media=media)
    first, second = _values(result, "gallery")
    assert [i["image"] for i in first["images"]] == [picture, None]
    assert [i["image"] for i in second["images"]] == [picture, other]
    assert result.missing_media == ["attachment 77"]


def test_embed_shortcode_and_a_bare_provider_address_on_its_own_line(media):
    result = convert(
        "Watch this:\n\n[embed]https://www.youtube.com/watch?v=abc[/embed]\n\n"
        "https://vimeo.com/99\n\nhttps://example.org/not-a-player\n\n"
        "Inline https://vimeo.com/100 stays text",
        media=media,
    )
    assert _types(result) == ["paragraph", "embed", "embed", "paragraph", "paragraph"]
    assert [e["embed"].url for e in _values(result, "embed")] == [
        "https://www.youtube.com/watch?v=abc",
        "https://vimeo.com/99",
    ]
    assert result.blocks[3].value == "<p>https://example.org/not-a-player</p>"


def test_audio_and_video_shortcodes(media):
    document = _document()
    media.documents["https://old.example/talk.mp3"] = document
    result = convert(
        '[audio mp3="https://old.example/talk.mp3"][/audio]\n\n'
        '[video mp4="https://old.example/clip.mp4" width="640"][/video]',
        media=media,
    )
    assert result.blocks == [
        actions.Block("media_file", {"kind": "audio", "file": document, "caption": ""}),
        actions.Block("paragraph", '<p><a href="https://old.example/clip.mp4">clip.mp4</a></p>'),
    ]
    assert result.missing_media == ["https://old.example/clip.mp4"]


def test_unknown_shortcodes_are_kept_and_brackets_in_prose_are_not(media):
    result = convert(
        'Write to us:\n\n[contact-form-7 id="42" title="Contact"]\n\n'
        "He said [sic] it was fine, see note [1].\n\n[[gallery]] shows the gallery code.\n\n"
        "[tabs]\n[tab title=One]First tab[/tab]\n[/tabs]",
        media=media,
    )
    assert result.kept_as_html == ["[contact-form-7]", "[tabs]"]
    assert _types(result) == ["paragraph", "html", "paragraph", "paragraph", "html"]
    assert result.blocks[1].value == '<p>[contact-form-7 id="42" title="Contact"]</p>'
    assert result.blocks[2].value == "<p>He said [sic] it was fine, see note [1].</p>"
    assert result.blocks[3].value == "<p>[gallery] shows the gallery code.</p>"
    assert "First tab" in result.blocks[4].value


def test_an_image_inside_running_text_is_split_out(media, picture):
    result = convert(
        '<p>Before <strong>bold <img src="https://old.example/pic.jpg" alt="x"> still bold</strong>'
        " after</p>",
        media=media,
    )
    assert result.blocks == [
        actions.Block("paragraph", "<p>Before <b>bold</b></p>"),
        actions.Block("image", {"image": picture, "caption": "", "credit": ""}),
        actions.Block("paragraph", "<p><b>still bold</b> after</p>"),
    ]


def test_links_keep_only_safe_addresses(media):
    result = convert(
        '<p><a href="https://a.example/">web</a> <a href="mailto:desk@example.org">mail</a> '
        '<a href="tel:+9641">phone</a> <a href="/local/page">local</a> <a href="#top">anchor</a> '
        '<a href="javascript:alert(1)">js</a> <a href=" JaVa&#x09;Script:alert(1)">js2</a> '
        '<a href="data:text/html;base64,PHNjcmlwdD4=">data</a> <a href="vbscript:x">vb</a> '
        '<a href="http://[::1/x">broken</a></p>',
        media=media,
    )
    assert result.blocks[0].value == (
        '<p><a href="https://a.example/">web</a> <a href="mailto:desk@example.org">mail</a> '
        '<a href="tel:+9641">phone</a> <a href="/local/page">local</a> <a href="#top">anchor</a> '
        "js js2 data vb broken</p>"
    )


def test_known_player_frames_become_embeds_and_others_links(media):
    result = convert(
        '<p>Look:</p><iframe width="560" src="https://www.youtube-nocookie.com/embed/abc?rel=0" '
        'onload="evil()"></iframe>\n<iframe src="https://maps.example/x"></iframe>'
        '<blockquote class="twitter-tweet"><p>Hi</p>&mdash; Desk (@desk) <a href="https://twitter.com'
        '/desk/status/1">May 1</a></blockquote><script async src="https://platform.twitter.com/'
        'widgets.js"></script>',
        media=media,
    )
    assert _types(result) == ["paragraph", "embed", "html", "embed"]
    assert result.blocks[1].value["embed"].url == "https://www.youtube.com/watch?v=abc"
    assert result.blocks[2].value == (
        '<p><a href="https://maps.example/x" rel="noopener noreferrer nofollow">'
        "https://maps.example/x</a></p>"
    )
    assert result.blocks[3].value["embed"].url == "https://twitter.com/desk/status/1"
    assert result.kept_as_html == ["<iframe>"]
    assert result.dropped == ["<script>"]


# --- Hostile and broken input ----------------------------------------------------------------

HOSTILE = (
    '<!-- wp:paragraph --><p onclick="steal()">Hi <a href="javascript:alert(1)">x</a>'
    "<script>alert(2)</script><style>body{display:none}</style></p><!-- /wp:paragraph -->"
    '<!-- wp:image {"id":12} --><figure><img src="x" onerror="alert(3)"><figcaption '
    'onmouseover="alert(4)">cap<script>alert(5)</script></figcaption></figure><!-- /wp:image -->'
    '<!-- wp:html --><div onmouseover="alert(6)"><img src=x onerror=alert(7)>'
    '<a href="javascript:alert(8)">j</a><svg onload="alert(9)"></svg><iframe src="javascript:'
    'alert(10)"></iframe><object data="evil.swf"></object><form action="https://evil.example">'
    '<input onfocus="alert(11)" autofocus></form><style>*{}</style></div><!-- /wp:html -->'
    '<!-- wp:acme/x --><section><button formaction="javascript:alert(12)">b</button>'
    '<math><mi xlink:href="javascript:alert(13)">m</mi></math></section><!-- /wp:acme/x -->'
    '<!-- wp:code --><pre><code>&lt;script&gt;alert("shown as code")&lt;/script&gt;</code></pre><!-- /wp:code -->'
    '<!-- wp:table --><table><tr><td onclick="alert(14)">c<script>alert(15)</script></td></tr>'
    "</table><!-- /wp:table -->"
    '<!-- wp:quote --><blockquote><p>q<img src=x onerror="alert(16)"></p><cite><script>alert(17)'
    "</script>Who</cite></blockquote><!-- /wp:quote -->"
    "<!-- wp:heading --><h2>T<script>alert(18)</script></h2><!-- /wp:heading -->"
    '<!-- wp:embed {"url":"javascript:alert(19)"} --><figure><div>x</div></figure><!-- /wp:embed -->'
    '\n[caption id="attachment_1"]<img src="x" onerror="alert(20)">c[/caption]'
    '\n[unknown onmouseover="alert(21)"]<script>alert(22)</script>[/unknown]'
    '\n<iframe src="data:text/html,<script>alert(23)</script>"></iframe>'
    '\n<p style="background:url(javascript:alert(24))">styled</p>'
    '\n<a href="&#106;avascript:alert(25)">entity</a>'
)

# fmt: off
_EXECUTABLE_TAGS = {
    "script", "style", "iframe", "frame", "object", "embed", "applet", "svg", "math", "form",
    "input", "button", "textarea", "select", "link", "meta", "base",
}
# fmt: on
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster"}


def _executable(text: str) -> list[str]:
    """What in ``text``, read as HTML the way a browser would, could run or load code."""
    found = []
    for el in lxml_html.fragment_fromstring(text, create_parent="div").iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _EXECUTABLE_TAGS:
            found.append(el.tag)
        for name, value in el.attrib.items():
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.startswith("on") or name == "style":
                found.append(name)
            elif name in _URL_ATTRIBUTES and squeezed.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                found.append(f"{name}={value}")
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, EmbedValue):
        return [value.url]
    return []


def test_nothing_executable_survives_in_any_block(media):
    result = convert(HOSTILE, media=media)
    assert result.blocks
    for block in result.blocks:
        if block.type == "code":
            continue  # plain text shown escaped, never markup
        for text in _strings(block.value):
            assert not _executable(text), (block.type, text)
    # The code block keeps the script as the text it was written as.
    assert _values(result, "code") == [
        {"language": "", "code": '<script>alert("shown as code")</script>'}
    ]
    assert "<script>" in result.dropped


def test_broken_block_markup_degrades_and_is_reported(media):
    result = convert(
        '<!-- wp:paragraph {"broken": } -->\n<p>Bad attributes</p>\n<!-- /wp:paragraph -->\n'
        "<!-- /wp:group -->\n"
        '<!-- wp:group --><div><!-- wp:paragraph --><p>Never closed</p>\n<!-- wp:image {"id":12} -->'
        "<figure><img src=x></figure>",
        media=media,
    )
    assert _types(result) == ["paragraph", "paragraph", "image"]
    assert result.blocks[0].value == "<p>Bad attributes</p>"
    assert len(result.warnings) == 5  # attributes, stray closer, three blocks never closed


def test_any_input_converts_without_raising(media):
    samples = [
        HOSTILE,
        "<!-- wp:list --><ul><!-- wp:list-item --><li>a<!-- wp:list --><ul><li>b</ul><!-- /wp:list"
        "--></li><!-- /wp:list-item --></ul><!-- /wp:list -->",
        '[caption id="attachment_12"]<img src="x.jpg"> cap[/caption] [gallery ids="1,2"] '
        "[embed]https://youtu.be/x[/embed] [audio src=a.mp3] <table><tr><td>1<td>2</table>",
        '<!-- wp:cover {"url":"x"} --><div><img src=x><div><!-- wp:paragraph --><p>c</p>'
        "<!-- /wp:paragraph --></div></div><!-- /wp:cover -->",
    ]
    rng = random.Random(15)
    for sample in samples:
        for _ in range(150):
            a, b = sorted(rng.randrange(len(sample) + 1) for _ in range(2))
            piece = sample[a:b] if rng.random() < 0.5 else sample[:b]
            result = convert(piece, media=media)
            assert isinstance(result, Converted)
    for odd in [
        "",
        "   ",
        "\x00\x01",
        "\ud800",
        "<",
        "<!--",
        "<!-- wp:",
        "[",
        "[/x]",
        "]]",
        "&#0;",
    ]:
        assert isinstance(convert(odd, media=media), Converted)
    assert convert("<p>" * 3000 + "deep", media=media).blocks  # deep nesting, still text


def test_plain_text_for_excerpts():
    assert plain_text("<p>Rain&nbsp;in <b>Basra</b>,</p>\n<p>and &amp; Mosul&#8217;s</p>") == (
        "Rain in Basra, and & Mosul’s"
    )
    assert plain_text("a<br>b<script>x()</script><style>p{}</style>") == "a b"
    assert plain_text("") == ""
    assert plain_text("no tags  at\n all") == "no tags at all"


def test_converted_blocks_are_accepted_by_an_article_and_render(client, section, media, picture):
    media.documents[30] = _document()
    result = convert(
        "<!-- wp:heading --><h2>Head</h2><!-- /wp:heading --><!-- wp:paragraph --><p>Text <sup>1"
        '</sup> <s>old</s></p><!-- /wp:paragraph --><!-- wp:image {"id":12} --><figure><img src="a'
        '.jpg"><figcaption>Cap</figcaption></figure><!-- /wp:image -->[gallery ids="12,5"]'
        '<!-- wp:audio {"id":30} --><figure><audio src="a.mp3"></audio></figure><!-- /wp:audio -->'
        "<!-- wp:table --><table><tr><th>a</th></tr><tr><td>b</td></tr></table><!-- /wp:table -->"
        "<!-- wp:code --><pre><code>x = 1</code></pre><!-- /wp:code --><!-- wp:separator --><hr>"
        "<!-- /wp:separator --><!-- wp:quote --><blockquote><p>Q</p><cite>S</cite></blockquote>"
        "<!-- /wp:quote --><!-- wp:details --><details><summary>s</summary>d</details>"
        "<!-- /wp:details -->",
        media=media,
    )
    assert set(_types(result)) == {
        "heading",
        "paragraph",
        "image",
        "gallery",
        "media_file",
        "table",
        "code",
        "separator",
        "quote",
        "html",
    }
    article = actions.create_article(
        section=section, title="Imported", body=result.blocks, publish=True
    )
    article.refresh_from_db()
    assert [b.block_type for b in article.body] == _types(result)
    response = client.get(article.url)
    assert response.status_code == 200
    assert b"<sup>1</sup>" in response.content
    assert b"<s>old</s>" in response.content


# --- The shared WordPress exports --------------------------------------------------------------

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
# Blocks that come out as blocks of ours (or whose content does, for layout); any other block
# must be in the report, itself or through a block around it.
_MAPPED = {
    f"wp:{name}"
    for name in [
        "paragraph",
        "heading",
        "list",
        "list-item",
        "quote",
        "pullquote",
        "image",
        "gallery",
        "embed",
        "video",
        "audio",
        "file",
        "code",
        "preformatted",
        "verse",
        "table",
        "separator",
        "buttons",
        "button",
        "shortcode",
        "freeform",
        "columns",
        "column",
        "group",
        "cover",
        "media-text",
        "social-links",
        "social-link",
    ]
}


def _labels_with_ancestors(parts, ancestors=()):
    for part in parts:
        if isinstance(part, str):
            continue
        label = "wp:" + part.name.removeprefix("core/")
        yield label, ancestors
        yield from _labels_with_ancestors(part.parts, (*ancestors, label))


def test_every_post_of_the_shared_exports_converts(shared_dir, media):
    folder = shared_dir / "data" / "wordpress"
    files = sorted(folder.glob("*.xml"))
    if not files:
        pytest.skip(f"no WordPress exports in {folder}")
    posts = 0
    for path in files:
        for item in ET.parse(path).getroot().iter("item"):  # noqa: S314 - files we ship
            content = item.findtext(_CONTENT) or ""
            result = convert(content, media=media)
            posts += 1
            reported = set(result.kept_as_html) | set(result.dropped)
            for label, ancestors in _labels_with_ancestors(_parse_blocks(content, [])):
                assert label in _MAPPED or reported & {label, *ancestors}, (path.name, label)
            if plain_text(content):
                assert result.blocks, (path.name, item.findtext("title"))
            for block in result.blocks:
                if block.type != "code":
                    for text in _strings(block.value):
                        assert not _executable(text), (path.name, block.type, text)
    assert posts > 60
