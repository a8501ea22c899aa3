"""The JSON API's OpenAPI 3.1 description, written by hand to match ``api.py``.

tests/discussion/test_api_schema.py checks every response the API tests see against it, and
that every route in ``api_urls`` is described, so the two cannot drift apart silently."""

from __future__ import annotations

import copy
from typing import Any

from dateline.discussion import threads

API = "/comments/api"

_ERROR_RESPONSE = {"$ref": "#/components/responses/Error"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _ERROR_RESPONSE for code in codes}


_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": (
            "Messages for the reader, keyed by request field (body, name, email, website, "
            "parent, thread, url, id, origin, cursor, …) or __all__ for the request as a whole."
        ),
        "required": ["errors"],
        "additionalProperties": False,
        "properties": {
            "errors": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": "string"},
            },
            "retry_after": {
                "type": "integer",
                "minimum": 1,
                "description": "Seconds to wait (429 only; also in the Retry-After header).",
            },
        },
    },
    "Author": {
        "type": "object",
        "required": ["name", "website"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "description": "Empty for a removed comment."},
            "website": {"type": ["string", "null"], "format": "uri"},
        },
    },
    "Comment": {
        "type": "object",
        "description": (
            "An approved comment, or (removed: true) a placeholder for one that is not shown "
            "but has approved replies below it: no author, no text."
        ),
        "required": [
            "id",
            "parent",
            "depth",
            "author",
            "html",
            "created",
            "edited",
            "removed",
            "replies",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "parent": {"type": ["integer", "null"], "minimum": 1},
            "depth": {"type": "integer", "minimum": 0},
            "author": _ref("Author"),
            "html": {
                "type": "string",
                "description": (
                    "Sanitised on the server (p, br, em, strong, a[href], blockquote, code, pre, "
                    "ul, ol, li; http, https and mailto links only)."
                ),
            },
            "created": {"type": "string", "format": "date-time"},
            "edited": {"type": ["string", "null"], "format": "date-time"},
            "removed": {"type": "boolean"},
            "replies": {"type": "array", "items": _ref("Comment")},
            "more_replies": {
                "type": "integer",
                "minimum": 1,
                "description": (
                    "Only on a top-level comment whose replies are not all included (a page "
                    f"shows the first {threads.REPLIES_SHOWN} under each): how many approved "
                    "replies are left."
                ),
            },
            "replies_next": {
                "type": "string",
                "description": "With more_replies: the cursor for GET comments/{id}/replies/.",
            },
        },
    },
    "ReplyPage": {
        "type": "object",
        "required": ["comments", "next", "more"],
        "additionalProperties": False,
        "properties": {
            "comments": {
                "type": "array",
                "items": _ref("Comment"),
                "description": (
                    "In the order they were written; each under its parent when the parent is "
                    "on this page, else at the top of the list (see parent and depth)."
                ),
            },
            "next": {"type": ["string", "null"], "description": "Cursor of the next page."},
            "more": {"type": "integer", "minimum": 0, "description": "Approved replies after it."},
        },
    },
    "Thread": {
        "type": "object",
        "required": ["key", "count", "open", "heading", "order", "max_depth", "max_length"],
        "additionalProperties": False,
        "properties": {
            "key": {"type": "string"},
            "count": {"type": "integer", "minimum": 0, "description": "Approved comments."},
            "open": {"type": "boolean", "description": "Whether new comments are accepted."},
            "heading": {"type": "string", "description": "The form's heading."},
            "order": {"enum": ["oldest", "newest"]},
            "max_depth": {"type": "integer", "minimum": 1},
            "max_length": {"type": "integer", "minimum": 1},
        },
    },
    "ThreadPage": {
        "type": "object",
        "required": ["thread", "comments", "next", "previous", "form_token"],
        "additionalProperties": False,
        "properties": {
            "thread": _ref("Thread"),
            "comments": {"type": "array", "items": _ref("Comment")},
            "next": {"type": ["string", "null"], "description": "Cursor of the next page."},
            "previous": {"type": ["string", "null"], "description": "Cursor of the previous page."},
            "form_token": {
                "type": "string",
                "description": "Send back as form_token when posting (when the form was shown).",
            },
        },
    },
    "ThreadRef": {
        "type": "object",
        "description": (
            "A story of this site (article), or a page of an allowed site: by its address (url) "
            "or by an id the site chose (id). Cross-origin callers are identified by their "
            "Origin header; other callers may name the origin."
        ),
        "additionalProperties": False,
        "properties": {
            "article": {"type": "integer", "minimum": 1},
            "url": {"type": "string", "format": "uri", "maxLength": 2000},
            "id": {"type": "string", "maxLength": 200},
            "title": {"type": "string", "maxLength": 1000},
            "origin": {"type": "string", "maxLength": 300},
        },
        "anyOf": [{"required": ["article"]}, {"required": ["url"]}, {"required": ["id"]}],
    },
    "NewComment": {
        "type": "object",
        "required": ["thread", "body"],
        "additionalProperties": False,
        "properties": {
            "thread": _ref("ThreadRef"),
            "parent": {"type": ["integer", "null"], "minimum": 1},
            "body": {"type": "string", "description": "Markdown subset; length per settings."},
            "name": {"type": "string", "maxLength": 1000},
            "email": {"type": "string", "maxLength": 1000, "description": "Never shown."},
            "website": {"type": "string", "maxLength": 1000},
            "honeypot": {"type": "string", "maxLength": 1000, "description": "Leave empty."},
            "form_token": {"type": "string", "maxLength": 500},
        },
    },
    "CommentEdit": {
        "type": "object",
        "required": ["body"],
        "additionalProperties": False,
        "properties": {
            "body": {"type": "string"},
            "edit_token": {"type": "string", "maxLength": 500},
        },
    },
    "CommentDelete": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"edit_token": {"type": "string", "maxLength": 500}},
    },
    "PostedComment": {
        "type": "object",
        "description": (
            "The poster's own comment, as only they see it (also while it is held). Spam is "
            "reported as pending."
        ),
        "required": ["status", "comment"],
        "additionalProperties": False,
        "properties": {
            "status": {"enum": ["approved", "pending"]},
            "comment": _ref("Comment"),
            "edit_token": {
                "type": "string",
                "description": "Lets the poster edit or delete the comment within the window.",
            },
            "edit_window_minutes": {"type": "integer", "minimum": 0},
            "message": {"type": "string"},
        },
    },
}

_SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "info": {
        "title": "Dateline discussion API",
        "version": "1",
        "description": (
            "Threads of reader comments and guest posting, for the embed script and other "
            "clients. Cross-origin callers must be on the allowlist and are always anonymous; "
            "same-origin calls with cookies need the X-CSRFToken header. See docs/api.md."
        ),
    },
    "paths": {
        f"{API}/threads/": {
            "get": {
                "operationId": "getThread",
                "summary": "A page of a thread's comments (never creates the thread).",
                "parameters": [
                    {"name": "article", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "url", "in": "query", "schema": {"type": "string", "format": "uri"}},
                    {"name": "id", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                    {"name": "origin", "in": "query", "schema": {"type": "string"}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "The page.",
                        "content": _json_content(_ref("ThreadPage")),
                    },
                    **_errors(400, 403, 404),
                },
            },
        },
        f"{API}/comments/": {
            "post": {
                "operationId": "postComment",
                "summary": "Post a comment as a guest.",
                "requestBody": {"required": True, "content": _json_content(_ref("NewComment"))},
                "responses": {
                    "201": {
                        "description": "Published.",
                        "content": _json_content(_ref("PostedComment")),
                    },
                    "202": {
                        "description": "Held for moderation.",
                        "content": _json_content(_ref("PostedComment")),
                    },
                    **_errors(400, 403, 404, 413, 415),
                    "429": {
                        "description": "Too many comments too quickly.",
                        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                        "content": _json_content(_ref("Error")),
                    },
                },
            },
        },
        f"{API}/comments/{{id}}/": {
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            ],
            "patch": {
                "operationId": "editComment",
                "summary": "Edit one's own comment within the edit window.",
                "security": [{"editToken": []}, {}],
                "requestBody": {"required": True, "content": _json_content(_ref("CommentEdit"))},
                "responses": {
                    "200": {
                        "description": "Edited and shown.",
                        "content": _json_content(_ref("PostedComment")),
                    },
                    "202": {
                        "description": "Edited and held for moderation.",
                        "content": _json_content(_ref("PostedComment")),
                    },
                    **_errors(400, 403, 404, 413, 415),
                },
            },
            "delete": {
                "operationId": "deleteComment",
                "summary": "Delete one's own comment within the edit window.",
                "security": [{"editToken": []}, {}],
                "requestBody": {
                    "required": False,
                    "content": _json_content(_ref("CommentDelete")),
                },
                "responses": {
                    "204": {"description": "Deleted."},
                    **_errors(400, 403, 404, 413, 415),
                },
            },
        },
        f"{API}/comments/{{id}}/replies/": {
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            ],
            "get": {
                "operationId": "getReplies",
                "summary": "The next page of replies under a top-level comment.",
                "responses": {
                    "200": {
                        "description": "The page.",
                        "content": _json_content(_ref("ReplyPage")),
                    },
                    **_errors(400, 403, 404),
                },
            },
        },
        f"{API}/openapi.json": {
            "get": {
                "operationId": "getSchema",
                "summary": "This document.",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": _json_content({"type": "object"}),
                    }
                },
            }
        },
    },
    "components": {
        "schemas": _SCHEMAS,
        "responses": {
            "Error": {
                "description": "What was wrong, in words for the reader.",
                "content": _json_content(_ref("Error")),
            }
        },
        "securitySchemes": {
            "editToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The edit_token returned when the comment was posted.",
            }
        },
    },
}


def schema(*, server_url: str = "") -> dict[str, Any]:
    document = copy.deepcopy(_SCHEMA)
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
