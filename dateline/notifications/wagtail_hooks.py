"""Failed emails in the Wagtail admin: the messages the worker gave up on, why, and a button
to send each one again."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from wagtail import hooks
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from dateline.notifications import actions, delivery
from dateline.notifications.models import OutboundMessage

RETRY_URL_NAME = "notifications_failed_retry"
VIEWSET_NAME = "failed_emails"


def can_retry(user: Any) -> bool:
    return bool(user.has_perm("notifications.change_outboundmessage"))


class FailedMessageIndexView(IndexView):
    page_title = gettext_lazy("Failed emails")

    def get_base_queryset(self) -> Any:
        return super().get_base_queryset().filter(status=OutboundMessage.Status.FAILED)

    def get_add_url(self) -> None:
        return None

    def get_edit_url(self, instance: OutboundMessage) -> str | None:
        return self.get_inspect_url(instance)

    def get_list_more_buttons(self, instance: OutboundMessage) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        if can_retry(self.request.user) and actions.can_be_retried(instance):
            buttons.insert(
                0,
                Button(
                    _("Retry"),
                    url=reverse(RETRY_URL_NAME, args=[instance.pk]),
                    icon_name="resubmit",
                    priority=5,
                ),
            )
        return buttons


class OutboundMessageInspectView(InspectView):
    def get_fields_context(self) -> list[Any]:
        fields = self.fields
        if self.object.category == OutboundMessage.Category.EMAIL_LINK:
            fields = [name for name in fields if name not in delivery.LINK_BODY_FIELDS]
        return [self.get_context_for_field(name) for name in fields]


class OutboundMessageViewSet(ModelViewSet):
    """Read-only apart from retrying (and deleting) — the outbox is written by code."""

    model = OutboundMessage
    index_view_class = FailedMessageIndexView
    inspect_view_class = OutboundMessageInspectView
    icon = "mail"
    menu_label = gettext_lazy("Failed emails")
    menu_order = 900
    add_to_admin_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = ["recipient", "subject", "category", "attempts", "last_error", "created_at"]
    search_fields = ["recipient", "subject"]
    list_filter = ["category"]
    inspect_view_fields = [
        "recipient",
        "subject",
        "category",
        "status",
        "attempts",
        "last_error",
        "message_id",
        "created_at",
        "sent_at",
        "text",
    ]
    form_fields = ["recipient"]  # never used: the add and edit views are not routed

    def get_common_view_kwargs(self, **kwargs: Any) -> Any:
        return super().get_common_view_kwargs(
            **{"add_url_name": None, "edit_url_name": None, **kwargs}
        )

    def get_urlpatterns(self) -> list[Any]:
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if getattr(pattern, "name", None) not in {"add", "edit", "copy"}
        ]

    def register_admin_url_finder(self) -> None:
        # There is no edit view for the admin's "edit this object" links to point to.
        return None


@require_http_methods(["GET", "POST"])
def retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks, POST puts the message back in the queue (same Message-ID)."""
    if not can_retry(request.user):
        raise PermissionDenied
    message = get_object_or_404(OutboundMessage, pk=pk)
    index_url = reverse(f"{VIEWSET_NAME}:index")
    if not actions.can_be_retried(message):
        messages.warning(
            request,
            _(
                "An email confirmation link cannot be sent again: its reader can ask for a new"
                " one from the comment form."
            ),
        )
        return HttpResponseRedirect(index_url)
    if request.method == "POST":
        if actions.retry_message(message=message):
            messages.success(
                request,
                _("The email to %(recipient)s is queued again.") % {"recipient": message.recipient},
            )
        else:
            messages.warning(request, _("That email is not waiting for a retry any more."))
        return HttpResponseRedirect(index_url)
    return TemplateResponse(
        request,
        "notifications/admin/retry.html",
        {"message": message, "index_url": index_url},
    )


@hooks.register("register_admin_viewset")
def register_outbox_viewset() -> OutboundMessageViewSet:
    return OutboundMessageViewSet(VIEWSET_NAME, url_prefix="failed-emails")


@hooks.register("register_admin_urls")
def register_admin_urls() -> list[URLPattern]:
    return [path("failed-emails/<int:pk>/retry/", retry_view, name=RETRY_URL_NAME)]
