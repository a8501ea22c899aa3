from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionConfig(AppConfig):
    name = "dateline.discussion"
    label = "discussion"
    verbose_name = _("Reader discussion")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from dateline.discussion import impersonation, invalidation, retention, spam
        from dateline.discussion.models import Ban, DiscussionSettings, Thread
        from dateline.newsroom import routing
        from dateline.newsroom.models import Author
        from dateline.server import invalidation as server_invalidation
        from dateline.server import scheduler, siteconfig

        # A typo in DATELINE_SPAM_CHECKERS stops start-up, not the first comment.
        spam.check_configured_checkers()
        # What invalidates readers' pages (docs/architecture.md, "Reads that cost nothing
        # twice"); comments shown, hidden or edited are invalidated by the actions that do it.
        server_invalidation.bump_site_on_change(DiscussionSettings)
        server_invalidation.on_change(Thread, then=invalidation.thread_changed)
        # Bans are kept per process (actions.active_bans): new ones count at once.
        server_invalidation.on_change(Ban, then=invalidation.bans_changed, new_rows=True)
        # So are the newsroom's own names, which commenters may not pass for.
        server_invalidation.on_change(
            Author, get_user_model(), then=impersonation.protected.changed, new_rows=True
        )
        # Read on every reader page: the settings in the site snapshot, the thread with its
        # story (one query, none while the story is kept).
        siteconfig.register_setting(DiscussionSettings)
        routing.carry_with_stories("discussion_thread", counters=invalidation.thread_counters)
        # Old IP addresses dropped, old spam and trash deleted (docs/privacy.md).
        scheduler.register_chore("comment retention", retention.run, every=3600)
