"""Search and reference indexes brought up to date once per batch of writes.

Every saved page, image or document is re-indexed by a task: Wagtail queues one for its
reference index and modelsearch one for the search index, on every save. Creating and
publishing an imported story saves it and its parts ten times over, so an archive of 10,000
stories queued 100,000 tasks, each re-reading its object. Within ``batched()`` the saves are
noted instead, and one task, queued in the caller's transaction (a crash loses neither the
write nor its indexing), indexes each object once.

Wagtail's reference index has a switch for this (``disable_reference_index_auto_update``);
modelsearch's receiver has none, so it is replaced by one that notes the save while batching
and otherwise does exactly what it did. This app comes after modelsearch and Wagtail in
INSTALLED_APPS, whose receivers it wraps; it knows no Dateline app.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.local import Local
from django.apps import AppConfig, apps
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.tasks import task
from modelcluster.fields import ParentalKey

logger = logging.getLogger(__name__)
_state = Local()

# An object noted for indexing: (what to update, app label, model name, primary key).
Noted = tuple[str, str, str, str]
SEARCH, REFERENCES = "search", "references"


class IndexingConfig(AppConfig):
    name = "dateline.server.indexing"
    label = "dateline_indexing"
    verbose_name = "Indexing in batches"

    def ready(self) -> None:
        from modelsearch import index
        from modelsearch.signal_handlers import post_save_signal_handler

        for model in index.get_indexed_models():
            if post_save.disconnect(post_save_signal_handler, sender=model):
                post_save.connect(_search_on_save, sender=model)
        # Saves of every model, as Wagtail may track more later (admin viewsets register
        # theirs when the URLconf loads, perhaps in the middle of a batch).
        post_save.connect(_references_on_save)
        _follow_deletes()


_followed: set[type[Model]] = set()


def _follow_deletes() -> None:
    """Receive the deletes of the models Wagtail tracks references of. Per model, as Wagtail
    connects its own: a receiver for every model would take Django's fast path away from
    every queryset delete. A model Wagtail starts tracking during a batch is followed from
    the next one (an import deletes none)."""
    from wagtail.models import ReferenceIndex

    for model in ReferenceIndex.tracked_models - _followed:
        post_delete.connect(_references_on_delete, sender=model)
        _followed.add(model)


@contextmanager
def batched() -> Iterator[None]:
    """Within the block, saves are indexed once, by one task queued when the block ends
    (nested blocks join the outermost). Use it inside the transaction of the writes, so the
    task is queued with them or not at all."""
    from wagtail.signal_handlers import disable_reference_index_auto_update

    if getattr(_state, "noted", None) is not None:
        yield
        return
    _follow_deletes()
    _state.noted = noted = set[Noted]()
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        del _state.noted
    if noted:
        index_objects.enqueue(sorted(noted))


def _note(what: str, instance: Model) -> None:
    if what == REFERENCES:
        # A page's bylines and such are indexed as part of the page (as Wagtail's task does).
        while parent := next(
            (f for f in instance._meta.get_fields() if isinstance(f, ParentalKey)), None
        ):
            instance = getattr(instance, parent.name)
            if instance is None:  # a part belonging to nothing: nothing to index
                return
    meta = instance._meta
    _state.noted.add((what, meta.app_label, meta.model_name or "", str(instance.pk)))


def _search_on_save(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    from modelsearch.signal_handlers import post_save_signal_handler

    if getattr(_state, "noted", None) is None:
        post_save_signal_handler(instance, **kwargs)
    elif not kwargs.get("raw", False):
        _note(SEARCH, instance)


def _references_on_save(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    # Called for every save in the process: outside a batch it does nothing, at once.
    if getattr(_state, "noted", None) is None or kwargs.get("raw", False):
        return
    from wagtail.models import ReferenceIndex

    if sender in ReferenceIndex.tracked_models:
        _note(REFERENCES, instance)


def _references_on_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    # Wagtail's switch turns off its removal on delete too: done here, at once, as Wagtail would.
    if getattr(_state, "noted", None) is not None:
        from wagtail.models import ReferenceIndex

        ReferenceIndex.remove_for_object(instance)
        ReferenceIndex.remove_references_to(instance)


@task()
def index_objects(noted: list[Noted]) -> None:
    """Bring the search and reference indexes up to date for objects saved in a batch, each
    once (an object deleted since is skipped), by the same code Wagtail's and modelsearch's
    own tasks run."""
    from modelsearch.tasks import insert_or_update_object_task
    from wagtail.tasks import update_reference_index_task

    runners = {SEARCH: insert_or_update_object_task, REFERENCES: update_reference_index_task}
    for what, app_label, model_name, pk in dict.fromkeys(map(tuple, noted)):
        model = apps.get_model(app_label, model_name)
        if not model._default_manager.filter(pk=pk).exists():
            continue
        try:
            runners[what].call(app_label, model_name, pk)
        except Exception:
            # One object's failure must not leave the rest of its batch unindexed (each had
            # a task of its own before). `dateline update_index` and `dateline
            # rebuild_references_index` repair what it missed.
            logger.exception("indexing %s %s.%s %s failed", what, app_label, model_name, pk)
