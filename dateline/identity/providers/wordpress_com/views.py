from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialLogin, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2Adapter,
    OAuth2CallbackView,
    OAuth2LoginView,
)
from django.http import HttpRequest

DEFAULT_API_URL = "https://public-api.wordpress.com"


class WordPressComOAuth2Adapter(OAuth2Adapter):
    provider_id = "wordpress_com"

    # Read at request time, not import time, so SOCIALACCOUNT_PROVIDERS["wordpress_com"]
    # ["API_URL"] (DATELINE_WORDPRESS_API_URL) can point at a test server.
    @property
    def api_url(self) -> str:
        provider_settings = self.get_provider().get_settings()
        return str(provider_settings.get("API_URL") or DEFAULT_API_URL).rstrip("/")

    @property
    def authorize_url(self) -> str:
        return f"{self.api_url}/oauth2/authorize"

    @property
    def access_token_url(self) -> str:
        return f"{self.api_url}/oauth2/token"

    @property
    def profile_url(self) -> str:
        return f"{self.api_url}/rest/v1.1/me"

    def complete_login(
        self, request: HttpRequest, app: Any, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        with get_adapter().get_requests_session() as session:
            response = session.get(
                self.profile_url, headers={"Authorization": f"Bearer {token.token}"}
            )
        if response.status_code != 200:
            raise OAuth2Error(f"WordPress.com profile request failed ({response.status_code})")
        data = response.json()
        if not isinstance(data, dict) or "ID" not in data:
            raise OAuth2Error("WordPress.com profile has no ID")
        return self.get_provider().sociallogin_from_response(request, data)


oauth2_login = OAuth2LoginView.adapter_view(WordPressComOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(WordPressComOAuth2Adapter)
