"""Old WordPress addresses made of a query (``/?p=123``, ``/?page_id=2``, ``/?cat=11``):
``/`` is the home page here and answers 200, so Wagtail's redirect middleware, which only
looks at 404s, never sees them. Placed before the page cache, which would otherwise keep the
home page under such a query."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from wagtail.contrib.redirects.models import Redirect

# The query keys WordPress answers on any address (its "plain" permalinks).
WORDPRESS_KEYS = frozenset({"p", "page_id", "cat", "tag", "attachment_id", "feed"})


class OldQueryAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if query and request.method in {"GET", "HEAD"}:
            keys = {key for key, _value in parse_qsl(query, keep_blank_values=True)}
            if keys & WORDPRESS_KEYS:
                old = Redirect.normalise_path(request.get_full_path())
                redirect = (
                    Redirect.objects.filter(old_path=old)
                    .filter(
                        Q(site__isnull=True) | Q(site__hostname=request.get_host().split(":")[0])
                    )
                    .select_related("redirect_page")
                    .first()
                )
                if redirect is not None and redirect.link:
                    return HttpResponsePermanentRedirect(redirect.link)
        return self.get_response(request)
