"""The "Editors" group: edit and publish articles, subjects and redirects; never users or settings.

Also the "publish_question" permission the group is given, and the index that keeps the admin's
newest-first question list from sorting the whole table.

Permissions are normally created after the last migration (post_migrate), too late for a group
made here on a fresh database, so this migration creates the ones it grants first.
"""
from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

EDITORS = "Editors"
# Articles and their parts: everything but deleting a question or a subject (editors unpublish;
# deleting stays with administrators). Inline rows need delete to be removed from an article.
GRANTS = {
    ("qa", "question"): ["add", "change", "view", "publish"],
    ("qa", "answer"): ["add", "change", "view", "delete"],
    ("qa", "seo"): ["add", "change", "view", "delete"],
    ("qa", "relatedarticle"): ["add", "change", "view", "delete"],
    ("qa", "subject"): ["add", "change", "view"],
    ("redirects", "redirect"): ["add", "change", "view", "delete"],
}


def create_editors(apps, schema_editor):
    using = schema_editor.connection.alias
    for label in ("qa", "redirects"):
        create_permissions(global_apps.get_app_config(label), apps=apps, using=using, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.using(using).get_or_create(name=EDITORS)
    for (app_label, model), actions in GRANTS.items():
        codenames = [f"{action}_{model}" for action in actions]
        permissions = Permission.objects.using(using).filter(
            content_type__app_label=app_label, content_type__model=model, codename__in=codenames
        )
        if permissions.count() != len(codenames):
            raise RuntimeError(f"missing permissions for {app_label}.{model}: {codenames}")
        editors.permissions.add(*permissions)


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0002_search_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("redirects", "0002_alter_redirect_new_path_help_text"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="question",
            options={
                "get_latest_by": "updated_at",
                "ordering": ["-date", "-id"],
                "permissions": [("publish_question", "Can publish, schedule and unpublish questions")],
            },
        ),
        migrations.AddIndex(
            model_name="question",
            index=models.Index(fields=["-date", "-id"], name="question_date_listing"),
        ),
        migrations.RunPython(create_editors, remove_editors),
    ]
