from __future__ import annotations

from typing import Any

from allauth.socialaccount.providers.facebook.views import (
    FacebookOAuth2Adapter as AllauthFacebookOAuth2Adapter,
)
from allauth.socialaccount.providers.oauth2.client import OAuth2Client
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView


class VerifierInQueryClient(OAuth2Client):
    def get_access_token(
        self, code: Any, pkce_code_verifier: Any = None, extra_data: Any = None
    ) -> Any:
        if pkce_code_verifier and self.access_token_method == "GET":  # noqa: S105
            extra_data = {**(extra_data or {}), "code_verifier": pkce_code_verifier}
        return super().get_access_token(
            code, pkce_code_verifier=pkce_code_verifier, extra_data=extra_data
        )


class FacebookOAuth2Adapter(AllauthFacebookOAuth2Adapter):
    client_class = VerifierInQueryClient


oauth2_login = OAuth2LoginView.adapter_view(FacebookOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(FacebookOAuth2Adapter)
