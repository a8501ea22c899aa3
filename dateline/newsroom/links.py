"""Absolute addresses for readers' pages, feeds and search engines.

Wagtail builds a page's full URL from its site record (hostname and port), which
``actions.ensure_home_page`` fills in from ``DATELINE_BASE_URL``. Every other absolute link
(authors, images, the sitemap in robots.txt, a feed's own address) is built from the same
record, so they all agree — whatever Host header a proxy in front happens to pass on.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Site


def site_root_url(request: HttpRequest | None) -> str:
    """``https://news.example.org``: where the site is published, without a trailing slash."""
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        site = Site.objects.filter(is_default_site=True).first()
    return site.root_url if site is not None else settings.BASE_URL


def absolute_url(request: HttpRequest | None, path: str) -> str:
    """``path`` (``/authors/rana/``) at the site's public address. A URL that is already
    absolute (media on object storage, say) is returned as it is."""
    if urlsplit(path).scheme:
        return path
    return f"{site_root_url(request)}/{path.lstrip('/')}"
