"""Reader pages that are not Wagtail pages: authors, tags, robots.txt."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe
from taggit.models import Tag

from dateline.newsroom.links import absolute_url
from dateline.newsroom.listings import attach_sections
from dateline.newsroom.models import (
    ArticleByline,
    ArticlePage,
    ArticleTag,
    Author,
    NewsroomSettings,
    paginate,
)


@require_safe
def author_index(request: HttpRequest) -> HttpResponse:
    authors = Author.objects.filter(
        pk__in=ArticleByline.objects.filter(page__in=ArticlePage.objects.published()).values(
            "author"
        )
    ).select_related("photo")
    return render(request, "newsroom/author_index.html", {"authors": authors})


@require_safe
def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    articles = (
        ArticlePage.objects.published()
        .filter(pk__in=ArticleByline.objects.filter(author=author).values("page"))
        .for_listing()
    )
    page = paginate(request, articles, NewsroomSettings.for_request(request).articles_per_page)
    attach_sections(page.object_list)
    return render(
        request,
        "newsroom/author_page.html",
        {
            "author": author,
            "articles": page,
            "canonical_url": absolute_url(request, author.get_absolute_url()),
        },
    )


@require_safe
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    articles = (
        ArticlePage.objects.published()
        .filter(pk__in=ArticleTag.objects.filter(tag=tag).values("content_object"))
        .for_listing()
    )
    page = paginate(request, articles, NewsroomSettings.for_request(request).articles_per_page)
    attach_sections(page.object_list)
    return render(
        request,
        "newsroom/tag_page.html",
        {
            "tag": tag,
            "articles": page,
            "canonical_url": absolute_url(request, reverse("newsroom:tag", args=[tag.slug])),
        },
    )


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /django-admin/",
        f"Sitemap: {absolute_url(request, reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
