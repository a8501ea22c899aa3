"""Reads for reader identities: who is commenting, and which sign-in providers to offer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.socialaccount.adapter import get_adapter
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from dateline.discussion import avatars
from dateline.discussion.models import Commenter
from dateline.identity import session
from dateline.server import invalidation, siteconfig
from dateline.server.requeststate import Slot

# How each built-in provider is named to readers ("Log in with …", "… your X account").
PROVIDER_NAMES = {
    "google": "Google",
    "facebook": "Facebook",
    "twitter_oauth2": "X",
    "wordpress_com": "WordPress.com",
}
# The icon each provider type gets; every generic OpenID Connect provider gets the key.
BRANDS = {
    "google": "google",
    "facebook": "facebook",
    "twitter_oauth2": "x",
    "wordpress_com": "wordpress",
    "openid_connect": "openid",
}
SIGNED_IN_KINDS = (Commenter.Kind.PROVIDER, Commenter.Kind.VERIFIED_EMAIL)

COMMENTER = Slot[Commenter | None](
    "signed-in commenter",
    doc=(
        "The reader's signed-in commenting identity (None: a guest or an anonymous reader), read "
        "by the first caller of current_commenter; forgotten when the reader signs in or out."
    ),
)


@dataclass(frozen=True)
class ProviderChoice:
    id: str  # allauth's sub id: what URLs and Commenter.provider use
    name: str
    brand: str
    # An OpenID Connect provider's own icon, set by the editor (else the brand's mark).
    icon_url: str = ""

    @property
    def start_url(self) -> str:
        return reverse("identity:start", kwargs={"provider_id": self.id})


def current_commenter(request: HttpRequest) -> Commenter | None:
    """The reader's signed-in commenting identity, or None (guests and anonymous readers).
    Remembered on the request (``COMMENTER``), so a page that asks twice queries once."""
    return COMMENTER.get_or_set(request, lambda: _signed_in_commenter(request))


def _signed_in_commenter(request: HttpRequest) -> Commenter | None:
    if not session.has_session(request):
        return None
    pk = request.session.get(session.COMMENTER_KEY)
    if not isinstance(pk, int):
        return None
    commenter = Commenter.objects.filter(pk=pk, kind__in=SIGNED_IN_KINDS).first()
    if commenter is None:
        # The identity was deleted (by its owner elsewhere, or a moderator).
        request.session.pop(session.COMMENTER_KEY, None)
    return commenter


def enabled_providers(request: HttpRequest | None) -> list[ProviderChoice]:
    """Providers that are configured (admin or environment) and enabled, in a stable order:
    the built-in ones first, then OpenID Connect providers by name. Within a request, read
    once per site snapshot (saving a provider in the admin bumps gen:site)."""
    return list(siteconfig.shared("enabled-providers", lambda: _enabled_providers(request)))


def _enabled_providers(request: HttpRequest | None) -> tuple[ProviderChoice, ...]:
    apps = get_adapter(request).list_apps(request)
    choices = []
    for app in apps:
        if app.provider not in BRANDS:
            continue
        provider_id = app.provider_id or app.provider
        name = app.name if app.provider == "openid_connect" else PROVIDER_NAMES[app.provider]
        icon_url = (
            (app.settings or {}).get("icon_url", "") if app.provider == "openid_connect" else ""
        )
        choices.append(
            ProviderChoice(
                id=provider_id,
                name=name or provider_id,
                brand=BRANDS[app.provider],
                icon_url=str(icon_url),
            )
        )
    order = list(BRANDS.values())
    choices.sort(key=lambda c: (order.index(c.brand), c.name.casefold()))
    return tuple(choices)


def provider_choice(request: HttpRequest, provider_id: str) -> ProviderChoice | None:
    return next((c for c in enabled_providers(request) if c.id == provider_id), None)


def provider_name(request: HttpRequest | None, provider_id: str) -> str:
    """A provider's name for readers, also for one that has since been switched off."""
    if provider_id in PROVIDER_NAMES:
        return PROVIDER_NAMES[provider_id]
    if provider_id == "email":
        return _("email address")
    from dateline.identity.adapters import SocialAccountAdapter

    for app in SocialAccountAdapter(request).list_apps(request, include_disabled=True):
        if app.provider_id == provider_id:
            return str(app.name or provider_id)
    return provider_id


def identity_summary(request: HttpRequest, commenter: Commenter | None) -> dict[str, Any]:
    """The signed-in state as the comment form shows it (also the ``/identity/me/`` answer)."""
    if commenter is None:
        return {"signed_in": False}
    if commenter.kind == Commenter.Kind.VERIFIED_EMAIL:
        name = _("email address")
        text = _("You are commenting as %(name)s, confirmed by email.") % {
            "name": commenter.display_name
        }
    else:
        name = provider_name(request, commenter.provider)
        text = _("You are commenting using your %(provider)s account.") % {"provider": name}
    return {
        "signed_in": True,
        "kind": commenter.kind,
        "provider": commenter.provider,
        "provider_name": name,
        "name": commenter.display_name,
        # The copy the server stored, never the provider's address (discussion/avatars.py).
        "avatar": avatars.stored_url(commenter.avatar_image),
        "text": text,
    }


# For editors -------------------------------------------------------------------------------


def callback_url(app: Any) -> str:
    """The exact redirect URI to register at the provider for ``app``."""
    if app.provider == "openid_connect":
        path = reverse("openid_connect_callback", kwargs={"provider_id": app.provider_id})
    else:
        path = reverse(f"{app.provider}_callback")
    return invalidation.site_url(path)


def environment_apps() -> list[Any]:
    """The providers the server's environment configures (read-only in the admin)."""
    apps = get_adapter().list_apps(None, include_disabled=True)
    return [app for app in apps if app.pk is None]
