"""RSS 2.0 and Atom feeds for the whole site (the home page) and for each section."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from wagtail.models import Site

from dateline.newsroom.links import absolute_url
from dateline.newsroom.models import ArticlePage, NewsroomSettings

FEED_LENGTH = 30


class _ArticleFeed(Feed):
    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.request = request
        return kwargs["page"]

    def title(self, obj: Any) -> str:
        site = Site.find_for_request(self.request)
        name = NewsroomSettings.for_request(self.request).publisher_name or (
            site.site_name if site else ""
        )
        if obj.specific_class.__name__ == "HomePage":
            return name or obj.title
        return f"{obj.title} — {name}" if name else obj.title

    def link(self, obj: Any) -> str:
        return obj.get_full_url(self.request)

    def description(self, obj: Any) -> str:
        return getattr(obj, "description", "") or getattr(obj, "intro", "") or _("Latest stories")

    def feed_url(self, obj: Any) -> str:
        return absolute_url(self.request, self.request.path)

    def items(self, obj: Any) -> list[ArticlePage]:
        return list(ArticlePage.objects.published().descendant_of(obj).for_feed()[:FEED_LENGTH])

    def item_title(self, item: ArticlePage) -> str:
        return item.title

    def item_description(self, item: ArticlePage) -> str:
        return item.standfirst

    def item_link(self, item: ArticlePage) -> str:
        return item.get_full_url(self.request)

    def item_guid(self, item: ArticlePage) -> str:
        return item.get_full_url(self.request)

    def item_pubdate(self, item: ArticlePage) -> datetime.datetime | None:
        return item.publication_time

    def item_updateddate(self, item: ArticlePage) -> datetime.datetime | None:
        return item.modified_time

    def item_author_name(self, item: ArticlePage) -> str:
        return str(get_text_list([b.display_name for b in item.bylines.all()], _("and")))

    def item_categories(self, item: ArticlePage) -> list[str]:
        return [tag.name for tag in item.tags.all()]


class RssFeed(_ArticleFeed):
    feed_type = Rss201rev2Feed


class AtomFeed(_ArticleFeed):
    feed_type = Atom1Feed

    def subtitle(self, obj: Any) -> str:
        return self.description(obj)
