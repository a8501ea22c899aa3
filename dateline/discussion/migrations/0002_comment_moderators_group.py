"""The "Comment moderators" group: may use the Wagtail admin, work the comment queue and manage
bans. (Wagtail's own "Moderators" group is about approving pages, so it is left alone.)"""

from django.db import migrations

GROUP_NAME = "Comment moderators"
PERMISSIONS = [
    ("wagtailadmin", "admin", "access_admin"),
    ("discussion", "comment", "view_comment"),
    ("discussion", "comment", "change_comment"),
    ("discussion", "commenter", "view_commenter"),
    ("discussion", "ban", "view_ban"),
    ("discussion", "ban", "add_ban"),
    ("discussion", "ban", "change_ban"),
    ("discussion", "ban", "delete_ban"),
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations have run; on a fresh database
    # they do not exist yet, so create this app's now.
    app_config = apps.get_app_config("discussion")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP_NAME)
    for app_label, model, codename in PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, content_type__model=model, codename=codename
        ).first()
        if permission is None:
            raise RuntimeError(f"permission {app_label}.{codename} is missing")
        group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("discussion", "0001_threads_comments_commenters_bans"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
