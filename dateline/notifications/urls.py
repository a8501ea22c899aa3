"""Readers' subscription pages, under ``/notifications/`` (before Wagtail's page tree)."""

from django.urls import path

from dateline.notifications import views

app_name = "notifications"

urlpatterns = [
    path("follow/<int:article_id>/", views.follow_article, name="follow"),
    path("follow/thread/<int:thread_id>/", views.follow_thread, name="follow_thread"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("requested/", views.requested, name="requested"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
