"""Answers to the plan's own questions on the case, and their text for the search box.

Both columns have a constant default, so adding them rewrites no case row (PostgreSQL 11+
stores the default in the catalogue). On PostgreSQL the search text gets a trigram index
on the expression `icontains` uses, like the summary's (0007).
"""

from django.db import migrations, models


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "case_custom_search_trgm" ON "cases_case" '
        'USING gin ((UPPER("custom_search"::text)) gin_trgm_ops)'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "case_custom_search_trgm"')


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0013_backfill_tenant_files_bytes'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='custom_fields',
            field=models.JSONField(blank=True, default=dict, help_text="Answers to the plan's intake and closure fields by key, typed (cases.services.intake)."),
        ),
        migrations.AddField(
            model_name='case',
            name='custom_search',
            field=models.TextField(blank=True, default='', editable=False, help_text="The answers' values as text, for the search box (a trigram index on PostgreSQL); written with `custom_fields`."),
        ),
        migrations.AlterField(
            model_name='case',
            name='category',
            field=models.CharField(help_text="A category code (tenants.Category) the tenant's plan offers.", max_length=32),
        ),
        migrations.AlterField(
            model_name='case',
            name='close_reason',
            field=models.CharField(blank=True, choices=[('resolved', 'Resolved'), ('no_response', 'No response'), ('known_issue_resolved', 'Known issue resolved'), ('outside_cause', 'Cause outside the product'), ('cancelled', 'Cancelled by customer'), ('enhancement_transferred', 'Enhancement transferred'), ('duplicate', 'Duplicate'), ('out_of_scope', 'Out of scope (third-party or customer-specific component)')], max_length=32),
        ),
        migrations.RunPython(create_index, drop_index),
    ]
