"""Writes for the newsroom: every way code (importers, demo content, tests) creates or changes
articles goes through these functions, so the rules live in one place."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import get_resolver
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.images.models import Image
from wagtail.log_actions import log
from wagtail.models import Collection, Locale, Page, PageViewRestriction, Site
from wagtail.signals import page_published, published

from dateline.newsroom.models import (
    ArticleByline,
    ArticleCorrection,
    ArticlePage,
    Author,
    HomePage,
    SectionPage,
    StandardPage,
)


@dataclass(frozen=True)
class Block:
    """One body block: ``Block("paragraph", "<p>…</p>")`` or ``Block("quote", {...})``."""

    type: str
    value: Any


def unique_child_slug(*, parent: Page, title: str, exclude: Page | None = None) -> str:
    base = slugify(title, allow_unicode=True)[:70].strip("-") or "story"
    siblings = parent.get_children()
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    taken = set(siblings.filter(slug__startswith=base).values_list("slug", flat=True))
    top_level = isinstance(parent.specific_deferred, HomePage)
    slug, n = base, 2
    while slug in taken or slug in {"feed"} or (top_level and answered_by_the_site(slug)):
        slug, n = f"{base}-{n}", n + 1
    return slug


def answered_by_the_site(slug: str) -> bool:
    """Whether ``/<slug>/`` belongs to something other than pages (the admin, media files,
    the comments' API…): a section or page there could never be reached, or its stories
    would shadow the site's own addresses."""
    return slug in _reserved_first_segments()


@functools.cache
def _reserved_first_segments() -> frozenset[str]:
    """The first path segment of every address the URLconf answers itself (and the static
    and media prefixes), read from the URLconf so that a new app's addresses count too."""
    found = {
        settings.STATIC_URL.strip("/").split("/")[0],
        settings.MEDIA_URL.strip("/").split("/")[0],
    }

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern).lstrip("^")
            first = re.split(r"[/<(\\[$?]", route, maxsplit=1)[0]
            if first:
                found.add(first)
            elif hasattr(entry, "url_patterns"):
                walk(entry.url_patterns, route)

    walk(get_resolver().url_patterns, "")
    return frozenset(found - {""})


def _public_address() -> tuple[str, int]:
    """The Wagtail site's hostname and port from ``DATELINE_BASE_URL``: Wagtail builds every
    absolute page address (canonical links, feeds, sitemap) from the site record."""
    base = urlsplit(settings.BASE_URL)
    return base.hostname or "localhost", base.port or (443 if base.scheme == "https" else 80)


def _recreate_wagtail_roots() -> Page:
    """Wagtail's migrations create the default locale and the roots of the page and collection
    trees; ``dateline flush`` (and a transactional test's clean-up) deletes them with the rest."""
    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    return Page.add_root(title="Root", slug="root")


@transaction.atomic
def ensure_home_page(*, site_name: str = "Dateline") -> HomePage:
    """The site's front page: the default Wagtail site is pointed at a HomePage, created once."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site and isinstance(site.root_page.specific, HomePage):
        return site.root_page.specific
    root = Page.get_first_root_node() or _recreate_wagtail_roots()
    home = HomePage(title=site_name, slug="front-page", intro="")
    root.add_child(instance=home)
    home.save_revision().publish()
    if site:
        old_root = site.root_page
        site.root_page = home
        site.site_name = site_name
        site.hostname, site.port = _public_address()
        site.save()
        # Wagtail's placeholder "Welcome" page is of no use to a newsroom.
        if old_root.specific_class is Page and old_root.slug == "home":
            old_root.delete()
    else:
        hostname, port = _public_address()
        Site.objects.create(
            hostname=hostname, port=port, root_page=home, is_default_site=True, site_name=site_name
        )
    return home


def create_section(
    *, parent: Page, title: str, description: str = "", slug: str = ""
) -> SectionPage:
    section = SectionPage(
        title=title,
        description=description[:500],
        slug=unique_child_slug(parent=parent, title=slug or title),
    )
    parent.add_child(instance=section)
    section.save_revision().publish()
    return section


def get_or_create_author(
    *, name: str, role: str = "", bio: str = "", photo: Image | None = None
) -> Author:
    existing = Author.objects.filter(name__iexact=name.strip()).first()
    if existing:
        return existing
    base = slugify(name, allow_unicode=True) or "author"
    slug, n = base, 2
    while Author.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Author.objects.create(name=name.strip(), slug=slug, role=role, bio=bio, photo=photo)


def _apply_article_fields(
    article: ArticlePage,
    *,
    title: str,
    standfirst: str,
    dateline_place: str,
    dateline_source: str,
    published_at: datetime.datetime | None,
    body: Sequence[Block],
    bylines: Sequence[Author | str],
    tags: Sequence[str | Tag],
    lead_image: Image | None,
    lead_image_caption: str,
    lead_image_credit: str,
    language: str,
    comments_enabled: bool | None = None,
) -> None:
    article.title = title
    article.draft_title = title
    article.standfirst = standfirst
    article.dateline_place = dateline_place
    article.dateline_source = dateline_source
    article.published_at = published_at
    article.body = [(block.type, block.value) for block in body]
    article.lead_image = lead_image
    article.lead_image_caption = lead_image_caption
    article.lead_image_credit = lead_image_credit
    article.language = language
    if comments_enabled is not None:
        article.comments_enabled = comments_enabled
    # sort_order is set here because only the admin's inline forms fill it in: left empty, the
    # bylines' order would be whatever the database returns.
    article.bylines = [
        ArticleByline(author=b, guest_name="", sort_order=n)
        if isinstance(b, Author)
        else ArticleByline(author=None, guest_name=b, sort_order=n)
        for n, b in enumerate(bylines)
    ]
    article.tags.set(list(tags))


@transaction.atomic
def create_article(
    *,
    section: SectionPage,
    title: str,
    body: Sequence[Block],
    bylines: Sequence[Author | str] = (),
    standfirst: str = "",
    dateline_place: str = "",
    dateline_source: str = "",
    published_at: datetime.datetime | None = None,
    tags: Sequence[str | Tag] = (),
    lead_image: Image | None = None,
    lead_image_caption: str = "",
    lead_image_credit: str = "",
    language: str = "",
    wire_key: str = "",
    slug: str = "",
    comments_enabled: bool = True,
    publish: bool = False,
    user: AbstractBaseUser | None = None,
) -> ArticlePage:
    """Create an article as a draft revision, and publish it when asked. ``slug`` (an
    import's own) is used when free under the section, else made unique from it."""
    article = ArticlePage(
        slug=unique_child_slug(parent=section, title=slug or title),
        live=False,
        wire_key=wire_key,
        owner=user,
    )
    _apply_article_fields(
        article,
        title=title,
        standfirst=standfirst,
        dateline_place=dateline_place,
        dateline_source=dateline_source,
        published_at=published_at,
        body=body,
        bylines=bylines,
        tags=tags,
        lead_image=lead_image,
        lead_image_caption=lead_image_caption,
        lead_image_credit=lead_image_credit,
        language=language or settings.LANGUAGE_CODE,
        comments_enabled=comments_enabled,
    )
    section.add_child(instance=article)
    revision = article.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
        article.refresh_from_db()
    return article


@transaction.atomic
def update_article(
    *,
    article: ArticlePage,
    title: str,
    body: Sequence[Block],
    bylines: Sequence[Author | str] = (),
    standfirst: str = "",
    dateline_place: str = "",
    dateline_source: str = "",
    published_at: datetime.datetime | None = None,
    tags: Sequence[str | Tag] = (),
    lead_image: Image | None = None,
    lead_image_caption: str = "",
    lead_image_credit: str = "",
    language: str = "",
    comments_enabled: bool | None = None,
    publish: bool = False,
    user: AbstractBaseUser | None = None,
) -> ArticlePage:
    """Save a new revision of an article (``comments_enabled`` None: as it was). A live article stays as readers know it until the
    revision is published (``publish=True`` or an editor in the admin)."""
    draft = article.get_latest_revision_as_object()
    _apply_article_fields(
        draft,
        title=title,
        standfirst=standfirst,
        dateline_place=dateline_place,
        dateline_source=dateline_source,
        published_at=published_at,
        body=body,
        bylines=bylines,
        tags=tags,
        lead_image=lead_image,
        lead_image_caption=lead_image_caption,
        lead_image_credit=lead_image_credit,
        language=language or article.language,
        comments_enabled=comments_enabled,
    )
    revision = draft.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
    article.refresh_from_db()
    return article


def publish_article(*, article: ArticlePage, user: AbstractBaseUser | None = None) -> ArticlePage:
    revision = article.get_latest_revision() or article.save_revision(user=user)
    revision.publish(user=user)
    article.refresh_from_db()
    return article


@transaction.atomic
def add_correction(
    *,
    article: ArticlePage,
    text: str,
    kind: str = ArticleCorrection.Kind.CORRECTION,
    noted_at: datetime.datetime | None = None,
    user: AbstractBaseUser | None = None,
) -> ArticlePage:
    """Log a correction or update and republish, so it shows on the page at once and stays in
    the page's revision history (a later publish from the admin keeps it)."""
    draft = article.get_latest_revision_as_object()
    entry = ArticleCorrection(kind=kind, text=text)
    if noted_at is not None:
        entry.noted_at = noted_at
    draft.corrections.add(entry)
    draft.save_revision(user=user, log_action=True).publish(user=user)
    article.refresh_from_db()
    return article


# Plain pages ------------------------------------------------------------------------------


@transaction.atomic
def create_page(
    *, parent: Page, title: str, body: Sequence[Block], slug: str = "", search_description: str = ""
) -> StandardPage:
    """Create a plain page (about us, contact…) as a draft revision."""
    page = StandardPage(
        title=title,
        slug=unique_child_slug(parent=parent, title=slug or title),
        live=False,
        body=[(block.type, block.value) for block in body],
        search_description=search_description,
    )
    parent.add_child(instance=page)
    page.save_revision(log_action=True)
    return page


@transaction.atomic
def update_page(
    *, page: StandardPage, title: str, body: Sequence[Block], search_description: str = ""
) -> StandardPage:
    """Save a new revision of a plain page; readers see it once it is published."""
    draft = page.get_latest_revision_as_object()
    draft.title = draft.draft_title = title
    draft.body = [(block.type, block.value) for block in body]
    draft.search_description = search_description
    draft.save_revision(log_action=True)
    page.refresh_from_db()
    return page


# Publication of imported pages -------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """How a page should stand: ``live`` since ``at`` (an archive's own time, so it is not
    "updated" today), ``scheduled`` to go live at ``at``, or a ``draft``. ``password``:
    readers must give it (Wagtail's password restriction); ``private``: only people signed in
    to the admin may read it."""

    state: str  # "live", "scheduled" or "draft"
    at: datetime.datetime | None = None
    password: str = ""
    private: bool = False


@transaction.atomic
def set_publication(*, page: Page, publication: Publication) -> None:
    """Bring the page's latest revision to ``publication``: published at its own time,
    scheduled, or unpublished, behind a password or not. Restrictions are set before the page
    goes live, so there is no moment in which a protected page is public."""
    _set_restriction(page, password=publication.password, private=publication.private)
    specific = page.specific
    latest = specific.latest_revision
    if publication.state == "live" and _row_is_latest_revision(specific):
        _publish_as_saved(specific, at=publication.at or timezone.now())
    elif publication.state == "live":
        at = publication.at or timezone.now()
        if latest is None or latest.content.get("go_live_at"):
            draft = specific.get_latest_revision_as_object()
            draft.go_live_at = None
            latest = draft.save_revision()
        # The revision just written holds the content: publishing it makes no second one.
        latest.publish()
        # Wagtail stamps the moment of publishing; an archive item was last published then.
        Page.objects.filter(pk=page.pk).update(first_published_at=at, last_published_at=at)
    elif publication.state == "scheduled":
        draft = specific.get_latest_revision_as_object()
        draft.go_live_at = publication.at
        draft.save_revision().publish()  # with go_live_at ahead, Wagtail only schedules it
    elif specific.live:
        specific.unpublish()
    page.refresh_from_db()


def _row_is_latest_revision(page: Page) -> bool:
    """Whether the page's own row holds what its latest revision does: a page created
    (``create_article``, ``create_page``) and never published or edited since (submitting
    it to a workflow would have saved a second revision)."""
    return (
        not page.live
        and page.live_revision_id is None
        and page.latest_revision_id is not None
        and not page.go_live_at
        and not page.revisions.exclude(pk=page.latest_revision_id).exists()
    )


def _publish_as_saved(page: Page, *, at: datetime.datetime) -> None:
    """Publish a page whose row already holds its latest revision, as Wagtail's publish
    would, less what a new page does not need: rebuilding the page from the revision and
    saving it and all its parts again (for an archive of thousands of stories, the largest
    part of an import's time)."""
    page.live, page.expired, page.has_unpublished_changes = True, False, False
    page.live_revision_id = page.latest_revision_id
    page.first_published_at = page.last_published_at = at
    fields = ["live", "expired", "has_unpublished_changes", "live_revision", "first_published_at",
              "last_published_at"]  # fmt: skip
    page.save(clean=False, update_fields=fields)
    revision = page.latest_revision
    page_published.send(sender=type(page), instance=page, revision=revision)
    published.send(sender=type(page), instance=page, revision=revision)
    page.update_aliases(revision=revision, _content=revision.content)
    log(instance=page, action="wagtail.publish", revision=revision, content_changed=True)


def _set_restriction(page: Page, *, password: str, private: bool) -> None:
    existing = PageViewRestriction.objects.filter(page=page)
    if password:
        wanted = {"restriction_type": PageViewRestriction.PASSWORD, "password": password}
    elif private:
        wanted = {"restriction_type": PageViewRestriction.LOGIN, "password": ""}
    else:
        existing.delete()
        return
    current = existing.first()
    if current is None:
        PageViewRestriction.objects.create(page=page, **wanted)
    elif any(getattr(current, k) != v for k, v in wanted.items()):
        for k, v in wanted.items():
            setattr(current, k, v)
        current.save()
