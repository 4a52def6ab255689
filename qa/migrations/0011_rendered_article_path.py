from django.db import migrations, models


def forget_stored_parts(apps, schema_editor):
    """Stored parts are rendered again on demand: the rows from before hold no path."""
    apps.get_model("qa", "RenderedArticle").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("qa", "0010_suggestedrelated"),
    ]

    operations = [
        migrations.RunPython(forget_stored_parts, migrations.RunPython.noop),
        migrations.AddField(
            model_name="renderedarticle",
            name="path",
            field=models.CharField(default="", max_length=400),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="renderedarticle",
            constraint=models.UniqueConstraint(fields=("path",), name="unique_rendered_article_path"),
        ),
    ]
