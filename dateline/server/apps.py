from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "dateline.server"
    label = "server"

    def ready(self) -> None:
        from dateline.server import invalidation

        invalidation.connect()
