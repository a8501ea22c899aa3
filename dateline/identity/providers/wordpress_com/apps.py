from django.apps import AppConfig


class WordPressComProviderConfig(AppConfig):
    # An app of its own, like allauth's providers: allauth finds providers by importing
    # ``<installed app>.provider``.
    name = "dateline.identity.providers.wordpress_com"
    label = "identity_wordpress_com"
    verbose_name = "WordPress.com sign-in"
