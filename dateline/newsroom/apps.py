from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsroomConfig(AppConfig):
    name = "dateline.newsroom"
    label = "newsroom"
    verbose_name = _("Newsroom")

    def ready(self) -> None:
        from taggit.models import Tag

        from dateline.newsroom import invalidation, listings
        from dateline.newsroom.models import ArticlePage, Author, NewsroomSettings
        from dateline.server import invalidation as server_invalidation
        from dateline.server import pagecache, siteconfig

        # What readers' pages depend on, and what invalidates them (docs/architecture.md,
        # "Reads that cost nothing twice"): a story lists nothing, every other page lists
        # stories; a story's change moves its sections and every list; settings, authors and
        # tags are on every page.
        pagecache.page_dependencies(ArticlePage, invalidation.story_dependencies)
        pagecache.cache_views(
            "newsroom:author_index", "newsroom:author", "newsroom:tag", "robots_txt"
        )
        server_invalidation.on_page_change(ArticlePage, invalidation.article_changed)
        server_invalidation.bump_site_on_change(NewsroomSettings, Author, Tag)
        # Read on every reader page, kept in the per-process site snapshot.
        siteconfig.register_setting(NewsroomSettings)
        siteconfig.contribute(
            "top sections", load=listings.load_top_sections, give=listings.give_top_sections
        )
