"""Whole-page cache for anonymous readers, with precise invalidation by generation counters.

What is cached
    The rendered bytes and headers of reader pages — every page Wagtail serves (articles,
    sections, the home page, the feeds below them) and the Django views an app names with
    ``cache_views`` (the newsroom's author and tag pages, the sitemap) — for readers who are
    not signed in. A page is *declared* cacheable by the code that serves it:
    ``dateline.server.wagtail_hooks`` declares every Wagtail page it serves (with what
    ``page_dependencies`` says it depends on), ``cache_views`` the views. Nothing else is ever
    stored, so a new endpoint is uncached until someone decides otherwise.

When a response is stored (``_storable``)
    GET, status 200, not streamed, no ``Set-Cookie``, no ``private``/``no-cache``/``no-store``
    (Wagtail's view restrictions set those), ``Vary`` on nothing but ``Accept-Language`` and
    ``Cookie``, and no CSRF token in the body — a page that carries one is per reader.

Who is never served from (nor fills) the cache (``_bypass``)
    Requests with a session cookie (signed-in readers, editors, a password-protected page's
    visitors), the messages cookie, an ``Authorization`` header, anything other than GET/HEAD,
    and the admin, API, comment, account, media and static paths.

How a lookup works
    ``PageCacheMiddleware`` is the outermost middleware, so a hit costs a cache read and no
    session, auth, database or template work; the stored headers already include what the inner
    middleware added (security headers, ``Content-Language``, ``Vary``). The key is scheme, host,
    path, query (without ``utm_*``/``fbclid``/``gclid``) and the reader's negotiated language.

Invalidation (O(1), across processes)
    Every entry records the *generation* numbers it was rendered under: ``gen:site`` (the
    navigation, settings, authors — on every page), ``gen:page:<id>`` for the Wagtail page, and
    ``gen:lists`` for pages that list other pages (sections, feeds). Apps add counters of their
    own kinds (``gen_name("thread", 12)``). An entry whose recorded numbers differ from the
    current ones is a miss. Invalidating is incrementing a number (``bump``) — whatever the
    number of cached URLs, query strings or languages. ``dateline.server.invalidation`` bumps
    them for changes to pages and sites, and for whatever the apps register there.

    With Redis (``REDIS_URL``) the numbers live in Redis beside the pages, shared by every
    process and machine. With the local-memory cache, pages are per process but the numbers
    must still be shared by the web processes *and* the background worker (scheduled
    publishing): they live in a small memory-mapped file beside the database
    (``FileGenerations``), so a publish in any process is seen by all on the next request.

Races
    A render that read the database before a change committed must not be stored as if it
    were fresh. ``bump`` increments ``gen:any`` first, then the specific numbers, both at once and
    again when the transaction commits; a render remembers ``gen:any`` before it starts and is
    stored only if it is unchanged after it ends (the specific numbers are read before
    ``gen:any``, so a bump cannot slip between the two reads).

HTTP caching
    Stored pages go out with ``Cache-Control: public, max-age=…, stale-while-revalidate=…`` (plus
    ``s-maxage`` when a CDN is purged for us), an ``ETag`` (hash of the body) and
    ``Last-Modified``; ``If-None-Match``/``If-Modified-Since`` get a 304. Declared pages that are
    not stored (signed-in readers, per-reader content) get ``private, no-cache``. ``X-Cache``
    says ``hit``, ``miss``, ``bypass`` or ``uncacheable``.
"""

from __future__ import annotations

import contextvars
import fcntl
import hashlib
import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import DisallowedHost
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from dateline.server.requeststate import Slot

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
ENTRY_VERSION = 1

GEN_ANY = "gen:any"
GEN_SITE = "gen:site"
GEN_LISTS = "gen:lists"

# Paths that are never looked up: they are never stored either, this only saves the lookup.
NEVER_PREFIXES = (
    "/admin/",
    "/django-admin/",
    "/api/",
    "/comments/",
    "/accounts/",
    "/identity/",
    "/documents/",
    "/static/",
    "/media/",
    "/healthz",
)
BYPASS_COOKIES = ("messages",)
TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")
ALLOWED_VARY = frozenset({"accept-language", "cookie"})
NOT_STORED_HEADERS = frozenset({"x-cache", "date", "age"})


def gen_name(kind: str, key: int | str) -> str:
    """The counter of one thing of a kind: ``gen:page:12``, or an app's own kind (the
    discussion's ``gen:thread:<id>``)."""
    return f"gen:{kind}:{key}"


def page_gen(page_id: int) -> str:
    return gen_name("page", page_id)


def page_rows_gen(page_id: int) -> str:
    """The counter of a page's own rows: every save and delete of them moves it (published or
    not), and nothing shown beside the page does. A comment moves ``page_gen`` (the page's
    HTML shows it) but not this, so what a write keeps of a story outlives a burst of
    comments (``newsroom.routing.kept_story``)."""
    return gen_name("rows", page_id)


# Generation counters ------------------------------------------------------------------------


class Generations(Protocol):
    def read(self, names: Sequence[str]) -> list[int]: ...

    def bump(self, names: Sequence[str]) -> None: ...


def _seed() -> int:
    # A counter that disappeared (evicted, Redis flushed) restarts from a value it has never
    # had, so an old entry cannot match it again by chance.
    return time.time_ns() // 1000


class CacheGenerations:
    """Counters in a shared cache (Redis): one ``get_many`` per lookup, one pipeline per bump."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    def read(self, names: Sequence[str]) -> list[int]:
        found = self.cache.get_many(names)
        missing = [n for n in names if n not in found]
        for name in missing:
            self.cache.add(name, _seed(), timeout=None)
        if missing:
            found.update(self.cache.get_many(missing))
        return [int(found.get(n, -1)) for n in names]

    def bump(self, names: Sequence[str]) -> None:
        incr_counters = getattr(self.cache, "incr_counters", None)
        if incr_counters is not None:  # dateline.server.cache.RedisCache: one round trip
            incr_counters(names, start=_seed())
            return
        for name in names:
            try:
                self.cache.incr(name)
            except ValueError:
                self.cache.set(name, _seed(), timeout=None)


class FileGenerations:
    """Counters in a memory-mapped file, shared by every process on one machine that opens the
    same file. Reads take no lock (an aligned 8-byte read); bumps take an ``flock``. Names hash
    into a fixed number of slots: two pages sharing a slot only means one's change also
    invalidates the other, never a stale page."""

    SLOTS = 1 << 16
    FIXED = {GEN_ANY: 0, GEN_SITE: 1, GEN_LISTS: 2}
    FIRST_HASHED = 16

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_size < self.SLOTS * 8:
                # A new file starts from random numbers, for the same reason as ``_seed``.
                os.ftruncate(fd, 0)
                os.write(fd, os.urandom(self.SLOTS * 8))
            fcntl.flock(fd, fcntl.LOCK_UN)
            self.map = mmap.mmap(fd, self.SLOTS * 8)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def _slot(self, name: str) -> int:
        fixed = self.FIXED.get(name)
        if fixed is not None:
            return fixed * 8
        digest = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest())
        return (self.FIRST_HASHED + digest % (self.SLOTS - self.FIRST_HASHED)) * 8

    def read(self, names: Sequence[str]) -> list[int]:
        return [struct.unpack_from("<Q", self.map, self._slot(n))[0] for n in names]

    def bump(self, names: Sequence[str]) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            for name in names:
                offset = self._slot(name)
                value = struct.unpack_from("<Q", self.map, offset)[0]
                struct.pack_into("<Q", self.map, offset, (value + 1) % (1 << 64))
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


_file_generations: dict[str, FileGenerations] = {}
_file_lock = threading.Lock()


def _generation_file() -> str:
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"{db['NAME']}.pagegen"
    return f"{settings.DATA_DIR}/pagegen-{db['HOST']}-{db['PORT']}-{db['NAME']}"


def page_store() -> BaseCache:
    return caches[CACHE_ALIAS]


def generations() -> Generations:
    store = page_store()
    if not isinstance(store, LocMemCache):
        return CacheGenerations(store)
    # The file follows the database, so test runs (and xdist workers) never share counters.
    path = _generation_file()
    found = _file_generations.get(path)
    if found is None:
        with _file_lock:
            found = _file_generations.get(path)
            if found is None:
                found = _file_generations[path] = FileGenerations(Path(path))
    return found


def bump(*names: str) -> None:
    """Invalidate every cached page that depends on one of ``names``: now, so the next request
    in this transaction's own process misses, and again when the transaction commits, so no
    page rendered from data read before the commit survives. Never raises: a cache outage
    must not stop a publish or a comment."""
    if not names:
        return
    ordered = [GEN_ANY, *dict.fromkeys(names)]

    def _bump() -> None:
        _forget_numbers(ordered)
        try:
            generations().bump(ordered)
        except Exception:  # logged; entries still expire by their timeout
            logger.exception("page cache: could not invalidate %s", ", ".join(names))

    _bump()
    transaction.on_commit(_bump, robust=True)


# Fragments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fragment:
    deps: tuple[tuple[str, int], ...]
    value: Any


# The numbers one request has read, so that the site snapshot, the story's routing and each
# fragment on the page do not ask the counters (with Redis, a round trip) for the same number
# twice. A bump in the request forgets what it moved, so the request sees its own writes.
_request_numbers: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "dateline_request_numbers", default=None
)


@contextmanager
def numbers_for_request() -> Iterator[None]:
    token = _request_numbers.set({})
    try:
        yield
    finally:
        _request_numbers.reset(token)


# Counters of values kept per process (``server/kept.py``: the bans in force, the names a
# commenter may not pass for), which every comment asks for: a request's first read brings
# them along, so with Redis they cost no round trip of their own.
_read_early: list[str] = []


def read_early(name: str) -> None:
    """Read ``name`` with the first numbers every request reads (see ``_read_early``)."""
    if name not in _read_early:
        _read_early.append(name)


def read_numbers(names: Sequence[str]) -> list[int]:
    """The current numbers of ``names``; in a request, each is read once, the first time it
    is asked for. Reading early is always safe: whatever is built from rows read afterwards
    is kept under numbers no newer than those rows."""
    memo = _request_numbers.get()
    if memo is None:
        return generations().read(names)
    missing = [n for n in dict.fromkeys(names) if n not in memo]
    if missing:
        if not memo:
            missing += [n for n in _read_early if n not in missing]
        memo.update(zip(missing, generations().read(missing), strict=True))
    return [memo[n] for n in names]


def _forget_numbers(names: Sequence[str]) -> None:
    memo = _request_numbers.get()
    if memo:
        for name in names:
            memo.pop(name, None)


# Fragments this process has used lately, beside the shared store: a hit costs no cache read
# (with Redis, no round trip; locally, no unpickling). Checked against the same numbers.
MAX_LOCAL_FRAGMENTS = 512
_local_fragments: dict[str, tuple[Fragment, float]] = {}  # with when it stops counting
_local_lock = threading.Lock()


def _keep_locally(full_key: str, found: Fragment) -> None:
    with _local_lock:
        if len(_local_fragments) >= MAX_LOCAL_FRAGMENTS:
            _local_fragments.clear()
        # As long as the shared copy lives: a change that moved no number is seen in the end.
        expires = time.monotonic() + settings.DATELINE_PAGE_CACHE_TIMEOUT
        _local_fragments[full_key] = (found, expires)


def forget_local_fragments() -> None:
    """Drop this process's copies (tests, whose rolled-back rows must not outlive them)."""
    with _local_lock:
        _local_fragments.clear()


def fragment_store_key(key: str) -> str:
    return "frag:" + hashlib.blake2b(key.encode(), digest_size=20).hexdigest()


def fragment(key: str, names: Sequence[str], build: Callable[[], Any]) -> Any:
    """A part of a response that is the same for every reader (a rendered thread, a thread's
    comments as JSON), kept under the same generation numbers as whole pages: it is reused
    until one of ``names`` is bumped. Whole pages are only ever served to anonymous readers;
    fragments also serve signed-in readers and editors, and the page cache's misses.

    ``build`` must read nothing per reader, and what it returns is shared by the requests of
    a process: callers read it and never change it. The numbers are read *before* ``build``
    reads the database, so a result built from data a writer is changing is stored under
    numbers that writer's commit-time bump moves past (see "Races" above); unlike a page,
    whose numbers are only known after rendering, a fragment needs no ``gen:any`` check —
    which matters, since every comment anywhere bumps ``gen:any``."""
    if not settings.DATELINE_FRAGMENT_CACHE:
        return build()
    ordered = sorted(set(names))
    full_key = fragment_store_key(key)
    try:
        values = read_numbers(ordered)
        from dateline.server import siteconfig

        site_generation = siteconfig.generation()
        if site_generation is not None:
            # The settings this request uses were read with its site snapshot, before now: a
            # fragment built from them belongs to the snapshot's generation, not a newer one.
            values = [
                site_generation if n == GEN_SITE else v
                for n, v in zip(ordered, values, strict=True)
            ]
        deps = tuple(zip(ordered, values, strict=True))
        local, expires = _local_fragments.get(full_key, (None, 0.0))
        if local is not None and local.deps == deps and expires > time.monotonic():
            return local.value
        store = page_store()
        found = store.get(full_key)
        if isinstance(found, Fragment) and found.deps == deps:
            _keep_locally(full_key, found)
            return found.value
    except Exception:  # a cache outage only costs the work
        logger.exception("fragment cache: lookup failed")
        return build()
    value = build()
    made = Fragment(deps=deps, value=value)
    try:
        store.set(full_key, made, timeout=settings.DATELINE_PAGE_CACHE_TIMEOUT)
    except Exception:
        logger.exception("fragment cache: store failed")
    _keep_locally(full_key, made)
    return value


# Declaring a response cacheable ------------------------------------------------------------


@dataclass
class Declared:
    names: set[str]
    expires_at: float | None = None


DECLARED = Slot[Declared](
    "page cache declarations",
    doc=(
        "That this request's response may be cached, and the counters that invalidate it "
        "(``depend_on``); unset for responses nobody declared, which are never stored."
    ),
)

# Views (by URL name) whose pages are cached and the counters each depends on besides gen:site;
# filled by the apps (``cache_views``). Wagtail pages are declared by the serve hook.
_cached_views: dict[str, tuple[str, ...]] = {}
# How a Wagtail page of a registered class declares its counters (``page_dependencies``).
_page_dependencies: dict[type, Callable[[Any], Sequence[str]]] = {}


def cache_views(*view_names: str, depends_on: Sequence[str] = (GEN_LISTS,)) -> None:
    """Cache the pages of these views (URL names, ``"app:name"``), invalidated by gen:site and
    ``depends_on``. Called from an app's ``ready()``."""
    for name in view_names:
        _cached_views[name] = tuple(depends_on)


def page_dependencies(model: type, names: Callable[[Any], Sequence[str]]) -> None:
    """What a served Wagtail page of ``model`` (or a subclass) depends on, instead of the
    default: its own ``gen:page:<id>`` and ``gen:lists``, since a page that lists others
    (sections, feeds) changes with every one of them. A page that lists nothing registers
    ``lambda page: [page_gen(page.pk)]``. Called from an app's ``ready()``."""
    _page_dependencies[model] = names


def depend_on(request: HttpRequest, *names: str, expires_at: float | None = None) -> None:
    """Declare that this request's response may be cached and what invalidates it."""
    declared = DECLARED.get_or_set(request, lambda: Declared(names={GEN_SITE}))
    declared.names.update(names)
    if expires_at is not None:
        declared.expires_at = min(expires_at, declared.expires_at or expires_at)


def depend_on_page(request: HttpRequest, page: Any) -> None:
    """A Wagtail page: what its class registered (``page_dependencies``), or else its own
    changes plus every page it may list; never past the page's expiry time."""
    for model, derive in _page_dependencies.items():
        if isinstance(page, model):
            names = list(derive(page))
            break
    else:
        names = [page_gen(page.pk), GEN_LISTS]
    expire_at = getattr(page, "expire_at", None)
    depend_on(request, *names, expires_at=expire_at.timestamp() if expire_at else None)


# The middleware --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    version: int
    deps: tuple[tuple[str, int], ...]
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    last_modified: int


def _bypass(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return True
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or any(c in cookies for c in BYPASS_COOKIES):
        return True
    return request.path_info.startswith(NEVER_PREFIXES)


def _query_for_key(query: str) -> str:
    if not query or not any(p in query for p in TRACKING_PARAMS):
        return query
    kept = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if not k.startswith(TRACKING_PARAMS)
    ]
    return urlencode(kept)


def cache_key(request: HttpRequest) -> str | None:
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    language = translation.get_language_from_request(request)
    query = _query_for_key(request.META.get("QUERY_STRING", ""))
    raw = f"{request.scheme}://{host}{request.path}?{query}#{language}"
    return "page:" + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


# Which counters the entry under a key depends on, remembered per process: with Redis, a hit
# then reads the entry and its counters in one round trip instead of two.
_names_by_key: dict[str, tuple[str, ...]] = {}
_NAMES_REMEMBERED = 20_000


def _remember_names(key: str, names: tuple[str, ...]) -> None:
    if len(_names_by_key) < _NAMES_REMEMBERED or key in _names_by_key:
        _names_by_key[key] = names


def _usable(entry: object) -> Entry | None:
    if isinstance(entry, Entry) and entry.version == ENTRY_VERSION:
        return entry
    return None


def _lookup(key: str) -> Entry | None:
    store, gens = page_store(), generations()
    names = _names_by_key.get(key)
    if names is not None and isinstance(gens, CacheGenerations):
        found = store.get_many([key, *names])
        entry = _usable(found.get(key))
        if entry is None:
            return None
        if tuple(n for n, _ in entry.deps) == names and all(n in found for n in names):
            current = [found[n] for n in names]
            return entry if current == [v for _, v in entry.deps] else None
    else:
        entry = _usable(store.get(key))
        if entry is None:
            return None
    names = tuple(n for n, _ in entry.deps)
    _remember_names(key, names)
    if gens.read(names) != [v for _, v in entry.deps]:
        return None
    return entry


def _vary_ok(response: HttpResponseBase) -> bool:
    vary = response.get("Vary", "")
    return all(v.strip().lower() in ALLOWED_VARY for v in vary.split(",") if v.strip())


def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    if response.cookies or getattr(request, "is_preview", False):
        return False
    control = response.get("Cache-Control", "").lower()
    if any(word in control for word in ("private", "no-cache", "no-store")):
        return False
    if not _vary_ok(response):
        return False
    if "'nonce-" in response.get("Content-Security-Policy", ""):
        # A nonce is for one response: served again, it would be a nonce anyone could read.
        return False
    assert isinstance(response, HttpResponse)
    # A belt to the braces above: a page holding a CSRF token belongs to one reader.
    return b"csrfmiddlewaretoken" not in response.content


def _public_cache_control() -> str:
    parts = [
        "public",
        f"max-age={settings.DATELINE_PAGE_MAX_AGE}",
        f"stale-while-revalidate={settings.DATELINE_PAGE_STALE_WHILE_REVALIDATE}",
    ]
    if getattr(settings, "WAGTAILFRONTENDCACHE", None):
        # The CDN is purged on every change, so it may keep pages longer than browsers.
        parts.append(f"s-maxage={settings.DATELINE_FRONTEND_CACHE_MAX_AGE}")
    return ", ".join(parts)


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _conditional(
    request: HttpRequest,
    response: HttpResponseBase,
    *,
    etag: str,
    last_modified: int | None = None,
) -> HttpResponseBase:
    """The response, or a 304 (412) when the request's preconditions say so."""
    return (
        get_conditional_response(
            request,
            etag=etag,
            last_modified=last_modified,
            response=response,  # type: ignore[arg-type]
        )
        or response
    )


def _from_entry(entry: Entry) -> HttpResponse:
    response = HttpResponse(entry.body, status=entry.status)
    for name, value in entry.headers:
        response.headers[name] = value
    return response


class PageCacheMiddleware:
    """Outermost middleware: answers hits before anything else runs, stores what may be
    stored on the way out. See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not settings.DATELINE_PAGE_CACHE or _bypass(request):
            return self._uncached(request, self.get_response(request), "bypass")
        key = cache_key(request)
        if key is None:
            return self.get_response(request)
        try:
            entry = _lookup(key)
            if entry is not None:
                response = _conditional(
                    request, _from_entry(entry), etag=entry.etag, last_modified=entry.last_modified
                )
                response["X-Cache"] = "hit"
                return response
            any_before = generations().read([GEN_ANY])[0]
        except Exception:  # a cache outage serves uncached pages
            logger.exception("page cache: lookup failed")
            return self._uncached(request, self.get_response(request), "uncacheable")

        response = self.get_response(request)
        declared = DECLARED.get(request)
        if declared is None or not _storable(request, response):
            return self._uncached(request, response, "uncacheable")
        assert isinstance(response, HttpResponse)
        body = response.content
        now = int(time.time())
        etag = _etag(body)
        response["Cache-Control"] = _public_cache_control()
        response["ETag"] = etag
        response["Last-Modified"] = http_date(now)
        self._store(key, declared, response, etag, now, any_before)
        response = _conditional(request, response, etag=etag, last_modified=now)
        response["X-Cache"] = "miss"
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> None:
        match = request.resolver_match
        if match is not None and match.view_name in _cached_views:
            depend_on(request, *_cached_views[match.view_name])

    @staticmethod
    def _store(
        key: str,
        declared: Declared,
        response: HttpResponse,
        etag: str,
        now: int,
        any_before: int,
    ) -> None:
        names = sorted(declared.names)
        timeout = settings.DATELINE_PAGE_CACHE_TIMEOUT
        if declared.expires_at is not None:
            timeout = min(timeout, int(declared.expires_at - time.time()))
            if timeout <= 0:
                return
        try:
            # The specific numbers first, gen:any last: see "Races" in the module docstring.
            values = generations().read([*names, GEN_ANY])
            if values[-1] != any_before:
                return
            entry = Entry(
                version=ENTRY_VERSION,
                deps=tuple(zip(names, values[:-1], strict=True)),
                status=response.status_code,
                headers=tuple(
                    (k, v) for k, v in response.items() if k.lower() not in NOT_STORED_HEADERS
                ),
                body=response.content,
                etag=etag,
                last_modified=now,
            )
            page_store().set(key, entry, timeout=timeout)
            _remember_names(key, tuple(names))
        except Exception:  # not storing only costs the next reader a render
            logger.exception("page cache: store failed")

    @staticmethod
    def _uncached(request: HttpRequest, response: HttpResponseBase, why: str) -> HttpResponseBase:
        if not DECLARED.is_set(request):
            return response
        if "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_cache=True)
        response["X-Cache"] = why
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and not response.streaming
            and not response.has_header("ETag")
            and isinstance(response, HttpResponse)
        ):
            response["ETag"] = _etag(response.content)
            response = _conditional(request, response, etag=response["ETag"])
            response["X-Cache"] = why
        return response
