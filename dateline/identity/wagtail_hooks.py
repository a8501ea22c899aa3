"""The editors' side: "Sign-in providers" under Settings, over allauth's ``SocialApp``."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from dateline.identity import provider_check, selectors
from dateline.identity.forms import PROVIDER_CHOICES, SignInProviderForm
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
