"""Trigram indexes for the queue's search box on PostgreSQL.

Django's icontains is `UPPER(col::text) LIKE UPPER('%word%')`; a GIN trigram index on the
same expression turns the search of 100,000 summaries from a sequential scan into an
index lookup (see bench/bench_queue.py). SQLite has no such index and searches by scan,
so this migration does nothing there; the model state is unchanged either way.
"""

from django.db import migrations

INDEXES = {
    "case_summary_trgm": "summary",
    "case_reference_trgm": "reference",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "cases_case" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_queue_known_issue_escalation_merge")]

    operations = [migrations.RunPython(create, drop)]
