"""Reads for the importers: which section a story goes to, which author a byline names, which
story an address of the old site (a Disqus thread's link) was."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, Site
from wagtail.permissions import page_permission_policy

from dateline.importers.models import ImportedItem
from dateline.newsroom.models import ArticlePage, Author, HomePage, SectionPage


class SectionNotFound(LookupError):
    """No section, or more than one, answers to what the user asked for; the message says
    which sections there are."""


def default_section() -> SectionPage:
    """The first section under the default site's home page, in the order editors see."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = site.root_page.specific if site else None
    section = (
        SectionPage.objects.child_of(home).order_by("path").first()
        if isinstance(home, HomePage)
        else None
    )
    if section is None:
        raise SectionNotFound(
            _("There is no section to import into yet: create one in the admin first.")
        )
    return section


def find_section(*, ref: str) -> SectionPage:
    """A section by its slug, or by the end of its path (``world/sport``) when slugs repeat in
    different parts of the tree."""
    ref = ref.strip().strip("/")
    matches = list(SectionPage.objects.filter(url_path__endswith=f"/{ref}/").order_by("path"))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise SectionNotFound(
            _('Several sections answer to "%(ref)s": %(paths)s. Give more of the path.')
            % {"ref": ref, "paths": ", ".join(section_path(s) for s in matches)}
        )
    known = ", ".join(section_path(s) for s in SectionPage.objects.order_by("path")) or "-"
    raise SectionNotFound(
        _('There is no section "%(ref)s". Sections: %(known)s.') % {"ref": ref, "known": known}
    )


def section_path(section: Page) -> str:
    """Where a section sits, as editors type it: ``world`` or ``world/sport``."""
    # url_path starts with the home page's own slug, which readers and editors never type.
    return "/".join(section.url_path.strip("/").split("/")[1:])


def importable_sections(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[SectionPage]:
    """Sections where the user may add articles, in tree order."""
    addable = page_permission_policy.instances_user_has_permission_for(user, "add")
    candidates = SectionPage.objects.filter(pk__in=addable.values("pk"))
    allowed = [s.pk for s in candidates if s.permissions_for_user(user).can_add_subpage()]
    return SectionPage.objects.filter(pk__in=allowed).order_by("path")


def match_author(*, name: str) -> Author | None:
    """The staff author a byline names: same name ignoring case and spacing. Compared in Python
    because SQLite only folds the case of ASCII letters, and the staff list is short."""
    wanted = _name_key(name)
    for author in Author.objects.only("pk", "name", "slug").order_by("pk"):
        if _name_key(author.name) == wanted:
            return author
    return None


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


# Which story an old address was --------------------------------------------------------------

# The identifier WordPress's Disqus plugin gives a post's thread: "123 http://site/?p=123".
_WORDPRESS_IDENTIFIER = re.compile(r"^\s*(\d+)\s+(https?://\S+)\s*$")


@dataclass(frozen=True)
class StoryMatch:
    """The story an address (or identifier) names, and how it was found: ``identifier`` (the
    WordPress post an import made it from), ``path`` (its address now) or ``redirect`` (an
    old address that redirects to it)."""

    article: ArticlePage
    how: str


def story_for_address(*, link: str, identifier: str = "") -> StoryMatch | None:
    """The story a page of the old site was, or None. In this order: an identifier in the form
    WordPress's Disqus plugin writes (``123 http://site/?p=123``) names the WordPress post an
    import made the story from; the link's path is a live story's address here, whatever the
    host (a site that moved to a new domain still matches); the link (with its query, then
    without) is an old address a redirect sends to a story (a WordPress import adds one for
    every permalink and ``?p=``)."""
    wp = _WORDPRESS_IDENTIFIER.match(identifier or "")
    if wp:
        article = _imported_wordpress_post(wp.group(1), host=_host(wp.group(2)))
        if article is not None:
            return StoryMatch(article, "identifier")
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    if not parts.path:
        return None
    article = _live_story_at(unquote(parts.path), host=_host(link))
    if article is not None:
        return StoryMatch(article, "path")
    article = _redirected_story(link.strip())
    if article is not None:
        return StoryMatch(article, "redirect")
    return None


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def _imported_wordpress_post(wp_id: str, *, host: str) -> ArticlePage | None:
    """The story a WordPress import made from post ``wp_id``. When several WordPress sites were
    imported and more than one had that id, the one at ``host``; else none (ambiguous)."""
    rows = list(
        ImportedItem.objects.filter(
            source__startswith="wordpress:",
            kind=ImportedItem.Kind.POST,
            source_id=wp_id,
            object_id__isnull=False,
        ).values_list("source", "object_id")
    )
    if len({object_id for _source, object_id in rows}) > 1:
        rows = [(s, o) for s, o in rows if host and s.removeprefix("wordpress:").startswith(host)]
    ids = {object_id for _source, object_id in rows}
    if len(ids) != 1:
        return None
    return ArticlePage.objects.filter(pk=ids.pop()).first()


def _live_story_at(path: str, *, host: str) -> ArticlePage | None:
    """The live story at ``path`` under a site's home page: the site answering at ``host``
    first, then the default site, then any other."""
    path = "/" + path.strip("/") + "/"
    if path == "/":
        return None
    sites = sorted(
        Site.objects.select_related("root_page").only("hostname", "is_default_site", "root_page"),
        key=lambda site: (site.hostname.removeprefix("www.") != host, not site.is_default_site),
    )
    candidates = [site.root_page.url_path.rstrip("/") + path for site in sites]
    found = {a.url_path: a for a in ArticlePage.objects.live().filter(url_path__in=candidates)}
    return next((found[c] for c in candidates if c in found), None)


def _redirected_story(link: str) -> ArticlePage | None:
    """The story a redirect from this old address (with its query, then without) sends to."""
    paths: list[str] = []
    for url in (link, link.split("?", 1)[0].split("#", 1)[0]):
        for decode in (True, False):
            path = Redirect.normalise_path(url, decode_unicode=decode)
            if path != "/" and path not in paths:
                paths.append(path)
    redirects = {
        r.old_path: r.redirect_page_id
        for r in Redirect.objects.filter(old_path__in=paths, redirect_page__isnull=False)
    }
    for path in paths:
        if path in redirects:
            article = ArticlePage.objects.filter(pk=redirects[path]).first()
            if article is not None:
                return article
    return None
