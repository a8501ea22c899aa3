from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "dateline.server"
    label = "server"

    def ready(self) -> None:
        from dateline.server import invalidation, pagecache

        invalidation.connect()
        # Wagtail's sitemap lists every page: it changes with the lists.
        pagecache.cache_views("sitemap")
