"""The editors' side: "Sign-in providers" under Settings, over allauth's ``SocialApp``."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from dateline.identity import provider_check, rights, selectors
from dateline.identity.forms import PROVIDER_CHOICES, SignInProviderForm
from dateline.identity.models import IdentitySettings
from dateline.notifications.models import Subscriber
from dateline.server import invalidation


def _provider_label(app: SocialApp) -> str:
    return str(dict(PROVIDER_CHOICES).get(app.provider, app.provider))


def _described(app: SocialApp) -> dict[str, str]:
    """A provider as the admin's pages list it, with the callback to register at it."""
    return {
        "name": app.name,
        "provider": _provider_label(app),
        "provider_id": app.provider_id or app.provider,
        "callback_url": selectors.callback_url(app),
    }


def _enabled_label(app: SocialApp) -> str:
    return str(_("Yes") if (app.settings or {}).get("enabled", True) is not False else _("No"))


class SignInProviderIndexView(generic.IndexView):
    """The editors' providers, then those the environment configures (read-only), each with
    the exact callback address to register at the provider."""

    template_name = "identity/admin/providers_index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["environment_apps"] = [_described(app) for app in selectors.environment_apps()]
        return context


class DeleteSignInProviderView(generic.DeleteView):
    def delete_action(self) -> None:
        super().delete_action()
        # Every article's comment form shows the provider icons.
        invalidation.site_changed()


class SignInProviderViewSet(ModelViewSet):
    model = SocialApp
    icon = "key"
    menu_label = _("Sign-in providers")
    add_to_settings_menu = True
    name = "sign-in-providers"
    copy_view_enabled = False
    index_view_class = SignInProviderIndexView
    delete_view_class = DeleteSignInProviderView
    list_display = [
        "name",
        Column("provider", label=_("Provider"), accessor=_provider_label),
        Column("provider_id", label=_("Provider id")),
        Column("enabled", label=_("Enabled"), accessor=_enabled_label),
        Column("callback_url", label=_("Callback URL"), accessor=selectors.callback_url),
    ]

    def get_form_class(self, for_update: bool = False) -> Any:
        return SignInProviderForm


@hooks.register("register_admin_viewset")
def register_sign_in_providers() -> SignInProviderViewSet:
    return SignInProviderViewSet()


@require_safe
def check_view(request: HttpRequest) -> HttpResponse:
    """Fetch every OpenID Connect provider's discovery document and keys, and say what was
    found (``provider_check``). Reads only."""
    if not request.user.has_perm("socialaccount.change_socialapp"):
        raise PermissionDenied
    apps = get_adapter().list_apps(request, include_disabled=True)
    results = [
        {
            **_described(app),
            "from_environment": app.pk is None,
            "findings": provider_check.check(app),
        }
        for app in apps
    ]
    return TemplateResponse(request, "identity/admin/providers_check.html", {"results": results})


@hooks.register("register_admin_urls")
def register_check_url() -> list[URLPattern]:
    return [path("sign-in-providers-check/", check_view, name="sign_in_providers_check")]


# "Everything about this email address" (issue #14, point 2) -----------------------------------

READER_DATA_PERMISSION = "discussion.delete_comment"
# What each button does to the address's comments (rights.erase_address's mode).
ERASE_MODES = {
    "anonymise": IdentitySettings.DeletedComments.ANONYMISE,
    "erase": IdentitySettings.DeletedComments.REMOVE,
}
LOG_ACTIONS = {
    "export": "dateline.reader_data.export",
    "anonymise": "dateline.reader_data.anonymise",
    "erase": "dateline.reader_data.erase",
}


def _log_for_address(request: HttpRequest, email: str, what: str, data: dict[str, Any]) -> None:
    """One entry in Wagtail's history per identity (or, without one, the subscriber row), with
    who did it: the rows themselves may be gone a moment later, the entries stay."""
    rows: list[Any] = list(rights.commenters_for(email)) or list(
        Subscriber.objects.filter(email=email)
    )
    for row in rows:
        log(
            instance=row,
            action=LOG_ACTIONS[what],
            user=request.user,
            title=email,
            data={"address": email, **data},
        )


@require_http_methods(["GET", "POST"])
def reader_data_view(request: HttpRequest) -> HttpResponse:
    """What exists about an address, its export, anonymise and erase: the same functions as the
    reader's own link (``rights``), each logged with who did it."""
    if not request.user.has_perm(READER_DATA_PERMISSION):
        raise PermissionDenied
    raw = (request.POST if request.method == "POST" else request.GET).get("email", "").strip()
    email, error = "", ""
    if raw:
        try:
            email = rights.clean_address(raw)
        except rights.BadAddress as bad:
            error = str(bad)
    here = reverse("reader_data") + ("?" + urlencode({"email": email}) if email else "")
    if email and request.method == "GET" and request.GET.get("format") == "json":
        _log_for_address(request, email, "export", {})
        response = JsonResponse(
            rights.export_address(email), json_dumps_params={"indent": 2, "ensure_ascii": False}
        )
        response["Content-Disposition"] = 'attachment; filename="reader-data.json"'
        return response
    if email and request.method == "POST":
        what = request.POST.get("action", "")
        if what not in ERASE_MODES:
            messages.error(request, _("Choose what to do with the address's data."))
        elif not request.POST.get("confirm"):
            messages.error(request, _("Tick the box to confirm; nothing was changed."))
        else:
            _log_for_address(request, email, what, rights.summary(email))
            done = rights.erase_address(email, mode=ERASE_MODES[what])
            messages.success(
                request,
                _(
                    "Done: %(identities)d identities, %(comments)d comments, "
                    "%(subscriptions)d subscriptions."
                )
                % done,
            )
        return HttpResponseRedirect(here)
    context: dict[str, Any] = {"email": email, "raw": raw, "error": error}
    if email:
        # Each identity with its comment count, in one query.
        commenters = rights.commenters_for(email).annotate(comment_count=Count("comments"))
        context.update(
            commenters=[
                {"commenter": commenter, "comments": commenter.comment_count}
                for commenter in commenters
            ],
            counts=rights.summary(email),
            export_url=here + "&format=json",
        )
    return TemplateResponse(
        request, "identity/admin/reader_data.html", context, status=400 if error else 200
    )


@hooks.register("register_admin_urls")
def register_reader_data_url() -> list[URLPattern]:
    return [path("reader-data/", reader_data_view, name="reader_data")]


class ReaderDataMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perm(READER_DATA_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_reader_data_menu_item() -> MenuItem:
    return ReaderDataMenuItem(_("Reader data"), reverse("reader_data"), icon_name="user", order=310)


@hooks.register("register_log_actions")
def register_reader_data_log_actions(actions: Any) -> None:
    actions.register_action(LOG_ACTIONS["export"], _("Export reader data"), _("Exported"))
    actions.register_action(LOG_ACTIONS["anonymise"], _("Anonymise reader data"), _("Anonymised"))
    actions.register_action(LOG_ACTIONS["erase"], _("Erase reader data"), _("Erased"))
