"""What the newsroom publishes: sections holding articles, written by authors."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.core.paginator import Page as PaginatorPage
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageManager, PageQuerySet
from wagtail.search import index
from wagtail.url_routing import RouteResult

from dateline.newsroom.blocks import BodyBlock

DEFAULT_DATETIME_FORMAT = "Y/m/d H:i:s"
# The image sizes of article cards (newsroom/includes/article_card.html), fetched with the list.
CARD_IMAGE_SPECS = ("fill-480x270", "fill-960x540")


@register_setting(icon="site")
class NewsroomSettings(BaseSiteSetting):
    publisher_name = models.CharField(
        _("publisher name"),
        max_length=150,
        blank=True,
        help_text=_("Shown in the footer and given to search engines as the publisher."),
    )
    publisher_logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("publisher logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    datetime_format = models.CharField(
        _("date and time format"),
        max_length=50,
        default=DEFAULT_DATETIME_FORMAT,
        help_text=_(
            "Django date format for publication times, e.g. Y/m/d H:i:s gives 2020/11/20 21:28:39."
        ),
    )
    articles_per_page = models.PositiveSmallIntegerField(_("articles per list page"), default=20)

    panels = [
        FieldPanel("publisher_name"),
        FieldPanel("publisher_logo"),
        FieldPanel("tagline"),
        FieldPanel("datetime_format"),
        FieldPanel("articles_per_page"),
    ]

    class Meta:
        verbose_name = _("newsroom settings")


class Author(index.Indexed, models.Model):
    """A staff writer with a public author page. Guest contributors need no Author row: a
    byline can carry a plain name instead."""

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=150, unique=True, allow_unicode=True)
    role = models.CharField(
        _("role"), max_length=150, blank=True, help_text=_("e.g. Baghdad correspondent")
    )
    bio = models.TextField(_("biography"), blank=True, max_length=2000)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("editor account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("role"),
        FieldPanel("bio"),
        FieldPanel("photo"),
        FieldPanel("user"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("newsroom:author", kwargs={"slug": self.slug})


class ArticlePageQuerySet(PageQuerySet):
    def public(self) -> ArticlePageQuerySet:
        # Wagtail's public() first reads every view restriction; inside a request the site
        # snapshot already knows whether there are any (dateline/server/siteconfig.py).
        from dateline.server.siteconfig import no_view_restrictions

        if no_view_restrictions():
            return self
        return super().public()

    def published(self, *, now: datetime.datetime | None = None) -> ArticlePageQuerySet:
        """What readers may see: live, public, and not past its expiry time even when the
        worker has not yet got round to unpublishing it."""
        now = now or timezone.now()
        return self.live().public().filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))

    def newest_first(self) -> ArticlePageQuerySet:
        """By publication time, newest first, with the bylines (names and authors) at hand."""
        return (
            self.annotate(sort_time=Coalesce("published_at", "first_published_at"))
            .prefetch_related(
                models.Prefetch(
                    "bylines",
                    queryset=ArticleByline.objects.select_related("author").order_by(
                        "sort_order", "pk"
                    ),
                )
            )
            .defer_streamfields()
            .order_by("-sort_time", "-pk")
        )

    def for_listing(self) -> ArticlePageQuerySet:
        """Everything a list of article cards shows, in a fixed number of queries."""
        from wagtail.images import get_image_model

        return (
            self.newest_first()
            # The discussion thread (one row or none) carries the card's comment count.
            .select_related("discussion_thread")
            .prefetch_related(
                # Without this every card costs a rendition lookup (a query, or a cache round
                # trip once the rendition is cached).
                models.Prefetch(
                    "lead_image",
                    queryset=get_image_model().objects.prefetch_renditions(*CARD_IMAGE_SPECS),
                )
            )
        )

    def for_feed(self) -> ArticlePageQuerySet:
        """What a feed entry carries: bylines and tags, no pictures."""
        return self.newest_first().prefetch_related("tags")


ArticlePageManager = PageManager.from_queryset(ArticlePageQuerySet)


def paginate(request: HttpRequest, items: Any, per_page: int) -> PaginatorPage:
    paginator = Paginator(items, per_page)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage:  # past the end, or not a number: either way no such page
        raise Http404(_("There is no such page.")) from None


class ViewRestrictionsMixin:
    """Wagtail checks a page's view restrictions before serving it (two queries); inside a
    request the site snapshot knows when there are none at all."""

    def get_view_restrictions(self) -> Any:
        from wagtail.models import PageViewRestriction

        from dateline.server.siteconfig import no_view_restrictions

        if no_view_restrictions():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()  # type: ignore[misc]


class FeedRoutesMixin(RoutablePageMixin):
    """RSS and Atom feeds at ``feed/rss/`` and ``feed/atom/`` below the page."""

    @path("feed/rss/", name="feed_rss")
    def feed_rss(self, request: HttpRequest) -> HttpResponse:
        from dateline.newsroom.feeds import RssFeed

        return RssFeed()(request, page=self)

    @path("feed/atom/", name="feed_atom")
    def feed_atom(self, request: HttpRequest) -> HttpResponse:
        from dateline.newsroom.feeds import AtomFeed

        return AtomFeed()(request, page=self)

    def articles(self) -> ArticlePageQuerySet:
        return ArticlePage.objects.published().descendant_of(self).for_listing()


class HomePage(ViewRestrictionsMixin, FeedRoutesMixin, Page):
    intro = models.TextField(_("introduction"), blank=True, max_length=500)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["newsroom.SectionPage", "newsroom.StandardPage"]
    parent_page_types = ["wagtailcore.Page"]
    template = "newsroom/home_page.html"

    class Meta:
        verbose_name = _("home page")

    def route(self, request: HttpRequest, path_components: list[str]) -> Any:
        # Stories are most of the traffic: find one by its address in a single query (its
        # thread joined in) instead of Wagtail's walk down the tree, two queries per level.
        # As in Wagtail's walk, only the page itself must be live. Anything else — sections,
        # feeds, unknown addresses — goes Wagtail's way.
        if len(path_components) >= 2:
            from dateline.newsroom.routing import find_story

            article = find_story(
                home_path=self.path,
                url_path=self.url_path + "/".join(path_components) + "/",
                slug=path_components[-1],
            )
            if article is not None:
                return RouteResult(article)
        return super().route(request, path_components)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from dateline.newsroom.listings import home_context

        context = super().get_context(request, *args, **kwargs)
        context.update(home_context(self, request))
        return context


class SectionPage(ViewRestrictionsMixin, FeedRoutesMixin, Page):
    description = models.TextField(_("description"), blank=True, max_length=500)
    comments_enabled = models.BooleanField(
        _("readers may comment"),
        default=True,
        help_text=_(
            "Off closes the discussion on every story in this section and its sub-sections."
        ),
    )

    content_panels = [*Page.content_panels, FieldPanel("description")]
    settings_panels = [FieldPanel("comments_enabled"), *Page.settings_panels]
    parent_page_types = ["newsroom.HomePage", "newsroom.SectionPage"]
    subpage_types = ["newsroom.SectionPage", "newsroom.ArticlePage"]
    template = "newsroom/section_page.html"

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from dateline.newsroom.listings import section_context

        context = super().get_context(request, *args, **kwargs)
        context.update(section_context(self, request))
        return context


class StandardPage(ViewRestrictionsMixin, Page):
    """A page that is not news: about us, contact, a corrections policy (and WordPress's pages
    when an archive moves in). No byline, no date, no discussion."""

    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["newsroom.HomePage", "newsroom.StandardPage"]
    subpage_types = ["newsroom.StandardPage"]
    template = "newsroom/standard_page.html"

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey(
        "newsroom.ArticlePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class ArticlePage(ViewRestrictionsMixin, Page):
    standfirst = models.TextField(
        _("standfirst"),
        blank=True,
        max_length=600,
        help_text=_("One or two sentences under the headline that tell the story."),
    )
    dateline_place = models.CharField(
        _("dateline place"),
        max_length=100,
        blank=True,
        help_text=_("Where the story was reported, e.g. Baghdad"),
    )
    dateline_source = models.CharField(
        _("dateline source"),
        max_length=150,
        blank=True,
        help_text=_("Agency or outlet, e.g. a news agency's name"),
    )
    published_at = models.DateTimeField(
        _("publication time"),
        null=True,
        blank=True,
        help_text=_("Shown to readers. Left empty, the time of first publication is used."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    lead_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("lead image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_image_caption = models.CharField(_("lead image caption"), max_length=300, blank=True)
    lead_image_credit = models.CharField(_("lead image credit"), max_length=150, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    tags = ClusterTaggableManager(through=ArticleTag, blank=True, verbose_name=_("tags"))
    comments_enabled = models.BooleanField(
        _("readers may comment"),
        default=True,
        help_text=_("Off closes the discussion under this story; existing comments stay visible."),
    )
    # Set by the wire-copy importer: the same story imported again updates this page.
    wire_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    objects = ArticlePageManager()

    content_panels = [
        *Page.content_panels,
        FieldPanel("standfirst"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("dateline_place"), FieldPanel("dateline_source")])],
            heading=_("Dateline"),
        ),
        InlinePanel("bylines", heading=_("Bylines"), label=_("Byline"), min_num=0),
        MultiFieldPanel(
            [
                FieldPanel("lead_image"),
                FieldPanel("lead_image_caption"),
                FieldPanel("lead_image_credit"),
            ],
            heading=_("Lead image"),
        ),
        FieldPanel("body"),
        FieldPanel("tags"),
        InlinePanel("corrections", heading=_("Corrections and updates"), label=_("Entry")),
    ]
    settings_panels = [
        FieldPanel("published_at"),
        FieldPanel("language"),
        FieldPanel("comments_enabled"),
        *Page.settings_panels,
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("standfirst"),
        index.SearchField("body"),
        index.FilterField("language"),
    ]
    parent_page_types = ["newsroom.SectionPage"]
    subpage_types: list[str] = []
    template = "newsroom/article_page.html"

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    @property
    def publication_time(self) -> datetime.datetime | None:
        return self.published_at or self.first_published_at

    @property
    def modified_time(self) -> datetime.datetime | None:
        """When readers last saw a change: never before the publication time, which a wire
        story may set later than the moment it went online."""
        times = [t for t in (self.last_published_at, self.publication_time) if t is not None]
        return max(times) if times else None

    @property
    def updated_time(self) -> datetime.datetime | None:
        """The last publication, when it came noticeably after the first."""
        first, last = self.first_published_at, self.last_published_at
        if first and last and last - first > datetime.timedelta(minutes=1):
            return last
        return None

    @property
    def dateline_text(self) -> str:
        if self.dateline_place and self.dateline_source:
            return f"({self.dateline_place}: {self.dateline_source})"
        if self.dateline_place or self.dateline_source:
            return f"({self.dateline_place or self.dateline_source})"
        return ""

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return self.expire_at is not None and self.expire_at <= (now or timezone.now())

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Wagtail only unpublishes expired pages when the worker runs; readers must not see one
        # in between.
        if self.is_expired():
            raise Http404
        return super().serve(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from dateline.newsroom.listings import article_context

        context = super().get_context(request, *args, **kwargs)
        context.update(article_context(self, request))
        return context

    def get_sitemap_urls(self, request: HttpRequest | None = None) -> list[dict[str, Any]]:
        if self.is_expired():
            return []
        return super().get_sitemap_urls(request)


class ArticleByline(Orderable):
    page = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(
        Author,
        verbose_name=_("staff author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bylines",
    )
    guest_name = models.CharField(
        _("guest name"),
        max_length=150,
        blank=True,
        help_text=_("For contributors without an author page."),
    )

    panels = [FieldPanel("author"), FieldPanel("guest_name")]

    class Meta(Orderable.Meta):
        verbose_name = _("byline")
        constraints = [
            models.CheckConstraint(
                condition=(Q(author__isnull=False) & Q(guest_name=""))
                | (Q(author__isnull=True) & ~Q(guest_name="")),
                name="byline_is_author_or_guest",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.author.name if self.author else self.guest_name


class ArticleCorrection(Orderable):
    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        UPDATE = "update", _("Update")

    page = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    noted_at = models.DateTimeField(_("time"), default=timezone.now)
    text = models.TextField(_("what changed"), max_length=2000)

    panels = [FieldRowPanel([FieldPanel("kind"), FieldPanel("noted_at")]), FieldPanel("text")]

    class Meta(Orderable.Meta):
        verbose_name = _("correction or update")
        verbose_name_plural = _("corrections and updates")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:50]}"
