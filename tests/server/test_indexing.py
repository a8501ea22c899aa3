"""Indexing in batches (dateline/server/indexing.py): within ``batched()`` a page's many
saves queue one task, run by the real worker, which leaves the search and reference indexes
as Wagtail's and modelsearch's own per-save tasks would."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from wagtail.models import ReferenceIndex

from dateline.newsroom import actions
from dateline.newsroom.models import ArticlePage
from dateline.server import indexing
from tests.factories import make_image

pytestmark = pytest.mark.django_db(transaction=True)


def _story(section, title: str) -> ArticlePage:
    author = actions.get_or_create_author(name="Noor Salim")
    article = actions.create_article(
        section=section,
        title=title,
        body=[actions.Block("paragraph", "<p>Tides at the old harbour.</p>")],
        bylines=[author],
        lead_image=make_image(f"{title} picture"),
    )
    actions.set_publication(page=article, publication=actions.Publication("live"))
    return ArticlePage.objects.get(pk=article.pk)


def _queued() -> list[str]:
    return sorted(DBTaskResult.objects.values_list("task_path", flat=True))


def _run_worker() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("worker", "--batch", stdout=quiet)


def _references(page: ArticlePage) -> set[tuple[str, str]]:
    return {
        (ref.to_content_type.model, ref.model_path)
        for ref in ReferenceIndex.get_references_for_object(page)
    }


def test_a_batch_queues_one_task_and_indexes_as_the_per_save_tasks_do(section):
    make_image("warm-up")  # the image model's first save queues its own tasks
    DBTaskResult.objects.all().delete()
    plain = _story(section, "Unbatched quarrymen")
    per_save = _queued()
    assert len(per_save) >= 6, per_save  # Wagtail's and modelsearch's, for each save
    assert not any(path.endswith("index_objects") for path in per_save)
    _run_worker()
    DBTaskResult.objects.all().delete()

    with transaction.atomic(), indexing.batched():
        batched = _story(section, "Batched quarrymen")
    # One task for the page, its parts and the picture saved inside the batch.
    assert _queued() == ["dateline.server.indexing.index_objects"]
    assert not ArticlePage.objects.live().search("Batched")
    _run_worker()

    found = {page.pk for page in ArticlePage.objects.live().search("quarrymen")}
    assert found == {plain.pk, batched.pk}
    assert _references(batched) == _references(plain)
    assert {"author", "image"} <= {model for model, _path in _references(batched)}


def test_a_batch_that_fails_queues_nothing_and_the_next_one_starts_clean(section, monkeypatch):
    queued = []
    monkeypatch.setattr(indexing, "index_objects", SimpleNamespace(enqueue=queued.append))

    def item() -> None:
        with transaction.atomic(), indexing.batched():
            _story(section, "Never written")
            raise RuntimeError("the item failed")

    with pytest.raises(RuntimeError):
        item()
    assert queued == []  # not even a task to be rolled back with the transaction
    assert not ArticlePage.objects.filter(title="Never written").exists()
    with transaction.atomic(), indexing.batched():
        kept = _story(section, "Written")
    assert len(queued) == 1
    assert {pk for _what, _app, model, pk in queued[0] if model == "articlepage"} == {str(kept.pk)}


def test_batches_nest_and_an_object_deleted_since_is_skipped(section):
    DBTaskResult.objects.all().delete()
    with transaction.atomic(), indexing.batched():
        kept = _story(section, "Kept lighthouse")
        with indexing.batched():
            gone = _story(section, "Gone lighthouse")
        assert _queued() == []  # the inner block joins the outer one
        references_before = ReferenceIndex.objects.count()
        gone.delete()
    assert _queued() == ["dateline.server.indexing.index_objects"]
    assert ReferenceIndex.objects.count() == references_before  # nothing of it was indexed
    _run_worker()
    assert [p.pk for p in ArticlePage.objects.live().search("lighthouse")] == [kept.pk]
    assert _references(kept)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_delete_in_a_batch_removes_its_references_at_once(section):
    story = _story(section, "Dredging report")
    _run_worker()
    assert _references(story)
    with transaction.atomic(), indexing.batched():
        ArticlePage.objects.get(pk=story.pk).delete()
        assert not ReferenceIndex.objects.filter(object_id=str(story.pk)).exists()
