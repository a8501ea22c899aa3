"""``dateline check --deploy``: what a production site must not ship with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

PRINTING_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


@checks.register(checks.Tags.mail, deploy=True)
def email_is_sent(**kwargs: Any) -> list[checks.CheckMessage]:
    backend = str(settings.MAILERS.get("default", {}).get("BACKEND", ""))
    if backend not in PRINTING_BACKENDS:
        return []
    return [
        checks.Error(
            f"Email is not sent: EMAIL_URL picks {backend.rsplit('.', 2)[-2]}, which only "
            "prints or keeps messages, so readers get no confirmation links, notifications "
            "or sign-in links.",
            hint="Set EMAIL_URL to your mail server, for example "
            "EMAIL_URL=smtp://user:password@smtp.example.org:587?tls=1 "
            "(docs/notifications.md).",
            id="dateline.E001",
        )
    ]
