"""Comment moderators may delete spam and trashed comments for good (the queue's "Delete
permanently"; issue #14, retention)."""

from django.db import migrations

GROUP_NAME = "Comment moderators"


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    permission = Permission.objects.filter(
        content_type__app_label="discussion", codename="delete_comment"
    ).first()
    if group is not None and permission is not None:
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(
            *group.permissions.filter(
                content_type__app_label="discussion", codename="delete_comment"
            )
        )


class Migration(migrations.Migration):
    dependencies = [("discussion", "0002_comment_moderators_group")]

    operations = [migrations.RunPython(grant, revoke)]
