"""A verified-guest link's body is the link itself. Rows already sent, failed for good or
cancelled before delivery started blanking them keep only subject, recipient and status."""

from django.db import migrations


def forget_bodies(apps, schema_editor):
    OutboundMessage = apps.get_model("notifications", "OutboundMessage")
    OutboundMessage.objects.filter(
        category="email_link", status__in=["sent", "failed", "cancelled"]
    ).update(text="", html="")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_subscription_asked_from_comments"),
    ]

    operations = [
        migrations.RunPython(forget_bodies, migrations.RunPython.noop, elidable=True),
    ]
