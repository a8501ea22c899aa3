from __future__ import annotations

from allauth.urls import build_provider_urlpatterns
from django.urls import URLPattern, URLResolver, path

from dateline.identity import data_views, views

app_name = "identity"

urlpatterns = [
    path("start/<str:provider_id>/", views.start, name="start"),
    path("finish/", views.finish, name="finish"),
    path("me/", views.me, name="me"),
    path("me/comments/", views.my_comments, name="my_comments"),
    path("me/export.json", views.export, name="export"),
    path("me/delete/", views.delete, name="delete"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("email/", views.email_request, name="email_request"),
    path("data/", data_views.data_request, name="data_request"),
    path("data/<str:token>/", data_views.data_link, name="data_link"),
    path("email/confirm/<str:token>/", views.email_confirm, name="email_confirm"),
]


def _guard(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _guard(pattern.url_patterns)
        else:
            pattern.callback = views.guard_provider_view(pattern.callback)
    return patterns


# Mounted at /accounts/: only the providers' login and callback URLs (allauth's local
# sign-up, password and email pages are not routed at all — readers have no site account),
# plus the two pages allauth falls back to after a failed sign-in.
allauth_urlpatterns = [
    path("3rdparty/login/cancelled/", views.provider_stopped, name="socialaccount_login_cancelled"),
    path("3rdparty/login/error/", views.provider_stopped, name="socialaccount_login_error"),
    *_guard(build_provider_urlpatterns()),
]
