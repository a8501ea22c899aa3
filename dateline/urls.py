from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from dateline.discussion import embed
from dateline.identity import urls as identity_urls
from dateline.newsroom import views as newsroom_views
from dateline.server import views as server_views

urlpatterns = [
    path("healthz", server_views.health, name="health"),
    path("robots.txt", newsroom_views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("comments/api/", include("dateline.discussion.api_urls")),
    path("embed.js", embed.embed_script, name="embed_js"),
    path("comments/", include("dateline.discussion.urls")),
    path("notifications/", include("dateline.notifications.urls")),
    # Readers' sign-in: our pages, then only allauth's provider login/callback URLs.
    path("identity/", include("dateline.identity.urls")),
    path("accounts/", include(identity_urls.allauth_urlpatterns)),
    path("", include("dateline.newsroom.urls")),
]

if settings.DATELINE_DJANGO_ADMIN:
    urlpatterns.insert(0, path("django-admin/", admin.site.urls))

if settings.DATELINE_SERVE_MEDIA:
    # The single-machine default serves uploads itself; production with object storage or a
    # front web server sets DATELINE_SERVE_MEDIA=false.
    urlpatterns.append(path("media/<path:path>", server_views.media, name="media"))

# A body too large to read is a readable 413 page, not Django's bare 400.
handler400 = "dateline.server.views.bad_request"

# Wagtail's page tree answers everything else, so it comes last.
urlpatterns.append(path("", include(wagtail_urls)))
