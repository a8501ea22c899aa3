"""The site a request is for and its settings rows, read once per process and reused until
``gen:site`` moves.

Every reader request needs the Wagtail ``Site`` for its host (Wagtail matches hostname and
port in one of the heavier queries of a page), its root page, the apps' settings rows, what
the apps derive from the site (the newsroom's sections for the navigation), and whether any
view restriction exists: seven queries on a story page, for rows that change only when an
editor saves them — and every such save bumps ``gen:site`` (``dateline.server.invalidation``).
``SiteConfigMiddleware`` keeps them per process and hands each request its own copies, where
their readers look first (Wagtail's site and settings through
``requeststate.give_wagtail_site``, each app's contribution where the app puts it), so their
callers get them without a query. While a request runs, ``no_view_restrictions()`` tells page
code that no page of any site is restricted, so it can skip looking (almost every newsroom
has none).

What goes into a snapshot is registered by the apps from their ``ready()``:

- ``register_setting(Model)``: a Wagtail site-settings model read on reader pages;
- ``contribute(name, load=…, give=…)``: a value derived from the site's root page, loaded once
  per snapshot and given to each request (``give`` puts the request's own copy where the
  app's code looks for it).

Whatever a snapshot holds must bump ``gen:site`` whenever it changes: register its models with
``invalidation.bump_site_on_change`` too.

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
from wagtail.models import Page, PageViewRestriction, Site

from dateline.server import pagecache, requeststate

logger = logging.getLogger(__name__)

# The admin saves these rows: it reads them afresh.
SKIPPED_PREFIXES = ("/admin/", "/django-admin/", "/static/", "/media/")
# Hosts are checked against ALLOWED_HOSTS first; this only bounds a wildcard configuration.
MAX_HOSTS = 64


@dataclass(frozen=True)
class Contribution[T]:
    """A value an app derives from the site, kept in the snapshot (see the module docstring)."""

    name: str
    # Read once per snapshot, from this first request and the site's root page (specific).
    load: Callable[[HttpRequest, Page], T]
    # Give this request its own copy of the value (``copy_for_request``), where the app's
    # code will look for it.
    give: Callable[[HttpRequest, Page, T], None]


_setting_models: dict[type[BaseSiteSetting], None] = {}  # in registration order
_contributions: dict[str, Contribution[Any]] = {}


def register_setting(model: type[BaseSiteSetting]) -> None:
    """Keep this settings model's row for the site in the snapshot: ``Model.for_request``
    then finds it on the request. Called from an app's ``ready()``."""
    _setting_models[model] = None


def contribute[T](
    name: str,
    *,
    load: Callable[[HttpRequest, Page], T],
    give: Callable[[HttpRequest, Page, T], None],
) -> None:
    """Keep a value derived from the site in the snapshot (see ``Contribution``). Called from
    an app's ``ready()``."""
    _contributions[name] = Contribution(name=name, load=load, give=give)


@dataclass(frozen=True)
class Snapshot:
    generation: int
    site: Site | None
    root_page: Any  # the site's root page, specific
    settings: tuple[Model, ...]  # a row per registered settings model
    contributions: tuple[tuple[Contribution[Any], Any], ...]  # each with its value
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
    view_restrictions = PageViewRestriction.objects.exists()
    site = Site.find_for_request(request)
    if site is None:
        return Snapshot(generation, None, None, (), (), view_restrictions)
    root_page = site.root_page.specific
    return Snapshot(
        generation=generation,
        site=copy_for_request(site),
        root_page=copy_for_request(root_page),
        settings=tuple(_fresh_row(model.for_site(site)) for model in _setting_models),
        contributions=tuple((c, c.load(request, root_page)) for c in _contributions.values()),
        view_restrictions=view_restrictions,
    )


def prime(request: HttpRequest) -> Snapshot:
    """Put this request's site, root page, settings and the apps' contributions where their
    readers look."""
    key = (request.get_host(), request.get_port())
    generation = pagecache.read_numbers([pagecache.GEN_SITE])[0]
    snapshot = _snapshots.get(key)
    if snapshot is None or snapshot.generation != generation:
        snapshot = _load(request, generation)
        with _lock:
            if len(_snapshots) >= MAX_HOSTS:
                _snapshots.clear()
            _snapshots[key] = snapshot
    if snapshot.site is None:
        requeststate.give_wagtail_site(request, None)
        return snapshot
    site = copy_for_request(snapshot.site)
    root_page = copy_for_request(snapshot.root_page)
    Site.root_page.field.set_cached_value(site, root_page)
    requeststate.give_wagtail_site(request, site, [_fresh_row(row) for row in snapshot.settings])
    for contribution, value in snapshot.contributions:
        contribution.give(request, root_page, value)
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
