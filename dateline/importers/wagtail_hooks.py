"""The wire-copy upload page in the Wagtail admin, and its menu item."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import page_permission_policy

from dateline.importers import runs, views


@hooks.register("register_admin_urls")
def register_admin_urls() -> list[URLPattern]:
    # Wagtail wraps these in its admin-access check (login and "access admin").
    return [
        path("import-text/", views.upload, name="dateline_import_text"),
        path("import-site/", views.site_import, name="dateline_import_site"),
        path("import-site/<int:pk>/", views.import_run, name="dateline_import_run"),
        path(
            "import-site/<int:pk>/report.<str:kind>",
            views.import_report,
            name="dateline_import_report",
        ),
        path("import-site/<int:pk>/again/", views.import_again, name="dateline_import_again"),
        path(
            "import-site/<int:pk>/delete-file/",
            views.import_delete_file,
            name="dateline_import_delete_file",
        ),
    ]


class ImportMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return bool(page_permission_policy.user_has_permission(request.user, "add"))


@hooks.register("register_admin_menu_item")
def register_import_menu_item() -> MenuItem:
    return ImportMenuItem(
        _("Import wire copy"),
        reverse("dateline_import_text"),
        name="import-wire-copy",
        icon_name="upload",
        order=250,
    )


class SiteImportMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return runs.may_import(request.user)


@hooks.register("register_admin_menu_item")
def register_site_import_menu_item() -> MenuItem:
    return SiteImportMenuItem(
        _("Import a site"),
        reverse("dateline_import_site"),
        name="import-site",
        icon_name="download",
        order=251,
    )
