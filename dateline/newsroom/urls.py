from django.urls import path

from dateline.newsroom import views

app_name = "newsroom"

urlpatterns = [
    path("authors/", views.author_index, name="author_index"),
    path("authors/<str:slug>/", views.author_detail, name="author"),
    path("tags/<str:slug>/", views.tag_detail, name="tag"),
]
