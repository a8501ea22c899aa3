from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "dateline.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from wagtail.signals import page_published

        from dateline.newsroom.models import ArticlePage
        from dateline.notifications import (
            actions,
            checks,  # noqa: F401 - registers the deploy check
            delivery,
        )
        from dateline.server import scheduler

        # Why a signal, when Dateline otherwise keeps writes out of signals: an article goes
        # live in three places we do not own — the admin's Publish button, Wagtail's
        # publish_scheduled run by the worker, and newsroom.actions (importer, API, demo).
        # Wagtail sends page_published from inside its publish code, synchronously, in the
        # same database transaction as the publish whenever the caller holds one (our
        # newsroom actions do). The handler only announces the *first* publication (the
        # announcement row is unique per page), and a sweep in the worker's scheduler
        # (actions.announce_missed_posts) catches a publish whose process died between
        # Wagtail's commit and ours, so no new story is ever skipped or announced twice.
        page_published.connect(
            actions.on_page_published,
            sender=ArticlePage,
            dispatch_uid="dateline.notifications.announce_article",
        )
        # The worker (dateline/server/scheduler.py): digests due, stories whose announcement
        # was missed and expired confirmations every scheduler interval, and the email outbox
        # in a thread of its own.
        scheduler.register_chore("notification chores", actions.periodic)
        scheduler.register_chore("outbox retention", delivery.prune_settled, every=3600)
        scheduler.register_loop("mail-delivery", delivery.run_forever)
