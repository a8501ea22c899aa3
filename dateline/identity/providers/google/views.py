from allauth.socialaccount.providers.google.views import oauth2_callback, oauth2_login

__all__ = ["oauth2_callback", "oauth2_login"]
