from django.urls import include, path, re_path

from dateline.identity.providers.openid_connect import views

# allauth's own shape (/accounts/oidc/<provider_id>/login/ and …/login/callback/), our views.
urlpatterns = [
    path(
        "oidc/",
        include(
            [
                re_path(
                    r"^(?P<provider_id>[^/]+)/",
                    include(
                        [
                            path("login/", views.login, name="openid_connect_login"),
                            path(
                                "login/callback/",
                                views.callback,
                                name="openid_connect_callback",
                            ),
                        ]
                    ),
                )
            ]
        ),
    )
]
