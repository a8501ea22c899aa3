"""The discussion's JSON API (``/comments/api/``), served by django-ninja (see docs/api.md).

Why django-ninja: the API is a handful of JSON endpoints whose whole difficulty is refusing
bad input precisely and documenting exactly what is accepted and answered. ninja takes both
from one declaration — the pydantic models in ``api_schemas`` validate each request and
answer and *are* the OpenAPI document — where Django REST framework would need serializers
for validation plus drf-spectacular's annotations (or inference) for the schema, and brings
its own request, authentication, throttling and content-negotiation layers we would have to
switch off to keep our origin policy and strict JSON. ninja's parser, renderer and exception
handlers are small documented hooks, and it already ships with Wagtail.

The parts:

* ``api_schemas``: the declared types of every request and answer, with the reader's
  messages for refused values.
* ``api_json``: strict JSON reading (ninja's parser), writing (its renderer), and every
  refusal answered as ``{"errors": {field: message}}`` (its exception handlers).
* ``api_access``: who may call (origins, CORS, CSRF, preflights), in front of ninja.
* here: the ``NinjaAPI`` and its endpoints. Handlers stay thin: ninja parses and validates,
  one call into ``actions`` (writes) or ``threads`` (reads), and the answer.
* ``api_urls``: ninja's routes behind ``api_access.guard``, and a JSON 404 for the rest."""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.urls import register_converter, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Path, Query, Router
from ninja.openapi.schema import OpenAPISchema
from ninja.responses import Status

from dateline.discussion import actions, rendering, strings, targets, threads
from dateline.discussion import api_schemas as schemas
from dateline.discussion.api_access import Caller, caller_of
from dateline.discussion.api_json import (
    ApiError,
    JSONRenderer,
    StrictJSONParser,
    install_error_handlers,
)
from dateline.discussion.errors import NotAllowed, NotFound
from dateline.discussion.forms import HONEYPOT_FIELD, CommentForm, sign_rendered_at
from dateline.discussion.invalidation import thread_gen
from dateline.discussion.models import Comment, Commenter, DiscussionSettings
from dateline.identity.selectors import current_commenter
from dateline.server import pagecache
from dateline.web import normalise_origin


class DiscussionAPI(NinjaAPI):
    def get_content_type(self) -> str:
        # application/json takes no charset parameter: it is always UTF-8 (RFC 8259).
        return str(self.renderer.media_type)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # The edit token as a bearer token: read by the handlers themselves (it may also come
        # in the body), so ninja's auth, which would document it, does not apply.
        schema["components"]["securitySchemes"] = {
            "editToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The edit_token returned when the comment was posted.",
            }
        }
        return schema


api = DiscussionAPI(
    title="Dateline discussion API",
    version="1",
    description=(
        "Threads of reader comments and guest posting, for the embed script and other "
        "clients. Cross-origin callers must be on the allowlist and are always anonymous; "
        "same-origin calls with cookies need the X-CSRFToken header. See docs/api.md."
    ),
    urls_namespace="discussion_api",
    openapi_url=None,  # served below as an operation of its own, behind the guard
    docs_url=None,
    parser=StrictJSONParser(),
    renderer=JSONRenderer(),
)
install_error_handlers(api)

# An answer leaves out what it does not set (a comment's more_replies, an edit's edit_token)
# rather than sending null.
thread_routes = Router(exclude_unset=True)
comment_routes = Router(exclude_unset=True)

# The edit token may come as a bearer token or in the body (see _edit_token).
EDIT_TOKEN_SECURITY: dict[str, Any] = {"security": [{"editToken": []}, {}]}
RETRY_AFTER: dict[str, Any] = {
    "responses": {
        HTTPStatus.TOO_MANY_REQUESTS: {
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}}
        }
    }
}


class CommentIdConverter:
    # At most 18 digits: a longer number could not be a database id, and would overflow the
    # query instead of simply finding nothing (the JSON 404 of api_urls answers it).
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(CommentIdConverter, "comment_id")
COMMENT = "/{comment_id:id}/"  # documented as comments/{id}/


# Threads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadRef:
    """Which discussion a request means: a story of this site, or a page of another site
    (by its address, or by an id the site chose, scoped to its origin)."""

    article_id: int | None = None
    page_url: str = ""
    thread_id: str = ""
    title: str = ""
    origin: str = ""


def _thread_ref(given: schemas.ThreadRef | schemas.ThreadQuery) -> ThreadRef:
    title = given.title if isinstance(given, schemas.ThreadRef) else ""
    ref = ThreadRef(
        article_id=given.article,
        page_url=given.url.strip(),
        thread_id=given.id.strip(),
        title=" ".join(title.split()),
        origin=given.origin.strip(),
    )
    if ref.article_id is not None and (ref.page_url or ref.thread_id):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            {"thread": _("Name either a story or a page of another site, not both.")},
        )
    if ref.article_id is None and not (ref.page_url or ref.thread_id):
        raise ApiError(HTTPStatus.BAD_REQUEST, {"thread": str(schemas.SAY_WHICH)})
    if ref.page_url:
        try:
            targets.normalise_page_url(ref.page_url)
        except NotAllowed:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, {"url": _("The page address must be an http or https URL.")}
            ) from None
    if ref.thread_id and not ref.thread_id.isprintable():
        raise ApiError(HTTPStatus.BAD_REQUEST, {"id": _("The discussion id is not valid.")})
    return ref


def _embed_origin(ref: ThreadRef, caller: Caller) -> str:
    """Whose page the thread belongs to. A browser's Origin header decides for cross-origin
    calls; a caller without one (a server, curl) names it, or it follows from the address."""
    if caller.cross_origin:
        if ref.origin and normalise_origin(ref.origin) != caller.origin:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                {"origin": _("The origin does not match the site making the request.")},
            )
        return caller.origin
    if ref.origin:
        return normalise_origin(ref.origin)
    if ref.page_url:
        parts = urlsplit(targets.normalise_page_url(ref.page_url))
        return f"{parts.scheme}://{parts.netloc}"
    raise ApiError(
        HTTPStatus.BAD_REQUEST,
        {"origin": _("Say which site the discussion belongs to, or give the page address.")},
    )


def find_target(ref: ThreadRef, caller: Caller, *, fresh: bool = False) -> targets.Target:
    """The discussion a request names (``targets``: reads only, never a new thread)."""
    if ref.article_id is not None:
        try:
            return targets.story(ref.article_id, fresh=fresh)
        except NotFound as missing:
            raise ApiError(HTTPStatus.NOT_FOUND, {"thread": missing.errors["__all__"]}) from None
    return targets.embedded_page(
        origin=_embed_origin(ref, caller),
        allowed_origins=caller.allowed_origins,
        page_url=ref.page_url,
        thread_id=ref.thread_id,
        title=ref.title,
    )


# Reading ------------------------------------------------------------------------------------


@thread_routes.get(
    "/",
    url_name="threads",
    operation_id="getThread",
    summary="A page of a thread's comments (never creates the thread).",
    response={HTTPStatus.OK: schemas.ThreadPage, **schemas.errors(400, 403, 404)},
)
def thread_detail(
    request: HttpRequest, response: HttpResponse, query: Query[schemas.ThreadQuery]
) -> dict[str, Any]:
    caller = caller_of(request)
    ref = _thread_ref(query)
    cursor = query.cursor or None
    if cursor is not None:
        try:
            threads.Cursor.decode(cursor)
        except threads.InvalidCursor:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                {"cursor": _("This page of comments does not exist. Start from the first page.")},
            ) from None
    target = find_target(ref, caller)
    thread, exists = target.thread_or_stand_in(), target.exists

    def comments() -> dict[str, Any]:
        page = threads.thread_page(
            thread=thread if exists else None, policy=caller.policy, cursor=cursor
        )
        return {
            "comments": [rendering.node_json(node) for node in page.nodes],
            "next": page.next_cursor,
            "previous": page.previous_cursor,
        }

    # The same for every caller: shared through the fragment cache until the thread changes
    # (gen:site covers the page size and order).
    part = (
        pagecache.fragment(
            f"thread-json|{thread.pk}|{caller.policy.pk}|{cursor or ''}",
            [pagecache.GEN_SITE, thread_gen(thread.pk)],
            comments,
        )
        if exists
        else comments()
    )
    # Public, but new comments should show on the next load; the form token is per response.
    patch_cache_control(response, no_cache=True, max_age=0)
    return {
        "thread": schemas.thread_json(thread, caller.policy),
        **part,
        "form_token": sign_rendered_at(),
    }


@comment_routes.get(
    f"{COMMENT}replies/",
    url_name="replies",
    operation_id="getReplies",
    summary="The next page of replies under a top-level comment.",
    response={HTTPStatus.OK: schemas.ReplyPage, **schemas.errors(400, 403, 404)},
)
def comment_replies(
    request: HttpRequest,
    response: HttpResponse,
    query: Query[schemas.PageQuery],
    comment_id: int = Path(..., alias="id"),
) -> dict[str, Any]:
    """The replies under a top-level comment after those its thread page includes."""
    root = threads.replied_comment(comment_id)
    if root is None:
        raise ApiError(HTTPStatus.NOT_FOUND, {"__all__": _("There is no such comment.")})
    if root.thread.article_id is not None:
        find_target(ThreadRef(article_id=root.thread.article_id), caller_of(request))
    try:
        page = threads.reply_page(root=root, cursor=query.cursor or None)
    except threads.InvalidCursor:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            {"cursor": _("This page of replies does not exist. Start from the thread.")},
        ) from None
    patch_cache_control(response, no_cache=True, max_age=0)
    return {
        "comments": [rendering.node_json(child) for child in page.root.children],
        "next": page.next_cursor,
        "more": page.more_replies,
    }


# Writing ------------------------------------------------------------------------------------


_FORM_TO_API = {HONEYPOT_FIELD: "honeypot", "rendered_at": "form_token"}


def _api_names(errors: dict[str, str]) -> dict[str, str]:
    """The form's field names as the API spells them."""
    return {_FORM_TO_API.get(field, field): message for field, message in errors.items()}


def signed_in_commenter(request: HttpRequest, caller: Caller) -> Commenter | None:
    """The reader's signed-in identity, for same-origin calls only. A cross-origin call is a
    guest whatever cookies it carries: this is the one place the API looks at the session."""
    if caller.cross_origin:
        return None
    return current_commenter(request)


def _posted(
    comment: Comment,
    *,
    edit_token: str | None,
    policy: DiscussionSettings,
    shown_status: HTTPStatus = HTTPStatus.CREATED,
    guest_token: str = "",
) -> Status[dict[str, Any]]:
    """``shown_status`` (201 for a new comment, 200 for an edit) when shown at once; 202 when
    held."""
    held = not comment.is_visible
    data: dict[str, Any] = {
        # Spam is reported as "pending" like any held comment: telling a spammer which of their
        # comments the filter caught teaches them to get past it.
        "status": "pending" if held else "approved",
        "comment": rendering.own_comment_json(comment),
    }
    if edit_token is not None:
        data["edit_token"] = edit_token
        data["edit_window_minutes"] = policy.edit_window_minutes
    if held:
        data["message"] = strings.word("held")
    if guest_token:
        data["guest_token"] = guest_token
    return Status(HTTPStatus.ACCEPTED if held else shown_status, data)


def _edit_token(request: HttpRequest, given: str) -> str:
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()[: schemas.MAX_TOKEN_LENGTH]
    return given


NO_BODY = schemas.CommentDelete()  # a DELETE without a body sends no token in it


def _comment(comment_id: int) -> Comment:
    comment = Comment.objects.select_related("commenter", "thread").filter(pk=comment_id).first()
    if comment is None:
        raise ApiError(HTTPStatus.NOT_FOUND, {"__all__": _("There is no such comment.")})
    return comment


@comment_routes.post(
    "/",
    url_name="comments",
    operation_id="postComment",
    summary="Post a comment as a guest.",
    response={
        HTTPStatus.CREATED: schemas.PostedComment,
        HTTPStatus.ACCEPTED: schemas.PostedComment,
        **schemas.errors(400, 403, 404, 413, 415, 429),
    },
    openapi_extra=RETRY_AFTER,
)
def comment_create(request: HttpRequest, payload: schemas.NewComment) -> Status[dict[str, Any]]:
    """Published at once (201) or held for moderation (202)."""
    caller = caller_of(request)
    policy = caller.policy
    ref = _thread_ref(payload.thread)
    # The same form, and so the same checks and messages, as the HTML view's.
    form = CommentForm(
        {
            "body": payload.body,
            "name": payload.name,
            "email": payload.email,
            "website": payload.website,
            "parent": payload.parent,
            HONEYPOT_FIELD: payload.honeypot,
            "rendered_at": payload.form_token,
        }
    )
    if not form.is_valid():
        raise ApiError(HTTPStatus.BAD_REQUEST, _api_names(form.json_errors()))
    target = find_target(ref, caller, fresh=True)
    posted = actions.post_comment(
        target=target,
        # A signed-in reader posts as themselves; the guest fields are then ignored.
        author=form.author(signed_in_commenter(request, caller), guest_token=payload.guest_token),
        body=form.cleaned_data["body"] or "",
        policy=policy,
        meta=form.request_meta(request, permalink=target.permalink(request)),
        parent_id=form.cleaned_data.get("parent"),
    )
    return _posted(
        posted.comment,
        edit_token=posted.edit_token,
        policy=policy,
        guest_token=posted.guest_token,
    )


@comment_routes.patch(
    COMMENT,
    url_name="comment",
    operation_id="editComment",
    summary="Edit one's own comment within the edit window.",
    response={
        HTTPStatus.OK: schemas.PostedComment,
        HTTPStatus.ACCEPTED: schemas.PostedComment,
        **schemas.errors(400, 403, 404, 413, 415),
    },
    openapi_extra=EDIT_TOKEN_SECURITY,
)
def comment_edit(
    request: HttpRequest, payload: schemas.CommentEdit, comment_id: int = Path(..., alias="id")
) -> Status[dict[str, Any]]:
    """Shown (200), or held (202): the new text must now wait for a moderator."""
    policy = caller_of(request).policy
    edited = actions.edit_comment(
        comment=_comment(comment_id),
        token=_edit_token(request, payload.edit_token),
        body=payload.body,
        policy=policy,
    )
    return _posted(edited, edit_token=None, policy=policy, shown_status=HTTPStatus.OK)


@comment_routes.delete(
    COMMENT,
    url_name="comment",
    operation_id="deleteComment",
    summary="Delete one's own comment within the edit window.",
    response={HTTPStatus.NO_CONTENT: None, **schemas.errors(400, 403, 404, 413, 415)},
    openapi_extra=EDIT_TOKEN_SECURITY,
)
def comment_delete(
    request: HttpRequest,
    payload: schemas.CommentDelete = NO_BODY,
    comment_id: int = Path(..., alias="id"),
) -> Status[None]:
    comment = _comment(comment_id)
    actions.delete_own_comment(
        comment=comment,
        token=_edit_token(request, payload.edit_token),
        policy=caller_of(request).policy,
    )
    return Status(HTTPStatus.NO_CONTENT, None)


# The schema ---------------------------------------------------------------------------------


@functools.cache
def _generated_schema(path_prefix: str) -> dict[str, Any]:
    return dict(api.get_openapi_schema(path_prefix=path_prefix))


def openapi_document(*, server_url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.1 document ninja builds from the routes and ``api_schemas``."""
    prefix = reverse("discussion_api:openapi").removesuffix("openapi.json")
    document = copy.deepcopy(_generated_schema(prefix))
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


@api.get(
    "/openapi.json",
    url_name="openapi",
    operation_id="getSchema",
    summary="This document.",
    response=schemas.OpenAPIDocument,
)
def openapi_schema(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    patch_cache_control(response, public=True, max_age=3600)
    return openapi_document(server_url=request.build_absolute_uri("/").rstrip("/"))


api.add_router("/threads/", thread_routes)
api.add_router("/comments/", comment_routes)


def route_methods() -> dict[str, list[str]]:
    """The methods each route accepts, by URL name, as declared on the routers above."""
    methods: dict[str, list[str]] = defaultdict(list)
    for router in (api.default_router, thread_routes, comment_routes):
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                methods[str(path_view.url_name)] += operation.methods
    return dict(methods)
