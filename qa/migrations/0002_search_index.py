# The full-text index and the triggers that keep it current (see qa/search/index.py):
# FTS5 on SQLite, a GIN-indexed tsvector expression on PostgreSQL. Other databases get neither.

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor):
    from qa.search import index

    index.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from qa.search import index

    index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('qa', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchDocument',
            fields=[
                ('question', models.OneToOneField(db_column='rowid', db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='search_document', serialize=False, to='qa.question')),
                ('document', models.TextField(db_column='qa_search')),
                ('head', django.contrib.postgres.search.SearchVectorField()),
            ],
            options={
                'db_table': 'qa_search',
                'managed': False,
            },
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
