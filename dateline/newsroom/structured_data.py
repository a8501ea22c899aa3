"""schema.org NewsArticle JSON-LD and the Open Graph / Twitter card values of an article."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.html import strip_tags
from wagtail.models import Site

from dateline.newsroom.links import absolute_url
from dateline.newsroom.models import ArticleByline, ArticleCorrection, ArticlePage, NewsroomSettings


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def article_json_ld(
    *,
    article: ArticlePage,
    request: HttpRequest,
    bylines: list[ArticleByline],
    corrections: list[ArticleCorrection],
    image_url: str | None,
    logo_url: str | None,
) -> dict[str, Any]:
    newsroom = NewsroomSettings.for_request(request)
    site = Site.find_for_request(request)
    site_name = newsroom.publisher_name or (site.site_name if site else "") or "Dateline"
    url = article.get_full_url(request)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.title[:110],
        "inLanguage": article.language,
        "datePublished": _iso(article.publication_time),
        "dateModified": _iso(article.modified_time),
        "author": [
            {"@type": "Person", "name": b.display_name}
            | ({"url": absolute_url(request, b.author.get_absolute_url())} if b.author else {})
            for b in bylines
        ],
        "publisher": {"@type": "Organization", "name": site_name}
        | ({"logo": {"@type": "ImageObject", "url": logo_url}} if logo_url else {}),
    }
    if article.standfirst:
        data["description"] = strip_tags(article.standfirst)
    if article.dateline_text:
        data["dateline"] = article.dateline_text.strip("()")
    if article.dateline_place:
        data["locationCreated"] = {"@type": "Place", "name": article.dateline_place}
    if article.dateline_source:
        data["sourceOrganization"] = {"@type": "Organization", "name": article.dateline_source}
    if image_url:
        data["image"] = [image_url]
    if corrections:
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": c.text,
                "datePublished": _iso(c.noted_at),
                "name": c.get_kind_display(),
            }
            for c in corrections
        ]
    return data
