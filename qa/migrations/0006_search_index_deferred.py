# Reinstall the full-text index with its pause table, so bulk writers can defer the
# triggers and refresh a whole batch at once (qa.search.index.deferred).

from django.db import migrations

from qa.search.index import reinstall_migration


class Migration(migrations.Migration):

    dependencies = [
        ("qa", "0005_content_version"),
    ]

    operations = [
        migrations.RunPython(reinstall_migration, reinstall_migration, elidable=False),
    ]
