"""Moving a WordPress site in: ``import_wordpress`` reads an export (WXR) twice as a stream and
writes each item in its own transaction, through the newsroom's and the discussion's own
writes. The ``import-wordpress`` command and the admin's background import both call it.

The first pass only reads: the site, its authors and terms, what every attachment is, how
many items there are. A malformed file is refused there, before anything is written. The
second pass imports posts and pages one by one with their comments and old addresses. Each
item's outcome is remembered (``ImportedItem``: source, kind, WordPress id → Dateline row,
digest), so a second run of the same export changes nothing, a newer export updates what
changed, and a run that was interrupted carries on where it stopped.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import logging
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from taggit.models import Tag
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.documents.models import AbstractDocument
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage
from wagtail.models import Page, Site

from dateline.discussion import actions as discussion
from dateline.discussion import targets
from dateline.discussion.models import Comment, DiscussionSettings, Mention
from dateline.importers.models import ImportedItem
from dateline.importers.report import Memory, Progress, Report
from dateline.importers.wordpress import content as converter
from dateline.importers.wordpress import wxr
from dateline.importers.wordpress.comment_text import comment_markdown
from dateline.newsroom import actions as newsroom
from dateline.newsroom.models import ArticlePage, Author, HomePage, SectionPage, StandardPage
from dateline.notifications import actions as notifications
from dateline.server import indexing

logger = logging.getLogger(__name__)

Kind = ImportedItem.Kind
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"}
# WordPress's resized copies: photo-300x200.jpg and photo-scaled.jpg are photo.jpg.
_SIZE_SUFFIX = re.compile(r"-(?:\d+x\d+|scaled|rotated)(?=\.[A-Za-z0-9]+$)")
_COMMENT_STATUS = {
    "1": Comment.Status.APPROVED,
    "approve": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "hold": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.TRASH,
    "post-trashed": Comment.Status.TRASH,
}
MAX_TITLE = 255
MAX_STANDFIRST = 600


# The first pass: what the file holds --------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    wp_id: str
    title: str
    url: str
    path: str  # relative to wp-content/uploads (``_wp_attached_file``), or from the URL
    alt: str
    parent_id: str
    line: int


@dataclass
class Scan:
    channel: wxr.Channel | None = None
    authors: list[wxr.Author] = field(default_factory=list)
    terms: list[wxr.Term] = field(default_factory=list)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    by_path: dict[str, str] = field(default_factory=dict)  # upload path → attachment id
    items: int = 0  # posts and pages

    @property
    def source(self) -> str:
        return f"wordpress:{self.channel.site_key if self.channel else 'wordpress'}"


def upload_path(url: str) -> str:
    """Where a WordPress media address points inside ``wp-content/uploads`` (WordPress.com:
    ``files.wordpress.com/2020/11/x.jpg``), without the size WordPress resized it to."""
    path = unquote(urlsplit(url.strip()).path)
    for marker in ("/wp-content/uploads/", "/files/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        if "files.wordpress.com" not in url:
            return ""
        path = path.lstrip("/")
    return _SIZE_SUFFIX.sub("", posixpath.normpath(path).lstrip("/"))


def scan(path: str | Path) -> Scan:
    """Read the whole file once, keeping only what the second pass needs; ``WXRError`` for a
    file that is not a well-formed WordPress export."""
    found = Scan()
    for entry in wxr.read(path):
        if isinstance(entry, wxr.Channel):
            found.channel = entry
        elif isinstance(entry, wxr.Author):
            found.authors.append(entry)
        elif isinstance(entry, wxr.Term):
            found.terms.append(entry)
        elif entry.post_type == "attachment":
            rel = entry.meta.get("_wp_attached_file", "").strip().lstrip("/") or upload_path(
                entry.attachment_url or entry.guid
            )
            found.attachments[entry.wp_id] = Attachment(
                wp_id=entry.wp_id,
                title=entry.title,
                url=entry.attachment_url or entry.guid,
                path=rel,
                alt=entry.meta.get("_wp_attachment_image_alt", "").strip(),
                parent_id=entry.parent_id,
                line=entry.line,
            )
            if rel:
                found.by_path[_SIZE_SUFFIX.sub("", rel)] = entry.wp_id
        elif entry.post_type in {"post", "page"}:
            found.items += 1
    return found


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# Media ----------------------------------------------------------------------------------------


class Media:
    """Attachments as Wagtail images and documents, made from ``media_dir`` (a copy of
    ``wp-content/uploads``) the first time something needs them; implements
    ``content.MediaResolver`` for one post at a time."""

    def __init__(
        self, *, found: Scan, memory: Memory, media_dir: Path | None, report: Report, dry_run: bool
    ) -> None:
        self.found, self.memory, self.media_dir = found, memory, media_dir
        self.report, self.dry_run = report, dry_run
        self.post_id = ""
        self.resolved: dict[str, int | None] = {}
        self._cache: dict[str, AbstractImage | AbstractDocument | None] = {}

    def for_post(self, wp_id: str) -> Media:
        self.post_id, self.resolved = wp_id, {}
        return self

    def _file(self, rel: str) -> Path | None:
        if not rel or self.media_dir is None:
            return None
        candidate = (self.media_dir / rel).resolve()
        # Never outside the directory given, whatever the export says.
        if not candidate.is_relative_to(self.media_dir.resolve()) or not candidate.is_file():
            return None
        return candidate

    def _attachment_for(self, *, url: str, wp_id: int | str | None) -> Attachment | None:
        if wp_id and str(wp_id) in self.found.attachments:
            return self.found.attachments[str(wp_id)]
        rel = upload_path(url)
        attachment_id = self.found.by_path.get(rel)
        if attachment_id:
            return self.found.attachments[attachment_id]
        if rel:  # a file in the uploads that no attachment item describes
            return Attachment(
                wp_id=f"file:{rel}",
                title=posixpath.basename(rel),
                url=url,
                path=rel,
                alt="",
                parent_id="",
                line=0,
            )
        return None

    def _get(
        self, attachment: Attachment, *, as_image: bool, alt: str = ""
    ) -> AbstractImage | AbstractDocument | None:
        key = attachment.wp_id
        if key in self._cache:
            made = self._cache[key]
        else:
            made = self._load_or_make(attachment, as_image=as_image, alt=alt)
            self._cache[key] = made
        self.resolved[attachment.url or key] = made.pk if made is not None else None
        if made is None:
            return None
        wanted = get_image_model() if as_image else get_document_model()
        return made if isinstance(made, wanted) else None

    def _load_or_make(
        self, attachment: Attachment, *, as_image: bool, alt: str
    ) -> AbstractImage | AbstractDocument | None:
        is_image = Path(attachment.path).suffix.lower() in IMAGE_EXTENSIONS
        model = get_image_model() if is_image else get_document_model()
        row = self.memory.get(Kind.ATTACHMENT, attachment.wp_id)
        if row is not None and row.object_id is not None:
            existing = model.objects.filter(pk=row.object_id).first()
            if existing is not None:
                return existing
        path = self._file(attachment.path)
        if path is None:
            if (row is None or self.dry_run) and self.media_dir is not None:
                self.report.warn(
                    "attachment",
                    attachment.wp_id,
                    attachment.line,
                    _(
                        "the file %(file)s was not found in %(dir)s; add it in the admin "
                        "later, or import again once it is there"
                    )
                    % {"file": attachment.path or attachment.url, "dir": self.media_dir},
                )
            if row is None or self.dry_run:
                self.report.count("attachment", "missing")
                if not self.dry_run:
                    self.memory.remember(Kind.ATTACHMENT, attachment.wp_id, None)
            return None
        if self.dry_run:
            self.report.count("attachment", "created")
            return None
        try:
            with transaction.atomic(), indexing.batched(), path.open("rb") as handle:
                if is_image:
                    made: AbstractImage | AbstractDocument = model.objects.create(
                        title=(attachment.title or path.name)[:255],
                        file=File(handle, name=path.name),
                        description=(attachment.alt or alt)[:255],
                    )
                else:
                    made = model.objects.create(
                        title=(attachment.title or path.name)[:255],
                        file=File(handle, name=path.name),
                    )
                self.memory.remember(Kind.ATTACHMENT, attachment.wp_id, made.pk)
        except Exception as error:  # noqa: BLE001 - a broken file is a warning, never the end of the run
            self.report.warn(
                "attachment",
                attachment.wp_id,
                attachment.line,
                _("the file %(file)s could not be read as %(what)s (%(why)s)")
                % {
                    "file": attachment.path,
                    "what": _("an image") if is_image else _("a file"),
                    "why": type(error).__name__,
                },
            )
            self.report.count("attachment", "failed")
            return None
        self.report.count("attachment", "created")
        return made

    def keep(self, attachment: Attachment) -> None:
        """Bring an attachment in even though no post shows it."""
        self.for_post("")._get(
            attachment, as_image=Path(attachment.path).suffix.lower() in IMAGE_EXTENSIONS
        )

    # content.MediaResolver
    def image(self, *, url: str, wp_id: int | None, alt: str) -> AbstractImage | None:
        attachment = self._attachment_for(url=url, wp_id=wp_id)
        if attachment is None:
            return None
        made = self._get(attachment, as_image=True, alt=alt)
        return made if isinstance(made, AbstractImage) else None

    def document(self, *, url: str, wp_id: int | None) -> AbstractDocument | None:
        attachment = self._attachment_for(url=url, wp_id=wp_id)
        if attachment is None:
            return None
        made = self._get(attachment, as_image=False)
        return made if isinstance(made, AbstractDocument) else None

    def attached_images(self) -> list[AbstractImage]:
        images = []
        for attachment in self.found.attachments.values():
            if attachment.parent_id == self.post_id:
                made = self._get(attachment, as_image=True)
                if isinstance(made, AbstractImage):
                    images.append(made)
        return images


# The import -----------------------------------------------------------------------------------


@dataclass
class _Run:
    found: Scan
    memory: Memory
    report: Report
    media: Media
    home: HomePage
    site: Site | None
    policy: DiscussionSettings
    dry_run: bool
    tz: datetime.tzinfo
    authors: dict[str, Author | None] = field(default_factory=dict)
    sections: dict[str, SectionPage] = field(default_factory=dict)
    pages: dict[str, StandardPage] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)  # by the name a story gave


def import_wordpress(
    path: str | Path,
    *,
    media_dir: str | Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Import the export at ``path``; see the module's docstring. Raises ``wxr.WXRError``
    before writing anything when the file is not a well-formed WordPress export."""
    found = scan(path)
    report = Report(source=found.source, dry_run=dry_run)
    memory = Memory(found.source)
    home = newsroom.ensure_home_page() if not dry_run else _home_or_none()
    site = Site.objects.filter(is_default_site=True).first()
    run = _Run(
        found=found,
        memory=memory,
        report=report,
        media=Media(
            found=found,
            memory=memory,
            media_dir=Path(media_dir) if media_dir else None,
            report=report,
            dry_run=dry_run,
        ),
        home=home,
        site=site,
        policy=DiscussionSettings.for_site(site) if site else DiscussionSettings(),
        dry_run=dry_run,
        tz=timezone.get_default_timezone(),
    )
    for author in found.authors:
        _guarded(run, "author", author.login, author.line, partial(_import_author, run, author))
    for term in _categories_parents_first(found.terms):
        _guarded(run, "category", term.slug, term.line, partial(_import_category, run, term))
    _guarded(run, "site", "", 0, lambda: _site_redirects(run))

    done = 0
    deferred: list[wxr.Item] = []
    for entry in wxr.read(path):
        if not isinstance(entry, wxr.Item):
            continue
        if entry.post_type == "attachment":
            continue  # made when a post uses it, or below if nothing does
        if entry.post_type not in {"post", "page"}:
            report.skipped_types[entry.post_type] += 1
            continue
        if (
            entry.post_type == "page"
            and entry.parent_id not in {"0", ""}
            and entry.parent_id not in run.pages
        ):
            deferred.append(entry)  # its parent page comes later in the file
            continue
        _import_item(run, entry)
        done += 1
        if progress:
            progress(done, found.items)
    for entry in _pages_parents_first(deferred, run):
        _import_item(run, entry)
        done += 1
        if progress:
            progress(done, found.items)
    # Attachments no post showed still become images (a media library moves in whole).
    for attachment in found.attachments.values():
        _guarded(
            run,
            "attachment",
            attachment.wp_id,
            attachment.line,
            partial(run.media.keep, attachment),
        )
    return report


def _home_or_none() -> HomePage:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    root = site.root_page.specific if site else None
    return (
        root
        if isinstance(root, HomePage)
        else HomePage(title="", slug="", path="", depth=1, url_path="/")
    )


def _guarded(run: _Run, kind: str, wp_id: str, line: int, work: Callable[[], object]) -> None:
    """Run one item's import; a database or validation failure is reported against the item
    and the run goes on (the item's transaction is rolled back: nothing half-written)."""
    try:
        work()
    except (DatabaseError, ValueError, TypeError, LookupError) as error:
        logger.exception("WordPress import: %s %s failed", kind, wp_id)
        run.report.fail(
            kind,
            wp_id,
            line,
            _("not imported: %(why)s") % {"why": str(error) or type(error).__name__},
        )


def _import_item(run: _Run, item: wxr.Item) -> None:
    if not item.wp_id:
        run.report.fail(
            item.post_type,
            "",
            item.line,
            _("it has no WordPress id (wp:post_id), so a second import could not find it again"),
        )
        return
    if item.post_type == "post":
        _guarded(run, "post", item.wp_id, item.line, lambda: _import_post(run, item))
    else:
        _guarded(run, "page", item.wp_id, item.line, lambda: _import_page(run, item))


# Authors, categories ----------------------------------------------------------------------------


def _import_author(run: _Run, author: wxr.Author) -> None:
    name = (
        author.display_name
        or " ".join(p for p in (author.first_name, author.last_name) if p)
        or author.login
    )
    digest = _digest(name, author.description)
    row = run.memory.get(Kind.AUTHOR, author.login)
    existing = Author.objects.filter(pk=row.object_id).first() if row and row.object_id else None
    if existing is not None:
        run.authors[author.login] = existing
        if row and row.digest == digest:
            run.report.count("author", "unchanged")
            return
        if not run.dry_run:
            existing.name, existing.bio = name[:150], author.description[:2000]
            existing.save(update_fields=["name", "bio"])
            run.memory.remember(Kind.AUTHOR, author.login, existing.pk, digest)
        run.report.count("author", "updated")
        return
    # An author the newsroom already has: the editor account with that email or login, else
    # the staff author of that name.
    match = (
        (Author.objects.filter(user__email__iexact=author.email).first() if author.email else None)
        or Author.objects.filter(user__username=author.login).first()
        or Author.objects.filter(name__iexact=name).first()
    )
    if run.dry_run:
        run.report.count("author", "matched" if match else "created")
        run.authors[author.login] = match
        return
    with transaction.atomic(), indexing.batched():
        made = match or newsroom.get_or_create_author(
            name=name[:150], bio=author.description[:2000]
        )
        run.memory.remember(Kind.AUTHOR, author.login, made.pk, digest)
    run.authors[author.login] = made
    run.report.count("author", "matched" if match else "created")


def _categories_parents_first(terms: list[wxr.Term]) -> list[wxr.Term]:
    categories = {t.slug: t for t in terms if t.taxonomy == "category" and t.slug}
    ordered: list[wxr.Term] = []
    placed: set[str] = set()

    def place(term: wxr.Term, seen: frozenset[str]) -> None:
        if term.slug in placed:
            return
        parent = categories.get(term.parent_slug)
        if parent is not None and parent.slug not in seen:
            place(parent, seen | {term.slug})
        placed.add(term.slug)
        ordered.append(term)

    for term in categories.values():
        place(term, frozenset())
    return ordered


def _import_category(run: _Run, term: wxr.Term) -> SectionPage | None:
    slug = unquote(term.slug) or slugify(term.name, allow_unicode=True)
    # Dateline's own export keeps a section's slug apart from its nicename, which must be
    # unique across the whole site in WordPress.
    page_slug = unquote(term.meta.get("_dateline_slug", "")) or slug
    parent = run.sections.get(unquote(term.parent_slug)) if term.parent_slug else None
    parent_page: Page = parent or run.home
    digest = _digest(term.name, term.description, term.parent_slug)
    row = run.memory.get(Kind.CATEGORY, slug)
    section = (
        SectionPage.objects.filter(pk=row.object_id).first() if row and row.object_id else None
    )
    if section is None and parent_page.pk:
        # A section the site already has under the same parent (the newsroom's own "world").
        section = SectionPage.objects.child_of(parent_page).filter(slug=page_slug).first()
        if section is not None and not run.dry_run:
            run.memory.remember(Kind.CATEGORY, slug, section.pk, digest)
            run.report.count("category", "matched")
    if run.dry_run:
        if section is None:
            run.report.count("category", "created")
        elif row is not None:
            run.report.count("category", "unchanged" if row.digest == digest else "updated")
        if section is not None:
            run.sections[slug] = section
        return section
    if section is None:
        with transaction.atomic(), indexing.batched():
            section = newsroom.create_section(
                parent=parent_page,
                title=(term.name or slug)[:MAX_TITLE],
                description=term.description,
                slug=page_slug,
            )
            run.memory.remember(Kind.CATEGORY, slug, section.pk, digest)
            _redirect_category(run, section, slug=slug, term=term)
        run.report.count("category", "created")
    elif row is not None and row.digest != digest:
        with transaction.atomic(), indexing.batched():
            draft = section.get_latest_revision_as_object()
            draft.title = draft.draft_title = (term.name or slug)[:MAX_TITLE]
            draft.description = term.description[:500]
            draft.save_revision().publish()
            run.memory.remember(Kind.CATEGORY, slug, section.pk, digest)
            _redirect_category(run, section, slug=slug, term=term)
        run.report.count("category", "updated")
    elif row is not None:
        run.report.count("category", "unchanged")
    else:
        with transaction.atomic(), indexing.batched():
            _redirect_category(run, section, slug=slug, term=term)
    run.sections[slug] = section
    return section


def _category_path(run: _Run, slug: str) -> list[str]:
    """The category's archive path in WordPress, parents first: ``news/world``."""
    by_slug = {t.slug: t for t in run.found.terms if t.taxonomy == "category"}
    chain, seen = [], set()
    while slug and slug not in seen:
        seen.add(slug)
        chain.append(slug)
        slug = by_slug[slug].parent_slug if slug in by_slug else ""
    return list(reversed(chain))


def _section_for(run: _Run, item: wxr.Item) -> SectionPage | None:
    """A post's section: its most specific category (WordPress files a post under several;
    Dateline under one, with the others kept as tags)."""
    categories = item.categories
    best: SectionPage | None = None
    best_depth = -1
    for term in categories:
        slug = unquote(term.slug) or slugify(term.name, allow_unicode=True)
        section = run.sections.get(slug)
        if section is None and slug:
            # A category the export only names on the post (WXR 1.0, hand-made exports).
            section = _import_category(
                run, wxr.Term("category", "", slug, term.name or slug, "", "", item.line)
            )
        if section is not None and section.depth > best_depth:
            best, best_depth = section, section.depth
    if best is None and not categories:
        # WordPress files every post somewhere; an export made by hand may not.
        best = run.sections.get("uncategorized") or _import_category(
            run, wxr.Term("category", "", "uncategorized", _("Uncategorized"), "", "", 0)
        )
    return best  # None only in a dry run, where new sections are not made


# Posts and pages ----------------------------------------------------------------------------------


def _item_time(run: _Run, item: wxr.Item) -> datetime.datetime | None:
    """When the item was published: WordPress's GMT time, else its local time in the site's
    time zone (``0000-00-00`` GMT dates are drafts'), else the RSS date."""
    if item.date_gmt is not None:
        return item.date_gmt.replace(tzinfo=datetime.UTC)
    if item.date is not None:
        return timezone.make_aware(item.date, run.tz)
    return item.pub_date


def _publication(run: _Run, item: wxr.Item, at: datetime.datetime | None) -> newsroom.Publication:
    status = item.status
    if status == "publish":
        return newsroom.Publication("live", at, password=item.password)
    if status == "future":
        if at is not None and at > timezone.now():
            return newsroom.Publication("scheduled", at, password=item.password)
        return newsroom.Publication("live", at, password=item.password)
    if status == "private":
        return newsroom.Publication("live", at, private=True)
    if status not in {"draft", "pending", "auto-draft", "inherit", "trash"}:
        run.report.warn(
            item.post_type,
            item.wp_id,
            item.line,
            _("unknown status %(status)s: kept as a draft") % {"status": status},
        )
    return newsroom.Publication("draft", at, password=item.password)


def _convert(run: _Run, item: wxr.Item) -> converter.Converted:
    """The item's body as blocks; what was kept as HTML, or could not be found, is reported
    once per kind with how often it occurs."""
    converted = converter.convert(item.content, media=run.media.for_post(item.wp_id))
    for label, n in Counter(converted.kept_as_html).items():
        run.report.kept_as_html[label] += n
        run.report.warn(
            item.post_type,
            item.wp_id,
            item.line,
            ngettext(
                "kept as sanitised HTML: %(what)s",
                "kept as sanitised HTML: %(what)s (%(n)d times)",
                n,
            )
            % {"what": label, "n": n},
        )
    for note in dict.fromkeys(converted.warnings):
        run.report.warn(item.post_type, item.wp_id, item.line, note)
    if run.media.media_dir is None:
        run.report.media_left_out += len(set(converted.missing_media))
        return converted
    for missing in dict.fromkeys(converted.missing_media):
        run.report.warn(
            item.post_type,
            item.wp_id,
            item.line,
            _("media not found: %(what)s") % {"what": missing},
        )
    return converted


def _title(item: wxr.Item) -> str:
    title = " ".join(item.title.split()) or _("(untitled)")
    return title[:MAX_TITLE]


class _ArticleFields(TypedDict):
    """What the export decides about a story, as ``create_article``/``update_article``
    keywords."""

    title: str
    body: list[newsroom.Block]
    bylines: list[Author | str]
    standfirst: str
    published_at: datetime.datetime | None
    tags: list[str | Tag]
    lead_image: AbstractImage | None
    language: str
    comments_enabled: bool
    dateline_place: str
    dateline_source: str
    lead_image_caption: str
    lead_image_credit: str


@dataclass(frozen=True)
class _OwnFields:
    """What Dateline's own export (``export-wordpress``) keeps in ``_dateline_*`` postmeta,
    which WordPress has no field for; empty for any other export."""

    from_dateline: bool = False
    bylines: list[Author | str] | None = None
    published_at: datetime.datetime | None = None  # None: "the time of first publication"
    language: str = ""
    place: str = ""
    source: str = ""
    lead_caption: str = ""
    lead_credit: str = ""


def _tag_objects(run: _Run, names: list[str]) -> list[str | Tag]:
    """The tags named, found or made once a run instead of looked up for every story (taggit
    asks one query a tag, as tags match ignoring case). Remembered by their exact name once
    the story's transaction commits: a tag made in one rolled back is gone with it."""
    lookup = "name__iexact" if settings.TAGGIT_CASE_INSENSITIVE else "name"
    found: dict[str, Tag] = {}
    for name in dict.fromkeys(names):
        if name not in run.tags:
            tag = Tag.objects.filter(**{lookup: name}).first()
            found[name] = tag or Tag.objects.create(name=name)
    transaction.on_commit(lambda: run.tags.update(found))
    return [run.tags.get(name) or found[name] for name in names]


def _dateline_fields(run: _Run, item: wxr.Item) -> _OwnFields:
    meta = item.meta
    if not any(key.startswith("_dateline_") for key in meta):
        return _OwnFields()
    bylines: list[Author | str] | None = None
    try:
        listed = json.loads(meta.get("_dateline_bylines", "null"))
    except ValueError:
        listed = None
    if isinstance(listed, list):
        bylines = []
        for entry in listed:
            if isinstance(entry, dict) and isinstance(entry.get("author"), str):
                found = run.authors.get(entry["author"])
                if found is not None:
                    bylines.append(found)
            elif isinstance(entry, dict) and isinstance(entry.get("guest"), str):
                bylines.append(entry["guest"][:150])
    published = None
    with contextlib.suppress(ValueError):
        published = datetime.datetime.fromisoformat(meta.get("_dateline_published_at", "").strip())
    languages = {code for code, _name in settings.LANGUAGES}
    language = meta.get("_dateline_language", "").strip()
    return _OwnFields(
        from_dateline=True,
        bylines=bylines,
        published_at=published if published is not None and published.tzinfo else None,
        language=language if language in languages else "",
        place=meta.get("_dateline_place", "")[:100],
        source=meta.get("_dateline_source", "")[:150],
        lead_caption=meta.get("_dateline_lead_image_caption", "")[:300],
        lead_credit=meta.get("_dateline_lead_image_credit", "")[:150],
    )


def _import_post(run: _Run, item: wxr.Item) -> None:
    converted = _convert(run, item)
    section = _section_for(run, item)
    at = _item_time(run, item)
    publication = _publication(run, item, at)
    author = run.authors.get(item.creator)
    standfirst = converter.plain_text(item.excerpt) if item.excerpt else ""
    if len(standfirst) > MAX_STANDFIRST:
        run.report.warn(
            "post",
            item.wp_id,
            item.line,
            _("the excerpt is longer than a standfirst may be: cut to %(n)d characters")
            % {"n": MAX_STANDFIRST},
        )
        standfirst = standfirst[: MAX_STANDFIRST - 1].rstrip() + "…"
    thumbnail_id = item.meta.get("_thumbnail_id", "").strip()
    lead = (
        run.media.image(url="", wp_id=int(thumbnail_id), alt="") if thumbnail_id.isdigit() else None
    )
    # Every category but the section, and every tag, as the story's tags.
    section_slug = section.slug if section is not None else ""
    tags = sorted(
        {t.name for t in item.tags if t.name}
        | {
            t.name
            for t in item.categories
            if t.name and (unquote(t.slug) or slugify(t.name)) != section_slug
        }
    )
    own = _dateline_fields(run, item)
    fields: _ArticleFields = {
        "title": _title(item),
        "body": converted.blocks,
        "bylines": own.bylines
        if own.bylines is not None
        else ([author] if author is not None else ([item.creator] if item.creator else [])),
        "standfirst": standfirst,
        "published_at": own.published_at if own.from_dateline else at,
        "tags": [t[:100] for t in tags],  # names; Tag objects once the story is written
        "lead_image": lead,
        "language": own.language,
        "comments_enabled": item.comment_status != "closed",
        "dateline_place": own.place,
        "dateline_source": own.source,
        "lead_image_caption": own.lead_caption,
        "lead_image_credit": own.lead_credit,
    }
    digest = _digest(
        fields["title"],
        item.content,
        standfirst,
        at,
        item.status,
        item.password,
        item.slug,
        section.pk if section else None,
        author.pk if author else item.creator,
        tags,
        thumbnail_id,
        run.media.resolved,
        item.comment_status,
        sorted((k, v) for k, v in item.meta.items() if k.startswith("_dateline_")),
    )
    row = run.memory.get(Kind.POST, item.wp_id)
    article = (
        ArticlePage.objects.filter(pk=row.object_id).first() if row and row.object_id else None
    )
    if run.dry_run:
        run.report.count(
            "post",
            "created"
            if article is None
            else ("unchanged" if row and row.digest == digest else "updated"),
        )
        _count_comments_dry(run, item)
        return
    if article is not None and row is not None and row.digest == digest:
        run.report.count("post", "unchanged")
        _import_comments(run, item, article)
        return
    assert section is not None  # made above whenever the run writes
    # The story's one transaction; its media and section were committed before it, so the
    # run's memory of them holds whatever becomes of the story.
    with transaction.atomic(), indexing.batched():
        fields["tags"] = _tag_objects(run, [str(t) for t in fields["tags"]])
        if article is None:
            article = newsroom.create_article(section=section, slug=unquote(item.slug), **fields)
            outcome = "created"
        else:
            if article.get_parent().pk != section.pk:
                article.move(section, pos="last-child")
            article = newsroom.update_article(article=article, **fields)
            outcome = "updated"
        # Before publishing: an archive's stories are news no subscriber is emailed about.
        notifications.never_announce(article=article)
        newsroom.set_publication(page=article, publication=publication)
        _redirect_item(run, item, article, at)
        run.memory.remember(Kind.POST, item.wp_id, article.pk, digest)
        _import_comments(run, item, article)
    run.report.count("post", outcome)


def _pages_parents_first(pages: list[wxr.Item], run: _Run) -> list[wxr.Item]:
    ordered, placed = [], set(run.pages)
    remaining = list(pages)
    while remaining:
        ready = [
            p
            for p in remaining
            if p.parent_id in placed or p.parent_id not in {q.wp_id for q in remaining}
        ]
        if not ready:
            ready = remaining  # a cycle: the rest go under the home page
        for page in ready:
            ordered.append(page)
            placed.add(page.wp_id)
        remaining = [p for p in remaining if p not in ready]
    return ordered


def _import_page(run: _Run, item: wxr.Item) -> None:
    converted = _convert(run, item)
    at = _item_time(run, item)
    publication = _publication(run, item, at)
    parent: Page = run.pages.get(item.parent_id) or run.home
    excerpt = converter.plain_text(item.excerpt)[:255] if item.excerpt else ""
    digest = _digest(
        _title(item),
        item.content,
        excerpt,
        at,
        item.status,
        item.password,
        item.slug,
        parent.pk,
        run.media.resolved,
    )
    row = run.memory.get(Kind.PAGE, item.wp_id)
    page = StandardPage.objects.filter(pk=row.object_id).first() if row and row.object_id else None
    if run.dry_run:
        run.report.count(
            "page",
            "created"
            if page is None
            else ("unchanged" if row and row.digest == digest else "updated"),
        )
        _count_comments_dry(run, item)
        if page is not None:
            run.pages[item.wp_id] = page
        return
    if page is not None and row is not None and row.digest == digest:
        run.pages[item.wp_id] = page
        run.report.count("page", "unchanged")
        return
    with transaction.atomic(), indexing.batched():
        if page is None:
            page = newsroom.create_page(
                parent=parent,
                title=_title(item),
                body=converted.blocks,
                slug=unquote(item.slug),
                search_description=excerpt,
            )
            outcome = "created"
        else:
            if page.get_parent().pk != parent.pk:
                page.move(parent, pos="last-child")
            page = newsroom.update_page(
                page=page, title=_title(item), body=converted.blocks, search_description=excerpt
            )
            outcome = "updated"
        newsroom.set_publication(page=page, publication=publication)
        _redirect_item(run, item, page, at)
        run.memory.remember(Kind.PAGE, item.wp_id, page.pk, digest)
    if item.comments:
        run.report.warn(
            "page",
            item.wp_id,
            item.line,
            ngettext(
                "%(n)d comment on a page was not imported: pages here have no discussion",
                "%(n)d comments on a page were not imported: pages here have no discussion",
                len(item.comments),
            )
            % {"n": len(item.comments)},
        )
        run.report.count("comment", "skipped", len(item.comments))
    run.pages[item.wp_id] = page
    run.report.count("page", outcome)


# Comments ---------------------------------------------------------------------------------------


def _is_mention(comment: wxr.Comment) -> bool:
    return comment.type in {"pingback", "trackback"}


def _count_comments_dry(run: _Run, item: wxr.Item) -> None:
    known = run.memory.many(Kind.COMMENT, [c.wp_id for c in item.comments if not _is_mention(c)])
    for comment in item.comments:
        if _is_mention(comment):
            run.report.count("pingback/trackback", "created")
        else:
            run.report.count("comment", "unchanged" if comment.wp_id in known else "created")


def _comment_time(run: _Run, comment: wxr.Comment) -> datetime.datetime:
    if comment.date_gmt is not None:
        return comment.date_gmt.replace(tzinfo=datetime.UTC)
    if comment.date is not None:
        return timezone.make_aware(comment.date, run.tz)
    return timezone.now()


def _import_comments(run: _Run, item: wxr.Item, article: ArticlePage) -> None:
    """The post's comments through the discussion's archive write, pingbacks and trackbacks
    as mentions; in the caller's transaction when there is one."""
    if not item.comments:
        return
    comments = [c for c in item.comments if not _is_mention(c)]
    mentions = [c for c in item.comments if _is_mention(c)]
    # No savepoint inside the story's transaction: a failure here fails the whole story.
    with transaction.atomic(savepoint=False), indexing.batched():
        if comments:
            _import_discussion(run, item, article, comments)
        if mentions:
            _import_mentions(run, item, article, mentions)


def _import_discussion(
    run: _Run, item: wxr.Item, article: ArticlePage, comments: list[wxr.Comment]
) -> None:
    known = run.memory.comments(c.wp_id for c in comments)
    archived = []
    for c in comments:
        status = _COMMENT_STATUS.get(c.approved.strip().lower())
        if status is None:
            run.report.warn(
                "comment",
                c.wp_id,
                c.line,
                _("unknown status %(status)s: held for moderation") % {"status": c.approved},
            )
            status = Comment.Status.PENDING
        if c.type not in {"", "comment"}:
            run.report.warn(
                "comment",
                c.wp_id,
                c.line,
                _("a comment of type %(type)s, imported as a comment") % {"type": c.type},
            )
        archived.append(
            discussion.ArchivedComment(
                key=c.wp_id,
                parent_key=c.parent_id,
                name=c.author,
                email=c.email,
                website=c.url,
                # Dateline's own export keeps the Markdown a reader typed beside the HTML.
                body=c.meta.get("_dateline_body") or comment_markdown(c.content),
                status=status,
                created_at=_comment_time(run, c),
                ip_address=c.ip,
            )
        )
    result = discussion.import_comments(
        target=targets.for_article(article),
        comments=archived,
        known=known,
        source=run.memory.source,
        policy=run.policy,
    )
    lines = {c.wp_id: c.line for c in comments}
    for key, why in result.refused.items():
        run.report.fail("comment", key, lines.get(key, item.line), why)
    for key, note in result.notes.items():
        run.report.warn("comment", key, lines.get(key, item.line), note)
    if result.created:
        run.memory.remember_many(Kind.COMMENT, {k: c.pk for k, c in result.created.items()})
    run.report.count("comment", "created", len(result.created))
    run.report.count("comment", "updated", len(result.updated))
    run.report.count("comment", "unchanged", len(result.unchanged))


def _import_mentions(
    run: _Run, item: wxr.Item, article: ArticlePage, mentions: list[wxr.Comment]
) -> None:
    known = run.memory.many(Kind.MENTION, [m.wp_id for m in mentions])
    new = [m for m in mentions if m.wp_id not in known]
    run.report.count("pingback/trackback", "unchanged", len(mentions) - len(new))
    if not new:
        return
    thread = discussion.ensure_thread(targets.for_article(article))
    made = {}
    for m in new:
        status = _COMMENT_STATUS.get(m.approved.strip().lower(), Comment.Status.PENDING)
        url = m.url.strip() if m.url.strip().lower().startswith(("http://", "https://")) else ""
        made[m.wp_id] = Mention.objects.create(
            thread=thread,
            kind=m.type,
            source_url=url[:500],
            source_title=m.author[:255],
            excerpt=converter.plain_text(m.content)[:2000],
            status=status,
            ip_address=discussion._archived_ip(m.ip),
            created_at=_comment_time(run, m),
        ).pk
    run.memory.remember_many(Kind.MENTION, made)
    run.report.count("pingback/trackback", "created", len(made))


# Old addresses ----------------------------------------------------------------------------------


def _old_path(url: str) -> str:
    """An address of the old site as a path (with its query), for a redirect."""
    parts = urlsplit(url.strip())
    if not parts.path and not parts.query:
        return ""
    path = parts.path or "/"
    return Redirect.normalise_path(f"{path}?{parts.query}" if parts.query else path)


def _add_redirects(olds: Iterable[str], *, page: Page | None = None, link: str = "") -> None:
    """Permanent redirects from ``olds`` (paths of the old site) to ``page`` (followed
    wherever editors move it) or ``link``; not from an address the page itself answers at.
    One query for those that exist, one insert for the rest."""
    own = Redirect.normalise_path(page.get_url() or page.url_path) if page is not None else ""
    wanted = {old for old in olds if old and old not in {"/", own} and len(old) <= 255}
    if not wanted:
        return
    target = {
        "is_permanent": True,
        "redirect_page_id": page.pk if page else None,
        "redirect_link": "" if page else link,
    }
    existing = Redirect.objects.filter(site=None, old_path__in=wanted)
    for redirect in existing:
        wanted.discard(redirect.old_path)
        if any(getattr(redirect, k) != v for k, v in target.items()):
            for k, v in target.items():
                setattr(redirect, k, v)
            redirect.save()
    Redirect.objects.bulk_create(Redirect(old_path=old, site=None, **target) for old in wanted)


def _redirect_item(run: _Run, item: wxr.Item, page: Page, at: datetime.datetime | None) -> None:
    """Every address the item had: its permalink (and that address's comment feed), ``?p=``
    or ``?page_id=``, and the date-and-name address WordPress answers whatever its permalink
    setting."""
    olds = {_old_path(item.link)}
    if item.link and "?" not in item.link:
        olds.add(_old_path(item.link.rstrip("/") + "/feed/"))
    olds.add(
        Redirect.normalise_path(f"/?{'p' if item.post_type == 'post' else 'page_id'}={item.wp_id}")
    )
    slug = item.slug
    if item.post_type == "post" and slug and item.date is not None:
        olds.add(Redirect.normalise_path(f"/{item.date:%Y/%m/%d}/{slug}/"))
    if item.guid and "?" in item.guid:
        olds.add(_old_path(item.guid))
    _add_redirects(olds, page=page)


def _redirect_category(run: _Run, section: SectionPage, *, slug: str, term: wxr.Term) -> None:
    path = "/".join(_category_path(run, term.slug) or [slug])
    olds = [f"/category/{path}/"] + ([f"/?cat={term.term_id}"] if term.term_id else [])
    _add_redirects(map(Redirect.normalise_path, olds), page=section)
    section_url = section.get_url() or section.url_path
    _add_redirects(
        [Redirect.normalise_path(f"/category/{path}/feed/")], link=f"{section_url}feed/rss/"
    )


def _site_redirects(run: _Run) -> None:
    """The site's own feeds and every tag's archive."""
    if run.dry_run:
        return
    with transaction.atomic(), indexing.batched():
        _add_redirects(["/feed", "/comments/feed"], link="/feed/rss/")
        _add_redirects(["/feed/atom"], link="/feed/atom/")
        for term in run.found.terms:
            if term.taxonomy == "post_tag" and term.slug:
                tag, _created = Tag.objects.get_or_create(
                    name=term.name[:100] or term.slug, defaults={"slug": unquote(term.slug)[:100]}
                )
                olds = (f"/tag/{term.slug}/", f"/tag/{term.slug}/feed/", f"/?tag={term.slug}")
                _add_redirects(map(Redirect.normalise_path, olds), link=f"/tags/{tag.slug}/")


__all__ = ["Report", "Scan", "import_wordpress", "scan", "upload_path"]
