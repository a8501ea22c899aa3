"""The site a request is for and its settings rows, read once per process and reused until
``gen:site`` moves.

Every reader request needs the Wagtail ``Site`` for its host (Wagtail matches hostname and
port in one of the heavier queries of a page), its root page, the newsroom and discussion
settings, the sections in the navigation, and whether any view restriction exists: seven
queries on a story page, for rows that change only when an editor saves them — and every such
save bumps ``gen:site`` (``dateline.server.invalidation``). ``SiteConfigMiddleware`` keeps
them per process and hands each request its own copies, in the places Wagtail and Dateline
look first (Wagtail's site and settings through ``requeststate.give_wagtail_site``, the
navigation in ``newsroom.listings.TOP_SECTIONS``), so their callers get them without a query.
While a request runs, ``no_view_restrictions()`` tells page code that no page of any site is
restricted, so it can skip looking (almost every newsroom has none).

Copies, not shared instances: a model instance caches related objects on itself, and a page
reached through ``site.root_page`` caches its specific page and URLs; sharing one between
threads would share those too. Each request gets a shallow copy with no related objects
cached. The generation is read before the rows, so a save that commits while they are being
read bumps past what is stored here (as for fragments in ``dateline.server.pagecache``).
"""

from __future__ import annotations

import contextvars
import copy
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import DisallowedHost
from django.db.models import Model
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from wagtail.contrib.settings.models import BaseSiteSetting
from wagtail.models import Site

from dateline.server import pagecache, requeststate

logger = logging.getLogger(__name__)

# The admin saves these rows: it reads them afresh.
SKIPPED_PREFIXES = ("/admin/", "/django-admin/", "/static/", "/media/")
# Hosts are checked against ALLOWED_HOSTS first; this only bounds a wildcard configuration.
MAX_HOSTS = 64


@dataclass(frozen=True)
class Snapshot:
    generation: int
    site: Site | None
    root_page: Any  # the site's root page, specific (a HomePage)
    settings: tuple[Model, ...]  # a row per settings model
    nav_sections: tuple[Any, ...]  # newsroom.listings.top_sections of the root page
    view_restrictions: bool  # whether any page anywhere has a view restriction
    # Values derived from rows that only change with gen:site (``shared``).
    derived: dict[str, Any] = field(default_factory=dict, compare=False)


_snapshots: dict[tuple[str, str], Snapshot] = {}
_lock = threading.Lock()
_current: contextvars.ContextVar[Snapshot | None] = contextvars.ContextVar(
    "dateline_site_snapshot", default=None
)


def shared[T](name: str, compute: Callable[[], T]) -> T:
    """A value computed from rows whose every change bumps ``gen:site`` (sections, sign-in
    providers…), computed once per snapshot and shared by the requests that use it. Outside a
    request it is computed each time. It must be immutable, or copied by the caller: other
    threads read it too."""
    snapshot = _current.get()
    if snapshot is None:
        return compute()
    try:
        return snapshot.derived[name]
    except KeyError:
        value = snapshot.derived[name] = compute()
        return value


def generation() -> int | None:
    """The ``gen:site`` this request's snapshot was read under (None outside a request):
    whatever the request builds from the snapshot's rows belongs to that generation."""
    snapshot = _current.get()
    return snapshot.generation if snapshot is not None else None


def no_view_restrictions() -> bool:
    """True only inside a request, when no page of any site has a view restriction."""
    snapshot = _current.get()
    return snapshot is not None and not snapshot.view_restrictions


def _setting_models() -> tuple[type[BaseSiteSetting], ...]:
    from dateline.discussion.models import DiscussionSettings
    from dateline.newsroom.models import NewsroomSettings

    return (NewsroomSettings, DiscussionSettings)


def copy_for_request[M: Model](instance: M) -> M:
    """A shared model instance's own copy for this request (see the module docstring): the
    same field values, no related objects."""
    duplicate = copy.copy(instance)
    duplicate._state.fields_cache = {}
    return duplicate


def _fresh_row[M: Model](row: M) -> M:
    """A settings row's own copy for this request, built as if just read from the database
    (``Model.from_db``), so the per-instance caches its class keeps (Wagtail's page URLs of
    a setting) start empty instead of being shared."""
    names = [f.attname for f in row._meta.concrete_fields]
    return type(row).from_db(row._state.db, names, [getattr(row, n) for n in names])


def _load(request: HttpRequest, generation: int) -> Snapshot:
    from wagtail.models import PageViewRestriction

    from dateline.newsroom.listings import top_sections

    view_restrictions = PageViewRestriction.objects.exists()
    site = Site.find_for_request(request)
    if site is None:
        return Snapshot(generation, None, None, (), (), view_restrictions)
    root_page = site.root_page.specific
    return Snapshot(
        generation=generation,
        site=copy_for_request(site),
        root_page=copy_for_request(root_page),
        settings=tuple(_fresh_row(m.for_site(site)) for m in _setting_models()),
        nav_sections=tuple(copy_for_request(s) for s in top_sections(request, root_page)),
        view_restrictions=view_restrictions,
    )


def prime(request: HttpRequest) -> Snapshot:
    """Put this request's site, root page, settings and navigation where their readers look."""
    key = (request.get_host(), request.get_port())
    generation = pagecache.read_numbers([pagecache.GEN_SITE])[0]
    snapshot = _snapshots.get(key)
    if snapshot is None or snapshot.generation != generation:
        snapshot = _load(request, generation)
        with _lock:
            if len(_snapshots) >= MAX_HOSTS:
                _snapshots.clear()
            _snapshots[key] = snapshot
    from dateline.newsroom.listings import TOP_SECTIONS

    if snapshot.site is None:
        requeststate.give_wagtail_site(request, None)
        return snapshot
    site = copy_for_request(snapshot.site)
    root_page = copy_for_request(snapshot.root_page)
    Site.root_page.field.set_cached_value(site, root_page)
    requeststate.give_wagtail_site(request, site, [_fresh_row(row) for row in snapshot.settings])
    # newsroom.listings.top_sections looks here first.
    TOP_SECTIONS.set(
        request,
        {root_page.pk: [copy_for_request(section) for section in snapshot.nav_sections]},
    )
    return snapshot


def forget() -> None:
    """Drop every snapshot (tests, whose rolled-back rows must not outlive them)."""
    with _lock:
        _snapshots.clear()


class SiteConfigMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with pagecache.numbers_for_request():
            snapshot = None
            if not request.path_info.startswith(SKIPPED_PREFIXES):
                try:
                    snapshot = prime(request)
                except DisallowedHost:
                    pass  # CommonMiddleware answers it
                except Exception:  # without the snapshot every read simply queries
                    logger.exception("site configuration: could not prime the request")
            token = _current.set(snapshot)
            try:
                return self.get_response(request)
            finally:
                _current.reset(token)
