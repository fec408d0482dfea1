"""The audit log at millions of rows: the list is never counted past a bound, and the
pages of one tenant or one person are read newest first from an index."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from supportdesk import admin_paging
from tests.cases.helpers import file_case

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's"
    ),
]

LIST = reverse("admin:audit_auditentry_changelist")


def test_a_log_the_planner_expects_to_be_long_is_not_counted(client, cast, monkeypatch):
    monkeypatch.setattr(admin_paging, "planner_row_estimate", lambda queryset: 2_345_678)
    file_case(cast)
    client.force_login(cast.manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"tenant__id__exact": cast.tenant_a.id})
    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert response.context["cl"].paginator.count_is == "about"
    assert response.context["cl"].result_count == 2_300_000


@pytest.mark.parametrize(
    ("filters", "index"),
    [("tenant", "audit_tenant_time"), ("actor", "audit_actor_time")],
)
def test_a_tenants_or_a_persons_newest_entries_come_from_an_index(cast, filters, index):
    file_case(cast)
    value = cast.tenant_a.id if filters == "tenant" else cast.contact_a.id
    page = AuditEntry.objects.filter(**{f"{filters}_id": value})[:100]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows would be scanned whole, or gathered by a bitmap and sorted; ask
        # what the plan is when reading the table is dear, as it is at millions of rows.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan
    assert "Sort" not in plan.split(index)[0], plan
