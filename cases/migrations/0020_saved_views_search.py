"""Saved queue views, and the full-text indexes of the search box on PostgreSQL.

The search documents are expressions (cases.models.case_search_document and
comment_search_document), indexed here with GIN so `document @@ query` is an index scan
over a million cases and their comments. The SQL below is what Django compiles those
expressions to; PostgreSQL uses an expression index only for the same expression, so the
two change together (tests/cases/test_search.py checks the plan). SQLite searches by scan,
so the indexes are made on PostgreSQL only; the model state is unchanged either way.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CASE_DOCUMENT = (
    "(((setweight(to_tsvector('english'::regconfig, COALESCE(summary, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'B')) || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(custom_search, '')), 'C')))"
)
COMMENT_DOCUMENT = "(to_tsvector('english'::regconfig, COALESCE(body, '')))"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "case_search_document" ON "cases_case" USING gin ({CASE_DOCUMENT})'
    )
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "comment_search_document" ON "cases_comment" '
        f"USING gin ({COMMENT_DOCUMENT})"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "case_search_document"')
    schema_editor.execute('DROP INDEX IF EXISTS "comment_search_document"')


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0019_macros"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedQueueView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=80)),
                (
                    "shared",
                    models.BooleanField(
                        default=False,
                        help_text="Shown to all staff under “Shared views”, not only its owner.",
                    ),
                ),
                (
                    "query",
                    models.CharField(
                        blank=True,
                        help_text="The queue's filters and search as a query string "
                        "(state=all&priority=P1).",
                        max_length=1000,
                    ),
                ),
                (
                    "columns",
                    models.JSONField(
                        blank=True, default=list, help_text="The queue's column names, in order."
                    ),
                ),
                (
                    "order",
                    models.CharField(
                        choices=[
                            ("queue", "Contract order (priority, impact, environment, received)"),
                            ("time_left", "Least time left first"),
                            ("newest", "Newest first"),
                            ("oldest", "Oldest first"),
                        ],
                        default="queue",
                        max_length=16,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_queue_views",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["name", "id"],
                "indexes": [models.Index(fields=["shared", "name"], name="saved_view_shared")],
                "constraints": [
                    models.UniqueConstraint(fields=("owner", "name"), name="unique_saved_view_name")
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
