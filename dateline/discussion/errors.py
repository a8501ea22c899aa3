"""Why the discussion refuses something, in words for the reader. Raised by the reads that
resolve a discussion (``targets``) and by the writes (``actions``); every client — the form,
the JSON API, the embed — answers them the same way: ``status_code`` and ``{field: message}``."""

from __future__ import annotations

from http import HTTPStatus


class CommentError(Exception):
    """The comment cannot be accepted. ``errors`` maps a form field ("body", "name", "email",
    "website", "parent") or "__all__" to a message for the reader."""

    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class CommentsClosed(CommentError):
    status_code = HTTPStatus.FORBIDDEN


class CommenterBanned(CommentError):
    status_code = HTTPStatus.FORBIDDEN


class NotAllowed(CommentError):
    status_code = HTTPStatus.FORBIDDEN


class NotFound(CommentError):
    """No such story (or comment) that readers may see."""

    status_code = HTTPStatus.NOT_FOUND
