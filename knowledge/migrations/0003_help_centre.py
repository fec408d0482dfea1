"""The help centre: articles get a category, readers answer "Was this helpful?", known
issues keep a public history of their stage and target date.

On PostgreSQL the full-text search of `knowledge.search` gets GIN indexes on the very
expression it matches (weighted title over body, English configuration); SQLite searches
by scan, so nothing is made there and the model state is the same either way.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

SEARCH_INDEXES = {
    "article_search": ("knowledge_article", "title", "body"),
    "known_issue_search": ("knowledge_knownissue", "title", "public_summary"),
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, title, body) in SEARCH_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (('
            f"setweight(to_tsvector('english'::regconfig, COALESCE(\"{title}\", '')), 'A') || "
            f"setweight(to_tsvector('english'::regconfig, COALESCE(\"{body}\", '')), 'B')))"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCH_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ('knowledge', '0002_product_feedback_and_resolution_note'),
        ('tenants', '0015_staff_time_zone'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='category',
            field=models.ForeignKey(blank=True, help_text='The help centre groups articles by the case categories.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenants.category'),
        ),
        migrations.CreateModel(
            name='ArticleVote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('helpful', models.BooleanField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('article', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to='knowledge.article')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('article', 'user'), name='one_vote_per_reader')],
            },
        ),
        migrations.CreateModel(
            name='KnownIssueChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stage', models.CharField(choices=[('investigating', 'Investigating'), ('in_development', 'Fix in development'), ('in_testing', 'Fix in testing'), ('scheduled', 'Fix scheduled for release'), ('resolved', 'Resolved')], max_length=20)),
                ('target_date', models.DateField(blank=True, null=True)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('known_issue', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='history', to='knowledge.knownissue')),
            ],
            options={
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['known_issue', '-at'], name='known_issue_history')],
            },
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
