"""What a change to a story invalidates, registered with ``dateline.server.invalidation`` in
``NewsroomConfig.ready``.

A story (``ArticlePage``) published, unpublished or deleted: the story, its ancestors
(section pages, home page) and ``gen:lists`` — every page that lists stories: sections,
home, author and tag pages, feeds and the sitemap. On a CDN, the same pages and feeds, the
story's author and tag pages, the author index and the sitemap are purged. Sections and the
home page take the infrastructure's default (the navigation shows them: ``gen:site``).
"""

from __future__ import annotations

from django.urls import reverse
from wagtail.models import Page

from dateline.newsroom.models import ArticleByline, ArticleTag
from dateline.server import invalidation, pagecache


def article_changed(page: Page) -> None:
    ancestors = list(
        Page.objects.ancestor_of(page).filter(depth__gt=1).only("id", "path", "url_path")
    )
    pagecache.bump(
        pagecache.page_gen(page.pk),
        *(pagecache.page_gen(a.pk) for a in ancestors),
        pagecache.GEN_LISTS,
    )
    if invalidation.frontend_cache_enabled():
        invalidation.purge(_purge_urls(page, [a.specific_deferred for a in ancestors]))


def _purge_urls(article: Page, ancestors: list[Page]) -> list[str]:
    urls = invalidation.page_urls(article, lists=False)
    for ancestor in ancestors:
        urls += invalidation.page_urls(ancestor, lists=True)
    slugs = ArticleByline.objects.filter(page_id=article.pk, author__isnull=False).values_list(
        "author__slug", flat=True
    )
    urls += [invalidation.site_url(reverse("newsroom:author", kwargs={"slug": s})) for s in slugs]
    tags = ArticleTag.objects.filter(content_object_id=article.pk).values_list(
        "tag__slug", flat=True
    )
    urls += [invalidation.site_url(reverse("newsroom:tag", kwargs={"slug": s})) for s in tags]
    urls += [
        invalidation.site_url(reverse("newsroom:author_index")),
        invalidation.site_url(reverse("sitemap")),
    ]
    return urls


def story_dependencies(page: Page) -> list[str]:
    """What a story's page depends on, besides gen:site: itself (comments bump it too), not
    the lists — a story lists no other story."""
    return [pagecache.page_gen(page.pk)]
