"""What every import reports and remembers, whatever it reads (a WordPress export, a Disqus
export): ``Report`` counts each kind of item by outcome and keeps warnings with their line in
the file; ``Memory`` is one source's ``ImportedItem`` rows, what each item of that source
became, so a second import updates instead of duplicating and an interrupted one resumes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dateline.discussion.models import Comment
from dateline.importers.models import ImportedItem

# Called with (items done, items in the file) as an import goes: the command's progress bar.
type Progress = Callable[[int, int], None]

OUTCOME_ORDER = {
    o: n
    for n, o in enumerate(
        ["created", "matched", "updated", "unchanged", "missing", "unmatched", "skipped", "failed"]
    )
}


@dataclass(frozen=True)
class Warning:
    """Something a person should look at: which item (kind and its id in the source, and the
    line in the file), and what. (``wp_id`` keeps the name the WordPress import gave it: the
    reports it wrote say so.)"""

    kind: str
    wp_id: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.kind} {self.wp_id}" if self.wp_id else self.kind
        return (
            f"line {self.line}: {where}: {self.message}"
            if self.line
            else f"{where}: {self.message}"
        )


@dataclass
class Report:
    """What an import did (or, with ``dry_run``, would do): counts per kind and outcome
    (created, updated, unchanged, failed, skipped), warnings, and what was kept as HTML."""

    source: str = ""
    dry_run: bool = False
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    warnings: list[Warning] = field(default_factory=list)
    kept_as_html: Counter[str] = field(default_factory=Counter)
    skipped_types: Counter[str] = field(default_factory=Counter)
    # Media a post shows, left out because no --media-dir was given (each post's once).
    media_left_out: int = 0
    failed: int = 0

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        if n:
            self.counts[(kind, outcome)] += n

    def warn(self, kind: str, item_id: str, line: int, message: str) -> None:
        self.warnings.append(Warning(kind, item_id, line, message))

    def fail(self, kind: str, item_id: str, line: int, message: str) -> None:
        self.failed += 1
        self.count(kind, "failed")
        self.warn(kind, item_id, line, message)

    def _outcomes(self, kind: str) -> list[tuple[str, int]]:
        found = {o: n for (k, o), n in self.counts.items() if k == kind}
        return sorted(found.items(), key=lambda pair: (OUTCOME_ORDER.get(pair[0], 99), pair[0]))

    def as_dict(self) -> dict[str, Any]:
        kinds = sorted({k for k, _o in self.counts})
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "counts": {k: dict(self._outcomes(k)) for k in kinds},
            "warnings": [
                {"kind": w.kind, "wp_id": w.wp_id, "line": w.line, "message": w.message}
                for w in self.warnings
            ],
            "kept_as_html": dict(self.kept_as_html.most_common()),
            "skipped_types": dict(self.skipped_types.most_common()),
            "media_left_out": self.media_left_out,
            "failed": self.failed,
        }

    def lines(self) -> Iterator[str]:
        """The summary for a terminal or a downloaded report, one line each."""
        yield (
            _("Would import from %(source)s:") if self.dry_run else _("Imported from %(source)s:")
        ) % {"source": self.source}
        for kind in sorted({k for k, _o in self.counts}):
            outcomes = ", ".join(f"{n} {o}" for o, n in self._outcomes(kind))
            yield f"  {kind}: {outcomes}"
        if self.skipped_types:
            yield _("  not imported (no equivalent here): %(types)s") % {
                "types": ", ".join(f"{t} {n}" for t, n in self.skipped_types.most_common())
            }
        if self.kept_as_html:
            yield _("  kept as sanitised HTML (check these): %(what)s") % {
                "what": ", ".join(f"{t} {n}" for t, n in self.kept_as_html.most_common())
            }
        if self.media_left_out:
            yield ngettext(
                "  %(n)d picture or file the stories show was left out: no --media-dir was "
                "given (each keeps its place; import again with it to add them)",
                "  %(n)d pictures or files the stories show were left out: no --media-dir was "
                "given (each keeps its place; import again with it to add them)",
                self.media_left_out,
            ) % {"n": self.media_left_out}
        if self.warnings:
            yield _("Warnings (%(n)d):") % {"n": len(self.warnings)}
            for warning in self.warnings:
                yield f"  {warning}"


class Memory:
    """``ImportedItem`` rows of one source: what each of its ids became."""

    def __init__(self, source: str) -> None:
        self.source = source
        # A first import of a source (the common case: an archive of thousands of items)
        # asks the table nothing: only ids written since could be there.
        self._rows_before = ImportedItem.objects.filter(source=source).exists()
        self._written: set[tuple[str, str]] = set()

    def _maybe_known(self, kind: str, ids: Iterable[str]) -> list[str]:
        ids = list(ids)
        return ids if self._rows_before else [i for i in ids if (kind, i) in self._written]

    def get(self, kind: str, source_id: str) -> ImportedItem | None:
        if not self._maybe_known(kind, [source_id]):
            return None
        return ImportedItem.objects.filter(
            source=self.source, kind=kind, source_id=source_id
        ).first()

    def many(self, kind: str, ids: Iterable[str]) -> dict[str, ImportedItem]:
        ids = self._maybe_known(kind, ids)
        if not ids:
            return {}
        rows = ImportedItem.objects.filter(source=self.source, kind=kind, source_id__in=ids)
        return {row.source_id: row for row in rows}

    def comments(self, ids: Iterable[str]) -> dict[str, Comment]:
        """The comments earlier imports of this source made, by their id there."""
        rows = self.many(ImportedItem.Kind.COMMENT, ids)
        key_of = {row.object_id: key for key, row in rows.items() if row.object_id}
        return {key_of[c.pk]: c for c in Comment.objects.filter(pk__in=key_of)} if key_of else {}

    def remember(self, kind: str, source_id: str, object_id: int | None, digest: str = "") -> None:
        fields = {"object_id": object_id, "digest": digest, "imported_at": timezone.now()}
        if self._maybe_known(kind, [source_id]):
            ImportedItem.objects.update_or_create(
                source=self.source, kind=kind, source_id=source_id, defaults=fields
            )
        else:
            ImportedItem.objects.create(
                source=self.source, kind=kind, source_id=source_id, **fields
            )
        self._written.add((kind, source_id))

    def remember_many(self, kind: str, rows: dict[str, int]) -> None:
        self._written.update((kind, k) for k in rows)
        ImportedItem.objects.bulk_create(
            [
                ImportedItem(source=self.source, kind=kind, source_id=k, object_id=v)
                for k, v in rows.items()
            ],
            update_conflicts=True,
            unique_fields=["source", "kind", "source_id"],
            update_fields=["object_id", "imported_at"],
        )
