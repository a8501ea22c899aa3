"""What the identity app stores itself. The commenting identities are
``dateline.discussion.models.Commenter`` rows; sign-in providers are allauth ``SocialApp`` rows
(or environment variables); readers never get a Django user."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

# The longest an email confirmation link may live; retention relies on it too.
LONGEST_LINK_HOURS = 72


@register_setting(icon="user")
class IdentitySettings(BaseSiteSetting):
    class DeletedComments(models.TextChoices):
        ANONYMISE = "anonymise", _("Keep them, shown as written by “Former reader”")
        REMOVE = "remove", _("Remove them (replies keep their place)")

    deleted_comments = models.CharField(
        _("when a reader deletes their identity, their comments"),
        max_length=20,
        choices=DeletedComments.choices,
        default=DeletedComments.ANONYMISE,
    )
    email_link_hours = models.PositiveSmallIntegerField(
        _("email confirmation links expire after (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(LONGEST_LINK_HOURS)],
        help_text=_("Between 1 and 72."),
    )

    panels = [FieldPanel("deleted_comments"), FieldPanel("email_link_hours")]

    class Meta:
        verbose_name = _("reader identities")


class UsedEmailLink(models.Model):
    """A one-time email confirmation link that has been used. Links are signed and carry their
    own expiry; this row is what makes them single-use (the unique id refuses a second use even
    when two requests race)."""

    link_id = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("used email link")
        verbose_name_plural = _("used email links")

    def __str__(self) -> str:
        return self.link_id
