"""The discussion's JSON API, mounted at ``/comments/api/`` (see docs/api.md)."""

from django.urls import path, re_path, register_converter

from dateline.discussion import api


class CommentIdConverter:
    # At most 18 digits: a longer number could not be a database id, and would overflow the
    # query instead of simply finding nothing.
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(CommentIdConverter, "comment_id")

app_name = "discussion_api"

urlpatterns = [
    path("threads/", api.thread_detail, name="threads"),
    path("comments/", api.comment_create, name="comments"),
    path("comments/<comment_id:comment_id>/", api.comment_detail, name="comment"),
    path("comments/<comment_id:comment_id>/replies/", api.comment_replies, name="replies"),
    path("openapi.json", api.openapi_schema, name="openapi"),
    # Anything else under the API answers in JSON too (and without APPEND_SLASH's redirect,
    # which would turn a POST into a GET).
    re_path(r"^.*$", api.not_found, name="not_found"),
]
