"""The discussion in the Wagtail admin: the "Comments" menu item (with how many comments are
waiting), the moderation queue, bans, and the commenter chooser used by the ban form."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.permissions import register_permission_policy

from dateline.discussion import admin_views
from dateline.discussion.models import Mention


@hooks.register("register_admin_urls")
def register_admin_urls() -> list[URLPattern | URLResolver]:
    # Wagtail wraps these in its admin-access check (signed in, "access admin"); each view
    # then checks the moderator permission itself.
    comment_urls = [
        path("", admin_views.queue_view, name="index"),
        path("results/", admin_views.queue_results_view, name="index_results"),
        path("moderate/", admin_views.moderate, name="moderate"),
        path("<int:pk>/edit/", admin_views.edit_view, name="edit"),
        path("<int:pk>/ban/", admin_views.ban_author_view, name="ban"),
    ]
    return [path("discussion/comments/", include((comment_urls, "discussion_comments")))]


@hooks.register("register_admin_viewset")
def register_ban_viewset() -> admin_views.BanViewSet:
    return admin_views.BanViewSet()


register_permission_policy(Mention, admin_views.MentionPermissionPolicy(Mention))


@hooks.register("register_admin_viewset")
def register_mention_viewset() -> admin_views.MentionViewSet:
    return admin_views.MentionViewSet()


@hooks.register("register_admin_viewset")
def register_commenter_chooser() -> admin_views.CommenterChooserViewSet:
    return admin_views.CommenterChooserViewSet()


class CommentsMenuItem(MenuItem):
    """Shows how many comments are waiting, counted afresh on each admin page (one indexed
    COUNT), so a moderator sees new work without opening the queue."""

    def is_shown(self, request: HttpRequest) -> bool:
        return admin_views.can_moderate(request.user)

    def render_component(self, request: HttpRequest) -> LinkMenuItem:
        waiting = admin_views.waiting_count(request)
        label = _("Comments (%(count)d waiting)") % {"count": waiting} if waiting else _("Comments")
        return LinkMenuItem(
            self.name,
            label,
            self.url,
            icon_name=self.icon_name,
            classname=self.classname,
            attrs={**self.attrs, "data-waiting": str(waiting)},
        )


@hooks.register("register_admin_menu_item")
def register_comments_menu_item() -> MenuItem:
    return CommentsMenuItem(
        gettext_lazy("Comments"),
        reverse("discussion_comments:index"),
        name="comments",
        icon_name="comment",
        order=260,
    )
