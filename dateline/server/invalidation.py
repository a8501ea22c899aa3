"""What a change invalidates: the page cache's generation numbers (``pagecache.bump``) and, when
a CDN is configured, the URLs Wagtail's frontend cache purges.

Why signals and not Wagtail hooks: ``after_publish_page``, ``after_move_page`` and friends run
only in the admin's views, while pages are also published by scheduled publishing in the
worker, by the wire importer and by ``dateline.newsroom.actions``. Wagtail sends
``page_published``/``page_unpublished`` from the publish and unpublish actions themselves, and
``post_page_move`` from the move action, whoever calls them; ``pre_delete`` fires for every page
of a deleted subtree (Wagtail also unpublishes each live one on its way out, which sends
``page_unpublished``). Comments are invalidated by an explicit call from
``dateline.discussion.actions`` where their visibility changes.

What each change bumps
    - a story (``ArticlePage``): the story, its ancestors (section pages, home page) and
      ``gen:lists`` — every page that lists stories: sections, home, author and tag pages,
      feeds and the sitemap;
    - any other page (section, home) and any move: ``gen:site``, since section titles are in
      every page's navigation and a move changes addresses below the moved page;
    - site settings (newsroom, discussion, identity), authors, tags, view restrictions,
      sign-in providers configured in the admin: ``gen:site``;
    - a comment becoming visible, hidden or edited: the story and its thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_delete
from django.urls import reverse
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from dateline.server import pagecache

logger = logging.getLogger(__name__)

FEED_PATHS = ("feed/rss/", "feed/atom/")


def frontend_cache_enabled() -> bool:
    return bool(getattr(settings, "WAGTAILFRONTENDCACHE", None))


def _purge(urls: Iterable[str]) -> None:
    """Hand the URLs to Wagtail's frontend cache (a background task purges them)."""
    if not frontend_cache_enabled():
        return
    from wagtail.contrib.frontend_cache.utils import PurgeBatch

    batch = PurgeBatch(urls=[u for u in urls if u])
    try:
        batch.purge()
    except Exception:  # a CDN outage must not stop a publish
        logger.exception("frontend cache: could not queue the purge of %s", sorted(batch.urls))


def _site_url(path: str) -> str:
    return urljoin(settings.BASE_URL + "/", path.lstrip("/"))


def _page_urls(page: Page, *, lists: bool) -> list[str]:
    url = page.get_full_url()
    if not url:
        return []
    urls = [url]
    if lists:
        urls += [url + p for p in FEED_PATHS]
    return urls


def _article_purge_urls(article: Any, ancestors: list[Page]) -> list[str]:
    from dateline.newsroom.models import ArticleByline, ArticleTag

    urls = _page_urls(article, lists=False)
    for ancestor in ancestors:
        urls += _page_urls(ancestor, lists=True)
    slugs = ArticleByline.objects.filter(page_id=article.pk, author__isnull=False).values_list(
        "author__slug", flat=True
    )
    urls += [_site_url(reverse("newsroom:author", kwargs={"slug": s})) for s in slugs]
    tags = ArticleTag.objects.filter(content_object_id=article.pk).values_list(
        "tag__slug", flat=True
    )
    urls += [_site_url(reverse("newsroom:tag", kwargs={"slug": s})) for s in tags]
    urls += [_site_url(reverse("newsroom:author_index")), _site_url(reverse("sitemap"))]
    return urls


def page_changed(page: Page) -> None:
    from dateline.newsroom.models import ArticlePage

    specific_class = page.specific_class or type(page)
    if issubclass(specific_class, ArticlePage):
        ancestors = list(
            Page.objects.ancestor_of(page).filter(depth__gt=1).only("id", "path", "url_path")
        )
        pagecache.bump(
            pagecache.page_gen(page.pk),
            *(pagecache.page_gen(a.pk) for a in ancestors),
            pagecache.GEN_LISTS,
        )
        if frontend_cache_enabled():
            _purge(_article_purge_urls(page, [a.specific_deferred for a in ancestors]))
    else:
        pagecache.bump(pagecache.page_gen(page.pk), pagecache.GEN_SITE)
        if frontend_cache_enabled():
            ancestors = [
                a.specific_deferred for a in Page.objects.ancestor_of(page).filter(depth__gt=1)
            ]
            urls = _page_urls(page.specific_deferred, lists=True)
            for ancestor in ancestors:
                urls += _page_urls(ancestor, lists=True)
            _purge(urls)


def comment_changed(comment: Any) -> None:
    """A comment became visible or hidden, or its text changed: its story's page and its
    thread are stale. Called by ``dateline.discussion.actions``."""
    from dateline.discussion.models import Comment, Thread

    if Comment.thread.is_cached(comment):
        article_id = comment.thread.article_id
    else:
        article_id = (
            Thread.objects.filter(pk=comment.thread_id).values_list("article_id", flat=True).first()
        )
    names = [pagecache.thread_gen(comment.thread_id)]
    if article_id is not None:
        names.append(pagecache.page_gen(article_id))
    pagecache.bump(*names)
    if article_id is not None and frontend_cache_enabled():
        page = Page.objects.filter(pk=article_id).first()
        if page is not None:
            _purge([page.get_full_url()])


def comments_changed(comment_ids: Iterable[int]) -> None:
    """Many comments changed at once (a deleted identity's comments renamed or removed):
    every thread and story they are on is stale."""
    from dateline.discussion.models import Comment

    rows = (
        Comment.objects.filter(pk__in=list(comment_ids))
        .values_list("thread_id", "thread__article_id")
        .distinct()
    )
    names: list[str] = []
    article_ids: list[int] = []
    for thread_id, article_id in rows:
        names.append(pagecache.thread_gen(thread_id))
        if article_id is not None:
            names.append(pagecache.page_gen(article_id))
            article_ids.append(article_id)
    pagecache.bump(*names)
    if article_ids and frontend_cache_enabled():
        _purge(p.get_full_url() for p in Page.objects.filter(pk__in=article_ids))


def site_changed() -> None:
    pagecache.bump(pagecache.GEN_SITE)


# Signal receivers ----------------------------------------------------------------------------


def _on_published(sender: Any, instance: Page, **kwargs: Any) -> None:
    page_changed(instance)


def _on_unpublished(sender: Any, instance: Page, **kwargs: Any) -> None:
    page_changed(instance)


def _on_deleted(sender: Any, instance: Page, **kwargs: Any) -> None:
    page_changed(instance)


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
                    urls += _page_urls(ancestor.specific_deferred, lists=True)
        _purge(u for u in urls if u)


def _page_url_for_path(url_path: str) -> str:
    """The public URL a page had at ``url_path`` (Wagtail's url_path starts with the site's
    root page, e.g. ``/front-page/world/story/``)."""
    from wagtail.models import Site

    for root_path, root_url in ((rp.root_path, rp.root_url) for rp in Site.get_site_root_paths()):
        if url_path.startswith(root_path):
            return root_url + "/" + url_path[len(root_path) :]
    return ""


def _on_slug_changed(sender: Any, instance: Page, instance_before: Page, **kwargs: Any) -> None:
    # The old address must leave the CDN too; locally the publish already bumped the page.
    if frontend_cache_enabled():
        _purge([instance_before.get_full_url()])


def _on_site_data_saved(sender: Any, **kwargs: Any) -> None:
    # A new tag or author is on no page yet, and settings are created with their defaults on
    # a site's first request. A new Site is not skipped: a host served so far by the default
    # site must get its own from the next request (siteconfig keeps a snapshot per host).
    if kwargs.get("raw"):
        return
    if kwargs.get("created") and sender is not Site:
        return
    site_changed()


def _on_thread_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A thread saved whole (closed, retitled) or deleted: its story's page and fragments, and
    # the story kept for routing, are stale. A new thread shows nothing yet (its first comment
    # bumps when it is shown); counters move by UPDATE and bump with their comments.
    if kwargs.get("raw") or kwargs.get("created"):
        return
    names = [pagecache.thread_gen(instance.pk)]
    if instance.article_id is not None:
        names.append(pagecache.page_gen(instance.article_id))
    pagecache.bump(*names)


def _on_access_changed(sender: Any, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        site_changed()


def connect() -> None:
    """Called once from ``ServerConfig.ready``."""
    from allauth.socialaccount.models import SocialApp
    from django.apps import apps
    from taggit.models import Tag
    from wagtail.models import PageViewRestriction

    from dateline.discussion.models import DiscussionSettings, Thread
    from dateline.identity.models import IdentitySettings
    from dateline.newsroom.models import Author, NewsroomSettings

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
    # Tree deletes go through the base class; connecting per model keeps Django's fast
    # deletes for every other model.
    pre_delete.connect(_on_deleted, sender=Page, dispatch_uid="pagecache-deleted")
    for model in (NewsroomSettings, DiscussionSettings, IdentitySettings, Site, Author, Tag):
        post_save.connect(_on_site_data_saved, sender=model, dispatch_uid="pagecache-site")
        post_delete.connect(_on_site_data_saved, sender=model, dispatch_uid="pagecache-site-del")
    # A new view restriction makes public pages private; a sign-in provider added in the admin
    # adds an icon to every comment form. Both count from their first save.
    post_save.connect(_on_thread_saved, sender=Thread, dispatch_uid="pagecache-thread")
    post_delete.connect(_on_thread_saved, sender=Thread, dispatch_uid="pagecache-thread-del")
    for model in (PageViewRestriction, SocialApp):
        post_save.connect(_on_access_changed, sender=model, dispatch_uid="pagecache-access")
        post_delete.connect(_on_access_changed, sender=model, dispatch_uid="pagecache-access-del")
