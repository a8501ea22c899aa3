from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "dateline.server"
    label = "server"
