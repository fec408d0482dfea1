"""What keeps the staff queue fast at a million cases: a bounded count with the planner's
estimate past it, and sorting only where an index serves it."""

import pytest
from django.contrib.admin.templatetags.admin_list import result_headers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from cases.models import Case
from supportdesk import admin_paging
from supportdesk.admin_paging import EstimatedCountPaginator, rounded
from tests.factories import CaseFactory, TenantFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:cases_case_changelist")
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's"
)


def page_text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


@pytest.mark.parametrize(
    ("estimate", "shown"),
    [(7, 7), (99, 99), (1234, 1200), (141_873, 140_000), (1_000_007, 1_000_000)],
)
def test_an_estimate_is_shown_to_two_significant_figures(estimate, shown):
    assert rounded(estimate) == shown


def test_a_short_queue_is_counted_exactly(client, cast):
    tenant = TenantFactory()
    CaseFactory.create_batch(3, tenant=tenant)
    client.force_login(cast.engineer)
    response = client.get(QUEUE)
    assert response.context["cl"].result_count == 3
    assert response.context["cl"].paginator.count_is == "exact"
    assert "3 cases" in page_text(response)


@needs_postgresql
def test_a_queue_the_planner_expects_to_be_long_is_not_counted_at_all(client, cast, monkeypatch):
    monkeypatch.setattr(admin_paging, "EXACT_COUNT_UP_TO", 2)
    monkeypatch.setattr(admin_paging, "planner_row_estimate", lambda queryset: 41)
    CaseFactory.create_batch(5, tenant=TenantFactory())
    client.force_login(cast.engineer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    assert not [q for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert response.context["cl"].result_count == 41
    assert "about 41 cases" in page_text(response)


@needs_postgresql
def test_a_middling_queue_counts_no_further_than_the_bound_and_says_about(
    client, cast, monkeypatch
):
    monkeypatch.setattr(admin_paging, "EXACT_COUNT_UP_TO", 2)
    monkeypatch.setattr(admin_paging, "planner_row_estimate", lambda queryset: 6)
    CaseFactory.create_batch(5, tenant=TenantFactory())
    client.force_login(cast.engineer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert len(counts) == 1
    assert "LIMIT 3" in counts[0]
    assert "about 6 cases" in page_text(response)


@needs_postgresql
def test_when_the_planner_expects_fewer_rows_than_the_bound_found_only_the_bound_is_shown(
    client, cast, monkeypatch
):
    monkeypatch.setattr(admin_paging, "EXACT_COUNT_UP_TO", 2)
    monkeypatch.setattr(admin_paging, "planner_row_estimate", lambda queryset: 1)
    CaseFactory.create_batch(5, tenant=TenantFactory())
    client.force_login(cast.engineer)
    response = client.get(QUEUE)
    assert "more than 2 cases" in page_text(response)


@needs_postgresql
def test_the_planner_estimate_reads_explain_without_reading_rows():
    CaseFactory.create_batch(3, tenant=TenantFactory())
    with CaptureQueriesContext(connection) as queries:
        estimate = admin_paging.planner_row_estimate(Case.objects.filter(priority="P3"))
    assert estimate >= 1
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["EXPLAIN"]


def test_the_paginator_counts_a_plain_list_as_django_does():
    assert EstimatedCountPaginator(list(range(7)), 5).count == 7


def test_the_queue_sorts_only_by_time_left_and_time_received(client, cast):
    CaseFactory(tenant=TenantFactory())
    client.force_login(cast.engineer)
    response = client.get(QUEUE)
    headers = result_headers(response.context["cl"])
    assert {header["text"] for header in headers if header["sortable"]} == {
        "SLA: time left",
        "Received",
    }
