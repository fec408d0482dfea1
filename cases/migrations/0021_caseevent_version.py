from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_saved_views_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="version",
            field=models.PositiveIntegerField(
                blank=True,
                editable=False,
                help_text="The case's version once the event's change was saved: what a page "
                "opened at an older version has not seen (empty on events older than this "
                "column).",
                null=True,
            ),
        ),
    ]
