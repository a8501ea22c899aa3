from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from wagtail.models import Site

from dateline.newsroom.listings import top_sections
from dateline.newsroom.models import NewsroomSettings, SectionPage


def site_chrome(request: HttpRequest) -> dict[str, Any]:
    """The masthead's name and section navigation, evaluated only when a template uses them."""

    def nav_sections() -> list[SectionPage]:
        site = Site.find_for_request(request)
        if site is None:
            return []
        return top_sections(request, site.root_page)

    def site_name() -> str:
        site = Site.find_for_request(request)
        publisher = NewsroomSettings.for_request(request).publisher_name
        return publisher or (site.site_name if site else "") or "Dateline"

    return {
        "nav_sections": SimpleLazyObject(nav_sections),
        "site_name": SimpleLazyObject(site_name),
    }
