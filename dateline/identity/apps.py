from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "dateline.identity"
    label = "identity"
    verbose_name = _("Reader identities")

    def ready(self) -> None:
        from allauth.socialaccount.models import SocialApp
        from django.conf import settings

        from dateline.identity import actions, config
        from dateline.identity.models import IdentitySettings
        from dateline.server import invalidation, scheduler

        # A provider id the environment may not use stops start-up, naming the variable.
        config.check_environment_providers(settings.SOCIALACCOUNT_PROVIDERS)
        # The comment form on every page shows the enabled providers' icons: a provider added,
        # changed or removed (from its first save) bumps gen:site, as the settings do.
        invalidation.bump_site_on_change(IdentitySettings)
        invalidation.bump_site_on_change(SocialApp, new_rows=True)
        # Single-use records of links that have expired anyway (docs/privacy.md).
        scheduler.register_chore("used link retention", actions.forget_used_links, every=3600)
