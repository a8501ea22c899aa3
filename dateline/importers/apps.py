from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "dateline.importers"
    label = "importers"
