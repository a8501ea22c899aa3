"""WordPress.com as an allauth OAuth 2.0 provider.

WordPress.com documents its OAuth 2.0 server at https://developer.wordpress.com/docs/oauth2/:
authorize at ``/oauth2/authorize``, exchange the code at ``/oauth2/token`` (client secret in the
POST body), then read the account at ``/rest/v1.1/me`` with the bearer token. The ``auth`` scope
is enough to read ``/me``; ``ID`` is the stable account number we key commenters on.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider

from dateline.identity.providers.wordpress_com.views import WordPressComOAuth2Adapter


class WordPressComAccount(ProviderAccount):
    def get_profile_url(self) -> str | None:
        return self.account.extra_data.get("profile_URL") or None

    def get_avatar_url(self) -> str | None:
        return self.account.extra_data.get("avatar_URL") or None

    def to_str(self) -> str:
        data = self.account.extra_data
        return str(data.get("display_name") or data.get("username") or super().to_str())


class WordPressComProvider(OAuth2Provider):
    id = "wordpress_com"
    name = "WordPress.com"
    account_class = WordPressComAccount
    oauth2_adapter_class = WordPressComOAuth2Adapter
    # WordPress.com ignores PKCE parameters it does not use; sending them costs nothing and
    # protects the code wherever the server does check them.
    pkce_enabled_default = True

    def get_default_scope(self) -> list[str]:
        return ["auth"]

    def extract_uid(self, data: dict[str, Any]) -> str:
        return str(data["ID"])

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "username": data.get("username"),
            "name": data.get("display_name"),
            "email": data.get("email"),
            "email_verified": bool(data.get("email_verified")),
        }

    def extract_email_addresses(self, data: dict[str, Any]) -> list[EmailAddress]:
        email = data.get("email")
        if not email:
            return []
        return [
            EmailAddress(email=email, verified=data.get("email_verified") is True, primary=True)
        ]


provider_classes = [WordPressComProvider]
