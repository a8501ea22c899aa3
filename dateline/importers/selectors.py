"""Reads for the importer: which section a story goes to, which author a byline names."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from wagtail.models import Page, Site
from wagtail.permissions import page_permission_policy

from dateline.newsroom.models import Author, HomePage, SectionPage


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
