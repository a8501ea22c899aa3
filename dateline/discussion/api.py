"""The discussion's JSON API (``/comments/api/``); the embed script is in ``embed.py``.

Views here only parse and answer; every read goes through ``threads.thread_page`` and every
write through ``actions``. docs/api.md describes the contract; ``openapi.py`` is its schema.

Who may call, and with what authority:

* **Cross-origin calls** (an ``Origin`` header that is not Dateline's own) are always
  anonymous guests. Cookies are ignored and ``request.user`` is replaced by an anonymous user
  before a view runs, so a page on another site can never act with a reader's Dateline
  session. CSRF is an attack on *ambient* credentials (cookies the browser adds by itself);
  with none honoured there is nothing to forge, so these calls need no CSRF token. They still
  need their origin on the allowlist to change anything, and only allowed origins get CORS
  headers (the exact origin, never ``*``, and never ``Access-Control-Allow-Credentials``).
  Edit tokens travel as ``Authorization: Bearer`` or in the body, which a browser never adds
  on its own.
* **Same-origin calls that carry cookies** go through Django's CSRF check (``X-CSRFToken``),
  exactly as a form post would; a reader signed in to comment (dateline.identity) then posts
  as themselves.
* **Calls with neither** (curl, a server) have no ambient credentials either, so no token.

Bodies must be ``application/json``: besides strict parsing, that forces a browser to send a
CORS preflight before any cross-origin write, so a plain ``<form>`` on a stranger's page cannot
reach these endpoints at all.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from dateline import ratelimits
from dateline.discussion import actions, openapi, text, threads
from dateline.discussion.models import Comment, Commenter, DiscussionSettings, Thread
from dateline.identity.selectors import current_commenter
from dateline.newsroom import routing
from dateline.newsroom.models import ArticlePage
from dateline.server import pagecache

MAX_ID = 2**63 - 1
ALLOWED_REQUEST_HEADERS = "Accept-Language, Authorization, Content-Type"
PREFLIGHT_MAX_AGE = 7200  # Chromium's ceiling
FORM_TOKEN_SALT = "dateline.discussion.api.form-token"  # noqa: S105 - a salt, not a secret
FORM_TOKEN_MAX_AGE = 24 * 3600
MAX_FIELD_LENGTH = 1000  # guest fields, honeypot; the actions give the precise limits
MAX_TITLE_LENGTH = 1000
MAX_TOKEN_LENGTH = 500
SMALL_BODY_LIMIT = 4096

POST_FIELDS = frozenset(
    {"thread", "parent", "body", "name", "email", "website", "honeypot", "form_token"}
)
EDIT_FIELDS = frozenset({"body", "edit_token"})
DELETE_FIELDS = frozenset({"edit_token"})
THREAD_FIELDS = frozenset({"article", "url", "id", "title", "origin"})


class ApiError(Exception):
    def __init__(self, status: int, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.status = status
        self.errors = dict(errors)


@dataclass(frozen=True)
class Caller:
    """Where a request comes from, decided once before any view code runs."""

    origin: str  # the Origin header, normalised; "" when the request sent none
    cross_origin: bool
    allowed: bool  # a cross-origin caller whose origin is on the allowlist
    allowed_origins: frozenset[str]
    policy: DiscussionSettings


def normalise_origin(value: str) -> str:
    origin = value.strip().rstrip("/").lower()
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if origin.startswith(f"{scheme}://") and origin.endswith(port):
            origin = origin.removesuffix(port)
    return origin


def allowed_origins(policy: DiscussionSettings) -> frozenset[str]:
    """The editors' list in the admin plus ``DATELINE_EMBED_ORIGINS`` from the environment."""
    return frozenset(
        normalise_origin(o) for o in [*policy.embed_origin_list, *settings.DATELINE_EMBED_ORIGINS]
    )


def _policy(request: HttpRequest) -> DiscussionSettings:
    try:
        return DiscussionSettings.for_request(request)
    except DiscussionSettings.DoesNotExist:
        # No Wagtail site at all (a fresh install before setup): the defaults still answer.
        return DiscussionSettings()


def own_origins(request: HttpRequest) -> set[str]:
    """The site's own origin and the exact trusted ones, normalised (forms and the API)."""
    own = {normalise_origin(f"{request.scheme}://{request.get_host()}")}
    own.update(normalise_origin(o) for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o)
    return own


def caller_for(request: HttpRequest) -> Caller:
    policy = _policy(request)
    allowed = allowed_origins(policy)
    raw = request.headers.get("Origin")
    if raw is None:
        return Caller("", False, False, allowed, policy)
    origin = normalise_origin(raw)
    cross = origin not in own_origins(request)
    return Caller(origin, cross, cross and origin in allowed, allowed, policy)


# Responses -------------------------------------------------------------------------------


def _json(data: Mapping[str, Any], status: int = HTTPStatus.OK) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _error(status: int, errors: Mapping[str, str]) -> JsonResponse:
    return _json({"errors": {k: str(v) for k, v in errors.items()}}, status)


def _rate_limited(error: ratelimits.RateLimited) -> JsonResponse:
    message = error.message or _("Too many requests. Please wait a moment and try again.")
    response = _json(
        {"errors": {"__all__": str(message)}, "retry_after": error.retry_after},
        HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(error.retry_after)
    return response


def _csrf_protected(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    """A stand-in view without ``csrf_exempt``, so CsrfViewMiddleware checks the request."""
    raise NotImplementedError


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    # A fresh instance: the middleware caches CSRF_TRUSTED_ORIGINS on itself.
    if CsrfViewMiddleware(_csrf_protected).process_view(request, _csrf_protected, (), {}) is None:
        return None
    return _error(
        HTTPStatus.FORBIDDEN,
        {"__all__": _("The security check failed. Please reload the page and try again.")},
    )


def _preflight(caller: Caller, allow: str) -> HttpResponse:
    if caller.cross_origin and not caller.allowed:
        return _error(
            HTTPStatus.FORBIDDEN,
            {"__all__": _("This site is not allowed to host a Dateline discussion.")},
        )
    response = HttpResponse(status=HTTPStatus.NO_CONTENT)
    response["Allow"] = allow
    if caller.allowed:
        response["Access-Control-Allow-Methods"] = allow
        response["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


Handler = Callable[..., HttpResponse]


def api_endpoint(*methods: str) -> Callable[[Handler], Callable[..., HttpResponse]]:
    """Wrap a handler ``(request, caller, **kwargs)`` with the API's rules: preflight, allowed
    methods, origin policy, CSRF for cookie-bearing same-origin writes, CORS headers, and JSON
    errors for everything a caller can get wrong."""
    accepted = {*methods, "HEAD"} if "GET" in methods else set(methods)
    allow = ", ".join([*methods, "OPTIONS"])

    def decorate(handler: Handler) -> Callable[..., HttpResponse]:
        @csrf_exempt  # checked below, only where cookies could carry authority
        @functools.wraps(handler)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            caller = caller_for(request)
            if caller.cross_origin:
                # Never act as a signed-in reader for another site's page (see module doc).
                request.user = AnonymousUser()
            response = _dispatch(request, caller, handler, accepted, allow, kwargs)
            patch_vary_headers(response, ("Origin",))
            if not response.has_header("Cache-Control"):
                patch_cache_control(response, no_store=True)
            if caller.allowed:
                response["Access-Control-Allow-Origin"] = caller.origin
                response["Access-Control-Expose-Headers"] = "Retry-After"
            return response

        return view

    return decorate


def _dispatch(
    request: HttpRequest,
    caller: Caller,
    handler: Handler,
    accepted: set[str],
    allow: str,
    kwargs: dict[str, Any],
) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight(caller, allow)
    if request.method not in accepted:
        response = _error(
            HTTPStatus.METHOD_NOT_ALLOWED,
            {"__all__": _("This address does not accept %(method)s.") % {"method": request.method}},
        )
        response["Allow"] = allow
        return response
    if request.method not in {"GET", "HEAD"}:
        if caller.cross_origin and not caller.allowed:
            return _error(
                HTTPStatus.FORBIDDEN,
                {"__all__": _("This site is not allowed to host a Dateline discussion.")},
            )
        if not caller.cross_origin and request.COOKIES:
            failure = _csrf_failure(request)
            if failure is not None:
                return failure
    try:
        return handler(request, caller, **kwargs)
    except ApiError as error:
        return _error(error.status, error.errors)
    except actions.CommentError as error:
        return _error(error.status_code, error.errors)
    except ratelimits.RateLimited as error:
        return _rate_limited(error)


# Reading untrusted JSON --------------------------------------------------------------------


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _first_invalid_text(data: Any) -> str | None:
    """The top-level field holding a string that is not valid Unicode (a lone surrogate from
    a ``\\ud800`` escape), or None. Such strings cannot be stored or even sent back."""
    stack: list[tuple[str, Any]] = [("__all__", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if _first_invalid_text(key) is not None:
                    return "__all__"
                stack.append((key if value is data else where, item))
        elif isinstance(value, list):
            stack.extend((where, item) for item in value)
    return None


def body_limit(policy: DiscussionSettings) -> int:
    # A comment at the length limit written entirely in escaped astral characters
    # ("\ud83d\ude00" is 12 bytes for one character), plus room for the other fields.
    return 12 * policy.max_length + 16_384


def read_json_object(request: HttpRequest, *, limit: int, optional: bool = False) -> dict[str, Any]:
    """The request's body as a JSON object, or an ``ApiError`` saying what is wrong with it."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        raise ApiError(HTTPStatus.BAD_REQUEST, {"__all__": _("The Content-Length is not valid.")})
    too_large = ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"__all__": _("The request is too large.")}
    )
    if int(declared) > limit:
        raise too_large
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(raw) > limit:
        raise too_large
    if not raw:
        if optional:
            return {}
        raise ApiError(HTTPStatus.BAD_REQUEST, {"__all__": _("The request is empty.")})
    content_type = (request.content_type or "").lower()
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if content_type != "application/json" or charset not in {"utf-8", "utf8"}:
        raise ApiError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            {"__all__": _("Send the request as JSON (Content-Type: application/json).")},
        )
    invalid = ApiError(HTTPStatus.BAD_REQUEST, {"__all__": _("The request is not valid JSON.")})
    try:
        decoded = raw.decode("utf-8")
        data = json.loads(
            decoded, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants
        )
    except _DuplicateKeyError:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, {"__all__": _("The request names the same field twice.")}
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid from None
    if not isinstance(data, dict):
        raise ApiError(HTTPStatus.BAD_REQUEST, {"__all__": _("The request must be a JSON object.")})
    where = _first_invalid_text(data)
    if where is not None:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, {where: _("This contains text that is not valid UTF-8.")}
        )
    return data


def _only_fields(data: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = {key: _("This field is not part of the API.") for key in data if key not in known}
    if unknown:
        raise ApiError(HTTPStatus.BAD_REQUEST, unknown)


def _string(data: Mapping[str, Any], name: str, *, max_length: int | None = None) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApiError(HTTPStatus.BAD_REQUEST, {name: _("This must be a string.")})
    if max_length is not None and len(value) > max_length:
        raise ApiError(HTTPStatus.BAD_REQUEST, {name: _("This is too long.")})
    return value


def _optional_id(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    # bool is an int in Python; "true" is not an id.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ApiError(HTTPStatus.BAD_REQUEST, {name: _("This must be a positive whole number.")})
    return value


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


def _thread_ref(data: Mapping[str, Any], *, from_query: bool) -> ThreadRef:
    if from_query:
        raw_article = data.get("article", "")
        article_id: int | None = None
        if raw_article:
            if not (raw_article.isascii() and raw_article.isdigit() and len(raw_article) <= 18):
                raise ApiError(HTTPStatus.BAD_REQUEST, {"article": _("This must be a story id.")})
            article_id = int(raw_article) or None
    else:
        article_id = _optional_id(data, "article")
    ref = ThreadRef(
        article_id=article_id,
        page_url=_string(data, "url", max_length=actions.MAX_PAGE_URL_LENGTH).strip(),
        thread_id=_string(data, "id", max_length=200).strip(),
        title=" ".join(_string(data, "title", max_length=MAX_TITLE_LENGTH).split()),
        origin=_string(data, "origin", max_length=300).strip(),
    )
    if article_id is not None and (ref.page_url or ref.thread_id):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            {"thread": _("Name either a story or a page of another site, not both.")},
        )
    if article_id is None and not (ref.page_url or ref.thread_id):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            {"thread": _("Say which discussion: a story id, a page address or a discussion id.")},
        )
    if ref.page_url:
        try:
            actions.normalise_page_url(ref.page_url)
        except actions.CommentError:
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
        parts = urlsplit(actions.normalise_page_url(ref.page_url))
        return f"{parts.scheme}://{parts.netloc}"
    raise ApiError(
        HTTPStatus.BAD_REQUEST,
        {"origin": _("Say which site the discussion belongs to, or give the page address.")},
    )


# What the API needs of a story: whether it is open for comments (comments_open) and what a new
# thread records (thread_for_article). Building the query for every column of Wagtail's page
# tables cost more than running it.
ARTICLE_FIELDS = (
    "id",
    "path",
    "depth",
    "title",
    "slug",
    "url_path",
    "live",
    "comments_enabled",
    "published_at",
    "first_published_at",
    "expire_at",
    "content_type",
)


ARTICLE_THREAD_FIELDS = tuple(f"discussion_thread__{f.name}" for f in Thread._meta.concrete_fields)


def _published_article(article_id: int, *, for_writing: bool = False) -> ArticlePage:
    # The thread comes with the story (one query): reads and posts both need it. Between
    # changes to the story, reads get the process's kept copy (dateline.newsroom.routing);
    # writes always read the rows.
    def load() -> ArticlePage | None:
        return (
            ArticlePage.objects.published()
            .only(*ARTICLE_FIELDS, *ARTICLE_THREAD_FIELDS)
            .select_related("discussion_thread")
            .filter(pk=article_id)
            .first()
        )

    if for_writing:
        article = load()
    else:
        article = routing.kept_story(key=("api", article_id), story_id=article_id, load=load)
    if article is not None and article.is_expired():
        # Past its expiry time, even if the worker has not unpublished it yet (published()).
        article = None
    if article is None:
        raise ApiError(HTTPStatus.NOT_FOUND, {"thread": _("There is no such story.")})
    return article


def find_thread(ref: ThreadRef, caller: Caller) -> tuple[Thread, bool]:
    """The thread, and whether it exists. A thread nobody has commented on yet is answered
    with an unsaved stand-in: reading must never create anything."""
    if ref.article_id is not None:
        article = _published_article(ref.article_id)
        thread = threads.thread_of(article)
        if thread is None:
            return Thread(key=f"article:{article.pk}", article=article, title=article.title), False
        return thread, True
    key, url = actions.embed_thread_key(
        origin=_embed_origin(ref, caller),
        allowed_origins=caller.allowed_origins,
        page_url=ref.page_url,
        thread_id=ref.thread_id,
    )
    existing = Thread.objects.filter(key=key).first()
    if existing is None:
        return Thread(key=key, url=url[:500], title=ref.title[:255]), False
    return existing, True


def thread_for_writing(ref: ThreadRef, caller: Caller) -> Thread:
    if ref.article_id is not None:
        article = _published_article(ref.article_id, for_writing=True)
        return threads.thread_of(article) or actions.thread_for_article(article=article)
    return actions.thread_for_embed(
        origin=_embed_origin(ref, caller),
        allowed_origins=caller.allowed_origins,
        page_url=ref.page_url,
        thread_id=ref.thread_id,
        title=ref.title[:255],
    )


def thread_json(thread: Thread, policy: DiscussionSettings) -> dict[str, Any]:
    return {
        "key": thread.key,
        "count": thread.approved_count,
        "open": actions.comments_open(thread=thread, policy=policy),
        "heading": policy.heading or _("Leave a Reply"),
        "order": policy.order,
        "max_depth": policy.max_depth,
        "max_length": policy.max_length,
    }


def comment_json(comment: Comment, replies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What anyone may see of a comment. Not approved: a placeholder, never its content."""
    shown = comment.status == Comment.Status.APPROVED
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "depth": comment.depth,
        "author": {
            "name": comment.author_name if shown else "",
            "website": (comment.author_website or None) if shown else None,
        },
        "html": comment.body_html if shown else "",
        "created": comment.created_at.isoformat(),
        "edited": comment.edited_at.isoformat() if shown and comment.edited_at else None,
        "removed": not shown,
        "replies": replies or [],
    }


def own_comment_json(comment: Comment) -> dict[str, Any]:
    """The poster's own view of what they just sent, held or not: it goes only to them."""
    data = comment_json(comment)
    data.update(
        author={"name": comment.author_name, "website": comment.author_website or None},
        html=comment.body_html,
        edited=comment.edited_at.isoformat() if comment.edited_at else None,
        removed=False,
    )
    return data


def _node_json(node: threads.Node) -> dict[str, Any]:
    data = comment_json(node.comment, [_node_json(child) for child in node.children])
    if node.more_replies and node.replies_cursor:
        # The rest of a long subthread: GET comments/<id>/replies/?cursor=<replies_next>.
        data["more_replies"] = node.more_replies
        data["replies_next"] = node.replies_cursor
    return data


def form_token() -> str:
    return signing.dumps(int(time.time() * 1000), salt=FORM_TOKEN_SALT)


def seconds_to_write(token: str) -> float | None:
    """Seconds since the form was shown, from the token the thread read handed out. Missing or
    expired: unknown. Forged: as suspicious as posting at once."""
    if not token:
        return None
    try:
        shown = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return None
    except signing.BadSignature:
        return 0.0
    if isinstance(shown, bool) or not isinstance(shown, int):
        return 0.0
    return max(0.0, time.time() - shown / 1000)


# Endpoints --------------------------------------------------------------------------------


@api_endpoint("GET")
def thread_detail(request: HttpRequest, caller: Caller) -> HttpResponse:
    ref = _thread_ref(request.GET, from_query=True)
    cursor = request.GET.get("cursor") or None
    if cursor is not None:
        try:
            threads.Cursor.decode(cursor)
        except threads.InvalidCursor:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                {"cursor": _("This page of comments does not exist. Start from the first page.")},
            ) from None
    thread, exists = find_thread(ref, caller)

    def comments() -> dict[str, Any]:
        page = threads.thread_page(
            thread=thread if exists else None, policy=caller.policy, cursor=cursor
        )
        return {
            "comments": [_node_json(node) for node in page.nodes],
            "next": page.next_cursor,
            "previous": page.previous_cursor,
        }

    # The same for every caller: shared through the fragment cache until the thread changes
    # (gen:site covers the page size and order).
    part = (
        pagecache.fragment(
            f"thread-json|{thread.pk}|{caller.policy.pk}|{cursor or ''}",
            [pagecache.GEN_SITE, pagecache.thread_gen(thread.pk)],
            comments,
        )
        if exists
        else comments()
    )
    response = _json(
        {"thread": thread_json(thread, caller.policy), **part, "form_token": form_token()}
    )
    # Public, but new comments should show on the next load; the form token is per response.
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


def _meta(
    request: HttpRequest, *, honeypot: str, token: str, permalink: str
) -> actions.RequestMeta:
    def printable(value: str, limit: int) -> str:
        return "".join(ch for ch in value if ch.isprintable())[:limit]

    return actions.RequestMeta(
        ip_address=request.META.get("REMOTE_ADDR", ""),
        user_agent=printable(request.headers.get("User-Agent", ""), 255),
        referrer=printable(request.headers.get("Referer", ""), 500),
        honeypot=honeypot,
        seconds_to_write=seconds_to_write(token),
        permalink=permalink,
    )


def _precheck(*, body: str, guest: actions.GuestDetails | None, policy: DiscussionSettings) -> None:
    """The field checks ``post_comment`` makes first, made before the thread is created, so a
    refused first comment does not leave an empty thread behind."""
    errors: dict[str, str] = {}
    try:
        source = text.check_and_normalise(
            body, max_length=policy.max_length, field_label=_("Your comment")
        )
        if not source.strip():
            errors["body"] = _("Please write a comment.")
    except text.TextError as error:
        errors["body"] = str(error)
    if guest is not None:
        try:
            actions.clean_guest(guest)
        except actions.CommentError as error:
            errors.update(error.errors)
    if errors:
        raise actions.CommentError(errors)


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
) -> HttpResponse:
    """``shown_status`` (201 for a new comment, 200 for an edit) when shown at once; 202 when
    held."""
    held = comment.status != Comment.Status.APPROVED
    data: dict[str, Any] = {
        # Spam is reported as "pending" like any held comment: telling a spammer which of their
        # comments the filter caught teaches them to get past it.
        "status": "pending" if held else "approved",
        "comment": own_comment_json(comment),
    }
    if edit_token is not None:
        data["edit_token"] = edit_token
        data["edit_window_minutes"] = policy.edit_window_minutes
    if held:
        data["message"] = _("Your comment is awaiting moderation.")
    return _json(data, HTTPStatus.ACCEPTED if held else shown_status)


@api_endpoint("POST")
def comment_create(request: HttpRequest, caller: Caller) -> HttpResponse:
    policy = caller.policy
    data = read_json_object(request, limit=body_limit(policy))
    _only_fields(data, POST_FIELDS)
    raw_thread = data.get("thread")
    if not isinstance(raw_thread, dict):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            {"thread": _("Say which discussion: a story id, a page address or a discussion id.")},
        )
    _only_fields(raw_thread, THREAD_FIELDS)
    ref = _thread_ref(raw_thread, from_query=False)
    body = _string(data, "body")
    guest = actions.GuestDetails(
        name=_string(data, "name", max_length=MAX_FIELD_LENGTH),
        email=_string(data, "email", max_length=MAX_FIELD_LENGTH),
        website=_string(data, "website", max_length=MAX_FIELD_LENGTH),
    )
    parent_id = _optional_id(data, "parent")
    honeypot = _string(data, "honeypot", max_length=MAX_FIELD_LENGTH)
    token = _string(data, "form_token", max_length=MAX_TOKEN_LENGTH)

    commenter = signed_in_commenter(request, caller)
    # A signed-in reader posts as themselves; the guest fields are then ignored.
    _precheck(body=body, guest=None if commenter else guest, policy=policy)
    thread = thread_for_writing(ref, caller)
    posted = actions.post_comment(
        thread=thread,
        body=body,
        policy=policy,
        meta=_meta(request, honeypot=honeypot, token=token, permalink=thread.url),
        guest=None if commenter else guest,
        commenter=commenter,
        parent_id=parent_id,
    )
    return _posted(posted.comment, edit_token=posted.edit_token, policy=policy)


def _edit_token(request: HttpRequest, data: Mapping[str, Any]) -> str:
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()[:MAX_TOKEN_LENGTH]
    return _string(data, "edit_token", max_length=MAX_TOKEN_LENGTH)


@api_endpoint("PATCH", "DELETE")
def comment_detail(request: HttpRequest, caller: Caller, comment_id: int) -> HttpResponse:
    policy = caller.policy
    comment = Comment.objects.select_related("commenter", "thread").filter(pk=comment_id).first()
    if request.method == "DELETE":
        data = read_json_object(request, limit=SMALL_BODY_LIMIT, optional=True)
        _only_fields(data, DELETE_FIELDS)
        if comment is None:
            raise ApiError(HTTPStatus.NOT_FOUND, {"__all__": _("There is no such comment.")})
        actions.delete_own_comment(comment=comment, token=_edit_token(request, data), policy=policy)
        return HttpResponse(status=HTTPStatus.NO_CONTENT)
    data = read_json_object(request, limit=body_limit(policy))
    _only_fields(data, EDIT_FIELDS)
    if comment is None:
        raise ApiError(HTTPStatus.NOT_FOUND, {"__all__": _("There is no such comment.")})
    if "body" not in data:
        raise ApiError(HTTPStatus.BAD_REQUEST, {"body": _("Please write a comment.")})
    edited = actions.edit_comment(
        comment=comment,
        token=_edit_token(request, data),
        body=_string(data, "body"),
        policy=policy,
    )
    return _posted(edited, edit_token=None, policy=policy, shown_status=HTTPStatus.OK)


@api_endpoint("GET")
def comment_replies(request: HttpRequest, caller: Caller, comment_id: int) -> HttpResponse:
    """The replies under a top-level comment after those its thread page includes."""
    root = threads.replied_comment(comment_id)
    if root is None:
        raise ApiError(HTTPStatus.NOT_FOUND, {"__all__": _("There is no such comment.")})
    if root.thread.article_id is not None:
        _published_article(root.thread.article_id)  # not found once the story is not shown
    try:
        page = threads.reply_page(root=root, cursor=request.GET.get("cursor") or None)
    except threads.InvalidCursor:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            {"cursor": _("This page of replies does not exist. Start from the thread.")},
        ) from None
    response = _json(
        {
            "comments": [_node_json(child) for child in page.root.children],
            "next": page.next_cursor,
            "more": page.more_replies,
        }
    )
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


@api_endpoint("GET")
def openapi_schema(request: HttpRequest, caller: Caller) -> HttpResponse:
    response = _json(openapi.schema(server_url=request.build_absolute_uri("/").rstrip("/")))
    patch_cache_control(response, public=True, max_age=3600)
    return response


@api_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request: HttpRequest, caller: Caller) -> HttpResponse:
    raise ApiError(
        HTTPStatus.NOT_FOUND,
        {
            "__all__": _("There is nothing at this address. The API is described at %(url)s.")
            % {"url": "/comments/api/openapi.json"}
        },
    )
