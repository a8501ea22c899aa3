"""Wagtail hooks of the server app: every page Wagtail serves to readers declares itself to
the page cache (previews and the admin never pass through ``before_serve_page``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from wagtail import hooks

from dateline.server import pagecache


@hooks.register("before_serve_page")
def declare_page_for_the_page_cache(
    page: Any, request: HttpRequest, serve_args: Any, serve_kwargs: Any
) -> None:
    pagecache.depend_on_page(request, page)
