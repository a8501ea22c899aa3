"""What Dateline remembers about one request, in one typed place.

A request carries values that several parts of a page ask for: what the page cache may store
it under, the sections in the navigation, the signed-in commenter, the moderation count in
the admin's menu. Each is a ``Slot``: a name, a value type and a docstring, declared as a
module constant by the code that owns the value (``pagecache.DECLARED``,
``newsroom.listings.TOP_SECTIONS``, ``identity.selectors.COMMENTER``,
``discussion.admin_views.WAITING_COUNT``), and read and written only through it. The values
live in one ``RequestState`` per request, attached by ``state_of`` — the only place that sets
a Dateline attribute on a request. No middleware attaches it: requests built outside the
handler (Wagtail's previews, tests' ``RequestFactory``, emails rendered with a fake request)
get theirs on first use too.

Wagtail finds its site and settings rows on the request, under attributes of its own
(``Site.find_for_request``, ``BaseSiteSetting.for_request``); there is no other way to hand
them over, so ``give_wagtail_site`` is the one function that writes them.

Infrastructure, like the rest of ``dateline.server``: it knows no app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from wagtail.models import Site

ATTRIBUTE = "dateline_state"


class Slot[T]:
    """One value a request may carry. ``name`` is for people (debugging, ``repr``); the slot
    object itself is the key, so two slots never clash whatever their names."""

    __slots__ = ("doc", "name")

    def __init__(self, name: str, *, doc: str = "") -> None:
        self.name = name
        self.doc = doc

    def __repr__(self) -> str:
        return f"<Slot {self.name}>"

    def get(self, request: HttpRequest) -> T | None:
        """The value, or None when nothing was stored yet."""
        found: T | None = state_of(request).values.get(self)
        return found

    def is_set(self, request: HttpRequest) -> bool:
        return self in state_of(request).values

    def set(self, request: HttpRequest, value: T) -> None:
        state_of(request).values[self] = value

    def get_or_set(self, request: HttpRequest, compute: Callable[[], T]) -> T:
        """The value, computed and stored the first time it is asked for (a stored None
        counts: it is not computed again)."""
        values = state_of(request).values
        if self in values:
            found: T = values[self]
            return found
        value = values[self] = compute()
        return value

    def clear(self, request: HttpRequest) -> None:
        """Forget the value: the next ``get_or_set`` computes it again."""
        state_of(request).values.pop(self, None)


class RequestState:
    """The values one request carries, by slot."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[Slot[Any], Any] = {}

    def __repr__(self) -> str:
        return f"<RequestState {sorted(slot.name for slot in self.values)}>"


def state_of(request: HttpRequest) -> RequestState:
    """This request's state, attached on first use."""
    state: RequestState | None = getattr(request, ATTRIBUTE, None)
    if state is None:
        state = RequestState()
        setattr(request, ATTRIBUTE, state)
    return state


def give_wagtail_site(request: HttpRequest, site: Site | None, rows: Iterable[Model] = ()) -> None:
    """Hand Wagtail this request's site and its site-settings rows, where
    ``Site.find_for_request`` and ``BaseSiteSetting.for_request`` look before they query:
    Wagtail's own request attributes (``_wagtail_site``, and each settings model's
    ``get_cache_attr_name()``, with the row knowing its request as ``for_request`` leaves
    it). ``site`` None means no site serves this host, as Wagtail would have found."""
    request._wagtail_site = site  # type: ignore[attr-defined]
    for row in rows:
        row._request = request  # type: ignore[attr-defined]
        setattr(request, type(row).get_cache_attr_name(), row)  # type: ignore[attr-defined]
