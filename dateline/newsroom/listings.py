"""Reads for reader pages: each returns what a template needs in a fixed number of queries,
whatever the number of articles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import Coalesce, RowNumber, Substr
from django.http import HttpRequest
from wagtail.models import Page

from dateline.newsroom.models import (
    ArticleByline,
    ArticleCorrection,
    ArticlePage,
    HomePage,
    NewsroomSettings,
    SectionPage,
    paginate,
)
from dateline.newsroom.structured_data import article_json_ld

HOME_TOP_STORIES = 5
HOME_STORIES_PER_SECTION = 4


def attach_sections(articles: Iterable[ArticlePage]) -> None:
    """Set ``article.section`` (its parent section) on every article with one query."""
    articles = list(articles)
    parent_paths = {a.path[: -Page.steplen] for a in articles}
    sections = {
        s.path: s
        for s in SectionPage.objects.filter(path__in=parent_paths).only(
            "id", "path", "title", "url_path", "slug", "depth"
        )
    }
    for article in articles:
        article.section = sections.get(article.path[: -Page.steplen])


def home_context(home: HomePage, request: HttpRequest) -> dict[str, Any]:
    top_stories = list(home.articles()[:HOME_TOP_STORIES])
    sections = list(SectionPage.objects.child_of(home).live().public().order_by("path"))
    section_depth_chars = (home.depth + 1) * Page.steplen
    ranked = (
        ArticlePage.objects.published()
        .descendant_of(home)
        .exclude(pk__in=[a.pk for a in top_stories])
        .annotate(
            top_section_path=Substr("path", 1, section_depth_chars),
            rank=Window(
                RowNumber(),
                partition_by=F("top_section_path"),
                order_by=[Coalesce("published_at", "first_published_at").desc(), F("pk").desc()],
            ),
        )
        .filter(rank__lte=HOME_STORIES_PER_SECTION)
        .for_listing()
    )
    by_section: dict[str, list[ArticlePage]] = {}
    ranked_list = list(ranked)
    for article in ranked_list:
        by_section.setdefault(article.top_section_path, []).append(article)
    attach_sections([*top_stories, *ranked_list])
    return {
        "top_stories": top_stories,
        "section_groups": [(s, by_section.get(s.path, [])) for s in sections],
    }


def section_context(section: SectionPage, request: HttpRequest) -> dict[str, Any]:
    per_page = NewsroomSettings.for_request(request).articles_per_page
    page = paginate(request, section.articles(), per_page)
    attach_sections(page.object_list)
    return {
        "articles": page,
        "subsections": SectionPage.objects.child_of(section).live().public().order_by("path"),
    }


def article_context(article: ArticlePage, request: HttpRequest) -> dict[str, Any]:
    section = SectionPage.objects.parent_of(article).first()
    bylines = list(
        ArticleByline.objects.filter(page=article).select_related("author").order_by("sort_order")
    )
    corrections = list(
        ArticleCorrection.objects.filter(page=article).order_by("noted_at", "sort_order")
    )
    # Previews render unsaved in-memory relations; the database rows are what readers see.
    if article.pk is None or getattr(request, "is_preview", False):
        bylines = list(article.bylines.all())
        corrections = list(article.corrections.all())
    newsroom = NewsroomSettings.for_request(request)
    share_image_url = logo_url = None
    if article.lead_image:
        share_image_url = request.build_absolute_uri(
            article.lead_image.get_rendition("fill-1200x630").url
        )
    if newsroom.publisher_logo:
        logo_url = request.build_absolute_uri(
            newsroom.publisher_logo.get_rendition("max-600x60").url
        )
    return {
        "section": section,
        "bylines": bylines,
        "corrections": corrections,
        "tags": list(article.tags.all()),
        "canonical_url": article.get_full_url(request),
        "share_image_url": share_image_url,
        "json_ld": article_json_ld(
            article=article,
            request=request,
            bylines=bylines,
            corrections=corrections,
            image_url=share_image_url,
            logo_url=logo_url,
        ),
    }
