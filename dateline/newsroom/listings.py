"""Reads for reader pages: each returns what a template needs in a fixed number of queries,
whatever the number of articles."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import Coalesce, RowNumber, Substr
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.models import Page

from dateline.newsroom.links import absolute_url
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
from dateline.server import siteconfig
from dateline.server.requeststate import Slot

HOME_TOP_STORIES = 5
HOME_STORIES_PER_SECTION = 4
# What a link to a section needs (title and address), for cards and navigation.
SECTION_FIELDS = ("id", "path", "depth", "title", "slug", "url_path")
# The lead image's sizes on the article page (newsroom/article_page.html) and in share cards.
SHARE_IMAGE_SPEC = "fill-1200x630"
ARTICLE_IMAGE_SPECS = ("width-1200", SHARE_IMAGE_SPEC)


def attach_sections(articles: Iterable[ArticlePage]) -> None:
    """Set ``article.section`` (its parent section) on every article with one query."""
    articles = list(articles)
    parent_paths = {a.path[: -Page.steplen] for a in articles}
    sections = {
        s.path: s for s in SectionPage.objects.filter(path__in=parent_paths).only(*SECTION_FIELDS)
    }
    for article in articles:
        article.section = sections.get(article.path[: -Page.steplen])


TOP_SECTIONS = Slot[dict[int, list[SectionPage]]](
    "top sections",
    doc=(
        "The live, public sections right below each front page asked for (by the front page's "
        "id): the navigation and the front page's groups. Given by the site snapshot "
        "(give_top_sections), or read by the first caller of top_sections."
    ),
)


def top_sections(request: HttpRequest, root: Page) -> list[SectionPage]:
    """The sections right below the front page, for the navigation and the front page's
    groups: fetched once per request, whichever asks first (or from the site snapshot)."""
    cache = TOP_SECTIONS.get_or_set(request, dict)
    if root.pk not in cache:
        cache[root.pk] = list(
            SectionPage.objects.child_of(root)
            .live()
            .public()
            .order_by("path")
            .only(*SECTION_FIELDS)
        )
    return cache[root.pk]


def load_top_sections(request: HttpRequest, root: Page) -> tuple[SectionPage, ...]:
    """The site snapshot's copy of the navigation (``siteconfig.contribute`` in
    ``NewsroomConfig.ready``): every change to a section bumps gen:site."""
    return tuple(siteconfig.copy_for_request(s) for s in top_sections(request, root))


def give_top_sections(request: HttpRequest, root: Page, sections: tuple[SectionPage, ...]) -> None:
    """This request's own copies of the snapshot's navigation, where ``top_sections`` looks."""
    TOP_SECTIONS.set(request, {root.pk: [siteconfig.copy_for_request(s) for s in sections]})


def _home_page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        raise Http404(_("There is no such page.")) from None
    if number < 1:
        raise Http404(_("There is no such page."))
    return number


def home_context(home: HomePage, request: HttpRequest) -> dict[str, Any]:
    """Page 1: the newest stories on top, then the newest of each top-level section below,
    and a link to older stories. Page 2 onwards: every story, newest first, from just after
    the top stories, ``articles_per_page`` a page, so none falls between the two."""
    number = _home_page_number(request)
    if number > 1:
        return _home_archive(home, request, number)
    context = _home_front(home, request)
    older = ArticlePage.objects.published().descendant_of(home)[HOME_TOP_STORIES:][:1]
    context["older_url"] = "?page=2" if older.exists() else ""
    return context


def _home_archive(home: HomePage, request: HttpRequest, number: int) -> dict[str, Any]:
    per_page = NewsroomSettings.for_request(request).articles_per_page
    start = HOME_TOP_STORIES + (number - 2) * per_page
    found = list(home.articles()[start : start + per_page + 1])
    if not found:
        raise Http404(_("There is no such page."))
    articles = found[:per_page]
    attach_sections(articles)
    return {
        "archive": articles,
        "page_number": number,
        "newer_url": f"?page={number - 1}",
        "older_url": "?page=" + str(number + 1) if len(found) > per_page else "",
    }


def _home_front(home: HomePage, request: HttpRequest) -> dict[str, Any]:
    """The newest stories on top, then the newest of each top-level section (stories of its
    sub-sections included) below, without repeating a top story. One query fetches both: the
    top stories are always among the first ``top + per_section`` of their own section."""
    sections = top_sections(request, home)
    section_depth_chars = (home.depth + 1) * Page.steplen
    ranked = list(
        ArticlePage.objects.published()
        .descendant_of(home)
        .annotate(
            top_section_path=Substr("path", 1, section_depth_chars),
            rank=Window(
                RowNumber(),
                partition_by=F("top_section_path"),
                order_by=[Coalesce("published_at", "first_published_at").desc(), F("pk").desc()],
            ),
        )
        .filter(rank__lte=HOME_TOP_STORIES + HOME_STORIES_PER_SECTION)
        .for_listing()
    )
    top_stories = ranked[:HOME_TOP_STORIES]
    on_top = {article.pk for article in top_stories}
    by_section: dict[str, list[ArticlePage]] = {}
    for article in ranked:
        if article.pk not in on_top:
            group = by_section.setdefault(article.top_section_path, [])
            if len(group) < HOME_STORIES_PER_SECTION:
                group.append(article)
    attach_sections(ranked)
    return {
        "top_stories": top_stories,
        # A section with nothing new below the top stories is left out.
        "section_groups": [(s, by_section[s.path]) for s in sections if by_section.get(s.path)],
    }


def section_context(section: SectionPage, request: HttpRequest) -> dict[str, Any]:
    per_page = NewsroomSettings.for_request(request).articles_per_page
    page = paginate(request, section.articles(), per_page)
    attach_sections(page.object_list)
    return {
        "articles": page,
        "subsections": list(
            SectionPage.objects.child_of(section)
            .live()
            .public()
            .order_by("path")
            .only(*SECTION_FIELDS)
        ),
    }


def _sections_by_path() -> dict[str, SectionPage]:
    return {s.path: s for s in SectionPage.objects.only(*SECTION_FIELDS)}


def _section_of(article: ArticlePage) -> SectionPage | None:
    """The story's section, from the per-site list of sections (every change to a section
    bumps gen:site), as this request's own copy."""
    found = siteconfig.shared("sections-by-path", _sections_by_path).get(
        article.path[: -Page.steplen]
    )
    return siteconfig.copy_for_request(found) if found is not None else None


class StoryParts:
    """What the story's own part of the page shows (bylines, corrections, tags, the share
    card, the structured data), read when that part is rendered. A story part served from
    the shared fragments (``newsroom_tags.shared_part``) reads none of it."""

    def __init__(self, article: ArticlePage, request: HttpRequest, *, preview: bool) -> None:
        self.article = article
        self.request = request
        self.preview = preview

    @cached_property
    def bylines(self) -> list[ArticleByline]:
        if self.preview:
            # Previews render unsaved in-memory relations; the database rows are what readers see.
            return list(self.article.bylines.all())
        return list(
            ArticleByline.objects.filter(page=self.article)
            .select_related("author")
            .order_by("sort_order", "pk")
        )

    @cached_property
    def corrections(self) -> list[ArticleCorrection]:
        if self.preview:
            return list(self.article.corrections.all())
        return list(
            ArticleCorrection.objects.filter(page=self.article).order_by(
                "noted_at", "sort_order", "pk"
            )
        )

    @cached_property
    def tags(self) -> list[Any]:
        return list(self.article.tags.all())

    @cached_property
    def lead_image(self) -> Any:
        article = self.article
        if article.lead_image_id and not self.preview:
            # The picture and both its sizes (page and share card) in two queries, not four.
            article.lead_image = (
                get_image_model()
                .objects.prefetch_renditions(*ARTICLE_IMAGE_SPECS)
                .filter(pk=article.lead_image_id)
                .first()
            )
        return article.lead_image

    @cached_property
    def canonical_url(self) -> str | None:
        return self.article.get_full_url(self.request)

    @cached_property
    def share_image_url(self) -> str | None:
        if not self.lead_image:
            return None
        return absolute_url(self.request, self.lead_image.get_rendition(SHARE_IMAGE_SPEC).url)

    @cached_property
    def json_ld(self) -> dict[str, Any]:
        newsroom = NewsroomSettings.for_request(self.request)
        logo_url = None
        if newsroom.publisher_logo:
            logo_url = absolute_url(
                self.request, newsroom.publisher_logo.get_rendition("max-600x60").url
            )
        return article_json_ld(
            article=self.article,
            request=self.request,
            bylines=self.bylines,
            corrections=self.corrections,
            image_url=self.share_image_url,
            logo_url=logo_url,
        )


def article_context(article: ArticlePage, request: HttpRequest) -> dict[str, Any]:
    preview = article.pk is None or getattr(request, "is_preview", False)
    return {
        "section": _section_of(article),
        "story": StoryParts(article, request, preview=preview),
    }
