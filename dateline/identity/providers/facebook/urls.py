from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from dateline.identity.providers.facebook.provider import FacebookProvider

urlpatterns = default_urlpatterns(FacebookProvider)
