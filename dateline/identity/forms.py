from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialApp
from django import forms
from django.utils.translation import gettext_lazy as _

from dateline.identity import config
from dateline.server import invalidation


class EmailLinkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    email = forms.EmailField(label=_("Email (never shown)"), max_length=254)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)


class DataRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


class EraseDataForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, erase what this site stores about my address"),
        error_messages={"required": _("Tick the box to confirm that you want to erase it.")},
    )


class DeleteIdentityForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, delete my commenting identity"),
        error_messages={"required": _("Tick the box to confirm that you want to delete it.")},
    )


PROVIDER_CHOICES = [
    ("google", "Google"),
    ("facebook", "Facebook"),
    ("twitter_oauth2", "X (Twitter)"),
    ("wordpress_com", "WordPress.com"),
    ("openid_connect", _("OpenID Connect (Keycloak, Authentik, a newsroom's own sign-in…)")),
]


# Kept in an OpenID Connect app's settings only when the editor filled them in.
OPTIONAL_OIDC_SETTINGS = ("icon_url", "token_auth_method")


class SignInProviderForm(forms.ModelForm):
    """allauth's ``SocialApp`` as editors see it: the few fields each provider needs, an
    "enabled" switch, and the checks that keep provider ids unambiguous."""

    provider = forms.ChoiceField(label=_("Provider"), choices=PROVIDER_CHOICES)
    secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the secret already saved."),
    )
    server_url = forms.URLField(
        label=_("Issuer URL"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "OpenID Connect only: the issuer, e.g. https://sso.example.org/realms/newsroom "
            "(its /.well-known/openid-configuration must answer)."
        ),
    )
    icon_url = forms.URLField(
        label=_("Icon"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "OpenID Connect only, optional: the https:// address of a square image (SVG or "
            "PNG) for the button. An image on this site is best: one elsewhere tells its "
            "host who reads your stories."
        ),
    )
    token_auth_method = forms.ChoiceField(
        label=_("How Dateline proves itself at the token endpoint"),
        required=False,
        choices=[
            ("", _("As the provider advertises (the default)")),
            ("client_secret_basic", _("client_secret_basic (HTTP Basic authentication)")),
            ("client_secret_post", _("client_secret_post (in the request body)")),
        ],
        help_text=_("OpenID Connect only. Change it when the provider refuses the other."),
    )
    enabled = forms.BooleanField(
        label=_("Enabled"),
        required=False,
        initial=True,
        help_text=_("Only enabled providers get an icon on the comment form."),
    )

    class Meta:
        model = SocialApp
        fields = ["provider", "name", "provider_id", "client_id", "secret"]
        labels = {
            "name": _("Name shown to readers"),
            "provider_id": _("Provider id"),
            "client_id": _("Client id"),
        }
        help_texts = {
            "provider_id": _(
                "OpenID Connect only: a short id such as “newsroom”; it becomes part of the "
                "callback address and cannot change once readers have signed in with it."
            ),
            "name": _("For OpenID Connect, the name on the icon: “Log in with …”."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("for_user", None)
        super().__init__(*args, **kwargs)
        self.fields["provider_id"].required = False
        self.fields["name"].required = False
        app_settings = self.instance.settings or {}
        self.fields["server_url"].initial = app_settings.get("server_url", "")
        self.fields["token_auth_method"].initial = app_settings.get("token_auth_method", "")
        self.fields["icon_url"].initial = app_settings.get("icon_url", "")
        self.fields["enabled"].initial = app_settings.get("enabled", True) is not False
        if not self.instance.pk:
            self.fields["secret"].help_text = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        provider = data.get("provider")
        provider_id = (data.get("provider_id") or "").strip()
        others = SocialApp.objects.exclude(pk=self.instance.pk)
        if provider == "openid_connect":
            problem = config.check_provider_id(provider_id)
            if problem:
                self.add_error("provider_id", problem)
            elif others.filter(provider_id=provider_id).exists() or provider_id in _env_ids():
                self.add_error("provider_id", _("Another provider already uses this id."))
            if not data.get("name"):
                self.add_error("name", _("Enter the name readers will see on the icon."))
            if not data.get("server_url"):
                self.add_error("server_url", _("OpenID Connect providers need their issuer URL."))
            icon = data.get("icon_url") or ""
            if icon and not icon.startswith(("https://", "/")):
                self.add_error("icon_url", _("The icon must be an https:// address."))
        else:
            data["provider_id"] = ""
            if not data.get("name"):
                data["name"] = str(dict(PROVIDER_CHOICES)[provider])[:40] if provider else ""
            if others.filter(provider=provider).exists():
                self.add_error("provider", _("This provider is already configured."))
            elif provider in _env_ids():
                self.add_error(
                    "provider",
                    _("This provider is configured by the server's environment variables."),
                )
        if not self.instance.pk and not data.get("secret"):
            self.add_error("secret", _("Enter the client secret the provider gave you."))
        return data

    def save(self, commit: bool = True) -> SocialApp:
        app: SocialApp = super().save(commit=False)
        if not self.cleaned_data.get("secret") and self.instance.pk:
            app.secret = SocialApp.objects.get(pk=self.instance.pk).secret
        app_settings = dict(app.settings or {})
        app_settings["enabled"] = bool(self.cleaned_data.get("enabled"))
        if app.provider == "openid_connect":
            app_settings["server_url"] = self.cleaned_data["server_url"].rstrip("/")
            for key in OPTIONAL_OIDC_SETTINGS:
                if self.cleaned_data.get(key):
                    app_settings[key] = self.cleaned_data[key]
                else:
                    app_settings.pop(key, None)
        else:
            for key in ("server_url", *OPTIONAL_OIDC_SETTINGS):
                app_settings.pop(key, None)
        app.settings = app_settings
        if commit:
            app.save()
        # Every article's comment form shows the provider icons: cached pages must change.
        invalidation.site_changed()
        return app


def _env_ids() -> set[str]:
    from dateline.identity import selectors

    return {app.provider_id or app.provider for app in selectors.environment_apps()}
