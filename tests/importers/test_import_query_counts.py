"""What an imported story costs the database: a constant number of statements per story,
whatever the number of its comments, and on a first import no look-ups of earlier ones; and
what the run remembers between stories (tags, sections) survives a story that fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dateline.discussion.models import Comment
from dateline.importers.wordpress.importer import import_wordpress
from dateline.newsroom.models import ArticlePage

pytestmark = pytest.mark.django_db

HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Gulf Ledger</title><link>https://ledger.example.net</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:category><wp:term_id>4</wp:term_id><wp:category_nicename>ports</wp:category_nicename>
<wp:category_parent></wp:category_parent><wp:cat_name>Ports</wp:cat_name></wp:category>
"""


def _comment(site: str, post: int, n: int) -> str:
    parent = f"{post}{n - 1:03d}" if n % 3 else "0"  # threads of three: a comment, two replies
    return f"""<wp:comment><wp:comment_id>{post}{n:03d}</wp:comment_id>
<wp:comment_author>Reader {n % 4}</wp:comment_author>
<wp:comment_author_email>reader{n % 4}@{site}.example.net</wp:comment_author_email>
<wp:comment_date_gmt>2021-02-0{1 + n % 8} 10:00:00</wp:comment_date_gmt>
<wp:comment_content>The crane at berth {n} is *still* broken.</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent>
</wp:comment>"""


def _export(
    tmp_path: Path,
    site: str,
    *,
    posts: int,
    comments: int,
    category: str = "ports",
    tag: str = "Berths",
) -> str:
    first = 100 * sum(map(ord, site))  # ids of its own (and so old addresses, /?p=ID)
    items = "".join(
        f"""<item><title>Berth {p} reopens</title>
<link>https://{site}.example.net/2021/02/berth-{p}/</link><dc:creator>desk</dc:creator>
<content:encoded><![CDATA[<p>Work on berth {p} ended.</p>]]></content:encoded>
<wp:post_id>{p}</wp:post_id><wp:post_date_gmt>2021-02-01 08:00:00</wp:post_date_gmt>
<wp:post_name>berth-{p}</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type><wp:comment_status>open</wp:comment_status>
<category domain="category" nicename="{category}">{category.title()}</category>
<category domain="post_tag" nicename="cranes">cranes</category>
<category domain="post_tag" nicename="{tag.lower()}">{tag}</category>
{"".join(_comment(site, p, n) for n in range(comments))}</item>"""
        for p in range(first, first + posts)
    )
    path = tmp_path / f"{site}.xml"
    head = HEAD.replace("ledger.example.net", f"{site}.example.net")
    path.write_text(head + items + "</channel></rss>")
    return str(path)


def _statements(tmp_path: Path, site: str, *, posts: int, comments: int) -> list[str]:
    """The statements of importing a site's export, a first import of that site."""
    export = _export(tmp_path, site, posts=posts, comments=comments)
    with CaptureQueriesContext(connection) as queries:
        report = import_wordpress(export)
    assert report.failed == 0, report.warnings
    return [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def warm(home, tmp_path):
    """A first site imported already: its section and tag exist for the sites measured."""
    _statements(tmp_path, "warmup", posts=1, comments=3)


def test_statements_per_story_stay_the_same_however_many_comments(warm, tmp_path):
    few = _statements(tmp_path, "few", posts=4, comments=3)
    many = _statements(tmp_path, "many", posts=4, comments=30)
    assert Comment.objects.filter(thread__article__slug__startswith="berth").count() == 3 + 4 * 33
    # Commenters' counts are set by one UPDATE per distinct count.
    assert abs(len(many) - len(few)) <= 6, (len(few), len(many))


def test_each_more_story_costs_a_bounded_number_of_statements(warm, tmp_path):
    one = _statements(tmp_path, "one", posts=1, comments=6)
    eleven = _statements(tmp_path, "eleven", posts=11, comments=6)
    assert ArticlePage.objects.count() == 1 + 1 + 11
    per_story = (len(eleven) - len(one)) / 10
    # 86 when written, a fifth of them savepoints; 168 before the import was cut.
    assert per_story <= 90, per_story


def test_a_first_import_looks_up_nothing_earlier_imports_made(warm, tmp_path):
    statements = _statements(tmp_path, "fresh", posts=3, comments=6)
    lookups = [s for s in statements if s.startswith("SELECT") and "importers_importeditem" in s]
    assert len(lookups) == 1, lookups  # only: has this source been imported before?


@pytest.mark.django_db(transaction=True)  # commits, as a real run: the tag memory fills on them
def test_a_story_that_fails_leaves_nothing_the_next_ones_trip_on(warm, tmp_path, monkeypatch):
    """The first story makes a section (a category only its posts name) and a tag, then
    fails: both go with its transaction or stay committed, and the stories after it, in the
    same section and under the same tag, are written whole."""
    from dateline.importers.wordpress import importer

    real, failed = importer._redirect_item, []

    def first_fails(run, item, page, at):  # type: ignore[no-untyped-def]
        if not failed:
            failed.append(item.wp_id)
            raise DatabaseError("the disk filled up")
        return real(run, item, page, at)

    monkeypatch.setattr(importer, "_redirect_item", first_fails)
    export = _export(tmp_path, "shaky", posts=3, comments=2, category="dredging", tag="Silt")
    report = import_wordpress(export)
    assert report.failed == 1
    assert report.counts[("post", "created")] == 2
    stories = ArticlePage.objects.filter(slug__startswith="berth", tags__name="Silt")
    assert stories.count() == 2
    for story in stories:
        assert story.get_parent().slug == "dredging"
        assert Client().get(story.url).status_code == 200
    assert not ArticlePage.objects.filter(title=f"Berth {failed[0]} reopens").exists()
