"""What a change invalidates: the page cache's generation numbers (``pagecache.bump``) and, when
a CDN is configured, the URLs Wagtail's frontend cache purges.

This module knows Wagtail's pages and sites and nothing of Dateline's apps. Each app declares
from its ``ready()`` what its own changes invalidate, through three registries:

- ``on_page_change(PageModel, changed)``: a published, unpublished or deleted page of that
  class calls ``changed(page)`` instead of the default below (the newsroom's stories bump
  their sections and every list, and purge their author and tag pages);
- ``bump_site_on_change(*models)``: every save and delete of these rows bumps ``gen:site``
  (settings, authors, tags, sign-in providers: anything on every page or in the site
  snapshot);
- ``on_change(*models, then=…)``: any other reaction to a model's saves and deletes (a
  discussion thread saved whole bumps its thread and its story).

Changes a signal cannot see (a comment shown or hidden, in ``dateline.discussion.actions``)
are invalidated by an explicit call to the app's own function, which uses ``pagecache.bump``
and ``purge`` here.

Why signals and not Wagtail hooks: ``after_publish_page``, ``after_move_page`` and friends run
only in the admin's views, while pages are also published by scheduled publishing in the
worker, by the wire importer and by the apps' actions. Wagtail sends
``page_published``/``page_unpublished`` from the publish and unpublish actions themselves, and
``post_page_move`` from the move action, whoever calls them; ``pre_delete`` fires for every page
of a deleted subtree (Wagtail also unpublishes each live one on its way out, which sends
``page_unpublished``).

What the changes this module sees itself bump
    - a page of a class no app registered (a section, the home page): the page and
      ``gen:site``, since section titles are in every page's navigation;
    - any move: the page, ``gen:site`` and ``gen:lists``, since a move changes addresses below
      the moved page;
    - a ``Site`` or a view restriction saved or deleted, new ones included: ``gen:site``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin

from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from dateline.server import pagecache

logger = logging.getLogger(__name__)

FEED_PATHS = ("feed/rss/", "feed/atom/")

# Page classes whose changes an app handles itself, with how (``on_page_change``).
_page_changes: dict[type[Page], Callable[[Page], None]] = {}


def frontend_cache_enabled() -> bool:
    return bool(getattr(settings, "WAGTAILFRONTENDCACHE", None))


def purge(urls: Iterable[str]) -> None:
    """Hand the URLs to Wagtail's frontend cache (a background task purges them); nothing
    without a CDN configured."""
    if not frontend_cache_enabled():
        return
    from wagtail.contrib.frontend_cache.utils import PurgeBatch

    batch = PurgeBatch(urls=[u for u in urls if u])
    try:
        batch.purge()
    except Exception:  # a CDN outage must not stop a publish
        logger.exception("frontend cache: could not queue the purge of %s", sorted(batch.urls))


def site_url(path: str) -> str:
    """The public URL of a path of the site (``reverse()``'s answer)."""
    return urljoin(settings.BASE_URL + "/", path.lstrip("/"))


def page_urls(page: Page, *, lists: bool) -> list[str]:
    """The page's public URL and, when it ``lists`` others, its feeds'."""
    url = page.get_full_url()
    if not url:
        return []
    urls = [url]
    if lists:
        urls += [url + p for p in FEED_PATHS]
    return urls


def site_changed() -> None:
    pagecache.bump(pagecache.GEN_SITE)


def page_changed(page: Page) -> None:
    """A page was published, unpublished or deleted: what its class registered, or else the
    page and the site (navigation) are stale, and on a CDN the page, its ancestors and their
    feeds."""
    specific_class = page.specific_class or type(page)
    for model, changed in _page_changes.items():
        if issubclass(specific_class, model):
            changed(page)
            return
    pagecache.bump(pagecache.page_gen(page.pk), pagecache.GEN_SITE)
    if frontend_cache_enabled():
        ancestors = [
            a.specific_deferred for a in Page.objects.ancestor_of(page).filter(depth__gt=1)
        ]
        urls = page_urls(page.specific_deferred, lists=True)
        for ancestor in ancestors:
            urls += page_urls(ancestor, lists=True)
        purge(urls)


# Registries -------------------------------------------------------------------------------------


def on_page_change(model: type[Page], changed: Callable[[Page], None]) -> None:
    """A page of ``model`` (or a subclass) published, unpublished or deleted calls
    ``changed(page)`` instead of the default (``page_changed``). Called from an app's
    ``ready()``."""
    _page_changes[model] = changed


def on_change(*models: type[Model], then: Callable[[Any], None], new_rows: bool = False) -> None:
    """Call ``then(instance)`` after every save and every delete of a row of ``models``.
    Fixture loading (``raw``) is skipped, and so is a row's first save unless ``new_rows``:
    a new row is usually on no page yet (a tag, an author, settings created with their
    defaults on a site's first request). Called from an app's ``ready()``."""

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        if kwargs.get("raw") or (kwargs.get("created") and not new_rows):
            return
        then(instance)

    for model in models:
        uid = f"dateline-invalidation:{model._meta.label}:{then.__module__}.{then.__qualname__}"
        # Kept alive by the signal (weak=False): the receiver is a closure made here.
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=uid + ":delete")


def _site_changed_by(instance: Any) -> None:
    site_changed()


def bump_site_on_change(*models: type[Model], new_rows: bool = False) -> None:
    """Every save and delete of these models' rows bumps ``gen:site`` (see ``on_change`` for
    which saves count). Called from an app's ``ready()``."""
    on_change(*models, then=_site_changed_by, new_rows=new_rows)


# Wagtail's page signals ------------------------------------------------------------------------


def _on_published(sender: Any, instance: Page, **kwargs: Any) -> None:
    page_changed(instance)


def _on_unpublished(sender: Any, instance: Page, **kwargs: Any) -> None:
    page_changed(instance)


def _on_deleted(sender: Any, instance: Page, **kwargs: Any) -> None:
    page_changed(instance)


def _page_rows_changed(instance: Page) -> None:
    pagecache.bump(pagecache.page_rows_gen(instance.pk))


def _on_moved(
    sender: Any, instance: Page, url_path_before: str, url_path_after: str, **kwargs: Any
) -> None:
    pagecache.bump(pagecache.page_gen(instance.pk), pagecache.GEN_SITE, pagecache.GEN_LISTS)
    if frontend_cache_enabled() and url_path_before != url_path_after:
        # Every address at and below the old place, and the lists at both places.
        urls = [_page_url_for_path(url_path_before), _page_url_for_path(url_path_after)]
        for page in Page.objects.descendant_of(instance).live().only("url_path"):
            urls.append(_page_url_for_path(url_path_before + page.url_path[len(url_path_after) :]))
        for parent in (kwargs.get("parent_page_before"), kwargs.get("parent_page_after")):
            if parent is not None:
                for ancestor in Page.objects.ancestor_of(parent, inclusive=True).filter(
                    depth__gt=1
                ):
                    urls += page_urls(ancestor.specific_deferred, lists=True)
        purge(u for u in urls if u)


def _page_url_for_path(url_path: str) -> str:
    """The public URL a page had at ``url_path`` (Wagtail's url_path starts with the site's
    root page, e.g. ``/front-page/world/story/``)."""
    for root_path, root_url in ((rp.root_path, rp.root_url) for rp in Site.get_site_root_paths()):
        if url_path.startswith(root_path):
            return root_url + "/" + url_path[len(root_path) :]
    return ""


def _on_slug_changed(sender: Any, instance: Page, instance_before: Page, **kwargs: Any) -> None:
    # The old address must leave the CDN too; locally the publish already bumped the page.
    if frontend_cache_enabled():
        purge([instance_before.get_full_url()])


def connect() -> None:
    """Called once from ``ServerConfig.ready``: Wagtail's page signals for every page model,
    and the Wagtail rows every page depends on."""
    page_models = [m for m in apps.get_models() if issubclass(m, Page)]
    for model in page_models:
        page_published.connect(_on_published, sender=model, dispatch_uid="pagecache-published")
        page_unpublished.connect(
            _on_unpublished, sender=model, dispatch_uid="pagecache-unpublished"
        )
        post_page_move.connect(_on_moved, sender=model, dispatch_uid="pagecache-moved")
        page_slug_changed.connect(
            _on_slug_changed, sender=model, dispatch_uid="pagecache-slug-changed"
        )
    # Any save or delete of a page's row, published or not (publishing and unpublishing save
    # the page; so do drafts, importers and scripts): the page's own rows' counter.
    on_change(*page_models, then=_page_rows_changed)
    # Tree deletes go through the base class; connecting per model keeps Django's fast
    # deletes for every other model.
    pre_delete.connect(_on_deleted, sender=Page, dispatch_uid="pagecache-deleted")
    # A new Site is not skipped: a host served so far by the default site must get its own
    # from the next request (siteconfig keeps a snapshot per host). A new view restriction
    # makes public pages private.
    bump_site_on_change(Site, PageViewRestriction, new_rows=True)
