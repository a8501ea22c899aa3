"""Reading WordPress exports as a stream: every spelling of the format reads the same, a
malformed or hostile file is refused with its line, and memory does not grow with the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dateline.importers.wordpress import wxr

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{ns}excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}">
<channel><title>Test site</title><link>https://www.Example.org/blog/</link>
<wp:wxr_version>{version}</wp:wxr_version>
"""
ITEM = """<item><title>{title}</title><link>https://example.org/blog/?p={id}</link>
<guid isPermaLink="false">https://example.org/blog/?p={id}</guid>
<content:encoded>{content}</content:encoded>
<wp:post_id>{id}</wp:post_id><wp:post_date>2020-11-20 21:28:39</wp:post_date>
<wp:post_date_gmt>{gmt}</wp:post_date_gmt><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type><category>Local</category>
<category domain="post_tag" nicename="rain">Rain</category></item>
"""
TAIL = "</channel></rss>\n"


def export(
    tmp_path: Path, *items: str, ns: str = "http://wordpress.org/export/1.2/", version: str = "1.2"
) -> Path:
    path = tmp_path / "export.xml"
    path.write_text(HEAD.format(ns=ns, version=version) + "".join(items) + TAIL)
    return path


def items(path: Path) -> list[wxr.Item]:
    return [e for e in wxr.read(path) if isinstance(e, wxr.Item)]


@pytest.mark.parametrize(
    ("ns", "version"),
    [
        ("http://wordpress.org/export/1.0/", "1.0"),
        ("http://wordpress.org/export/1.1/", "1.1"),
        ("https://wordpress.org/export/1.2/", "1.2"),
    ],
)
def test_every_version_and_namespace_spelling_reads_the_same(tmp_path, ns, version):
    path = export(
        tmp_path,
        ITEM.format(
            title="Rain", id=7, content="<![CDATA[<p>Wet.</p>]]>", gmt="2020-11-20 18:28:39"
        ),
        ns=ns,
        version=version,
    )
    entries = list(wxr.read(path))
    channel = entries[0]
    assert isinstance(channel, wxr.Channel)
    assert channel.site_key == "example.org/blog"
    (item,) = items(path)
    assert item.wp_id == "7"
    assert item.content == "<p>Wet.</p>"
    assert item.date_gmt is not None
    assert item.date_gmt.hour == 18
    # WXR 1.0: a category without a domain is a category.
    assert [(t.taxonomy, t.name) for t in item.terms] == [
        ("category", "Local"),
        ("post_tag", "Rain"),
    ]


def test_escaped_text_cdata_with_its_end_marker_and_missing_gmt_dates(tmp_path):
    path = export(
        tmp_path,
        ITEM.format(
            title="A &amp; B",
            id=1,
            content="&lt;p&gt;x &amp;amp; y&lt;/p&gt;",
            gmt="0000-00-00 00:00:00",
        ),
        ITEM.format(title="C", id=2, content="<![CDATA[a ]]]]><![CDATA[> b]]>", gmt=""),
    )
    first, second = items(path)
    assert first.title == "A & B"
    assert first.content == "<p>x &amp; y</p>"
    assert first.date_gmt is None
    assert first.date is not None
    assert second.content == "a ]]> b"
    assert second.date_gmt is None


def test_an_item_without_a_post_id_takes_it_from_its_address(tmp_path):
    item = ITEM.format(title="T", id=12, content="x", gmt="").replace(
        "<wp:post_id>12</wp:post_id>", ""
    )
    (read,) = items(export(tmp_path, item))
    assert read.wp_id == "12"


def test_a_malformed_file_names_its_line(tmp_path):
    path = export(tmp_path, ITEM.format(title="T", id=1, content="<p>unclosed", gmt=""))
    with pytest.raises(wxr.WXRError) as refused:
        items(path)
    assert refused.value.path == str(path)
    assert refused.value.line == 8  # the <content:encoded> line of the item
    assert str(refused.value).startswith(f"{path}:8: the file is not well-formed XML")


def test_entities_are_never_expanded_or_fetched(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        '<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&c;&ext;</title>'
        "<wp:post_id>1</wp:post_id></item></channel></rss>"
    )
    read = []
    try:
        read = items(bomb)
    except wxr.WXRError:
        return  # refused outright is as good
    assert "root:" not in read[0].title
    assert "aaaaaaaaaa" * 100 not in read[0].title


def test_a_file_that_is_not_an_export(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>hello</body></html>")
    with pytest.raises(wxr.WXRError, match=r":1: this is not a WordPress export"):
        list(wxr.read(page))
    plain_rss = tmp_path / "feed.xml"
    plain_rss.write_text(
        "<rss><channel><title>x</title><item><title>y</title></item></channel></rss>"
    )
    with pytest.raises(wxr.WXRError, match=r"no wordpress\.org/export namespace"):
        list(wxr.read(plain_rss))


def test_memory_stays_flat_however_long_the_file(tmp_path):
    """Peak memory of a process reading 2,000 items is that of one reading 200 (libxml2's
    memory is outside Python's, so the process's own peak is measured)."""
    body = "<![CDATA[" + "<p>" + "word " * 2000 + "</p>]]>"
    script = (
        "import resource, sys\n"
        "from dateline.importers.wordpress import wxr\n"
        "n = sum(1 for e in wxr.read(sys.argv[1]) if isinstance(e, wxr.Item))\n"
        "print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )

    def peak_kb(n: int) -> int:
        path = tmp_path / f"big-{n}.xml"
        with path.open("w") as out:
            out.write(HEAD.format(ns="http://wordpress.org/export/1.2/", version="1.2"))
            for i in range(n):
                out.write(ITEM.format(title=f"T{i}", id=i + 1, content=body, gmt=""))
            out.write(TAIL)
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
        )
        count, peak = map(int, done.stdout.split())
        assert count == n
        return peak

    small, large = peak_kb(200), peak_kb(4000)  # ~2 MB and ~40 MB of export
    assert large < small + 8 * 1024, (small, large)
