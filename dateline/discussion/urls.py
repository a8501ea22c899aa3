"""The discussion's reader-facing addresses, under ``/comments/`` (before Wagtail's page tree,
which answers everything else). The JSON API for embeds lives under ``/comments/api/``."""

from django.urls import path

from dateline.discussion import views

app_name = "discussion"

urlpatterns = [
    path("session/", views.session, name="session"),
    path("post/<int:article_id>/", views.post_comment, name="post"),
    path("<int:comment_id>/", views.permalink, name="permalink"),
    path("<int:comment_id>/replies/", views.replies, name="replies"),
    path("<int:comment_id>/edit/", views.edit_comment, name="edit"),
    path("<int:comment_id>/delete/", views.delete_comment, name="delete"),
    path("<int:comment_id>/report/", views.report_comment, name="report"),
    path("<int:comment_id>/useful/", views.mark_useful, name="useful"),
]
