"""The SLA reports: figures on a small known dataset, CSV exports, roles, query budgets
and a contract review that only ever shows its own customer."""

import csv
import datetime as dt
from io import StringIO

import pytest
from django.urls import reverse

from cases import sla_reports
from cases.models import (
    ELAPSED_BUCKETS_MINUTES,
    CaseDaily,
    SatisfactionSurvey,
    SlaDaily,
    SlaDailyTotal,
)
from cases.services.sla_cycles import sla_month_totals_catch_up, sla_totals_rebuild
from tests.cases.helpers import file_case

pytestmark = pytest.mark.django_db

REPORTS = reverse("admin:cases_case_sla_reports")
RANGE = {"start": "2026-04-01", "end": "2026-04-30"}
BUCKETS = len(ELAPSED_BUCKETS_MINUTES) + 1


def histogram(**counts: int) -> list[int]:
    """Counts per bucket index, e.g. histogram(b0=2, b4=1)."""
    result = [0] * BUCKETS
    for name, count in counts.items():
        result[int(name[1:])] = count
    return result


@pytest.fixture
def dataset(cast):
    """Acme: 3 initial responses met, 1 breached (week of 6 Apr); 2 updates met, 2
    breached (week of 13 Apr); Globex: 1 breached initial response. Outside the range: a
    met one in March that must not count."""
    a, b = cast.tenant_a, cast.tenant_b

    def row(day, tenant, metric, met, breached, hist, owner=None, priority="P2"):
        return SlaDaily(
            day=day,
            tenant=tenant,
            plan=tenant.plan,
            priority=priority,
            category="bug",
            owner=owner,
            metric=metric,
            met=met,
            breached=breached,
            elapsed_histogram=hist,
        )

    SlaDaily.objects.bulk_create(
        [
            row(
                dt.date(2026, 4, 6),
                a,
                "initial_response",
                3,
                1,
                histogram(b0=1, b2=2, b6=1),
                owner=cast.engineer,
            ),
            row(
                dt.date(2026, 4, 14),
                a,
                "next_update",
                2,
                2,
                histogram(b6=4),
                owner=cast.engineer,
                priority="P1",
            ),
            row(dt.date(2026, 4, 8), b, "initial_response", 0, 1, histogram(b7=1)),
            row(dt.date(2026, 3, 20), a, "initial_response", 5, 0, histogram(b0=5)),
        ]
    )
    sla_totals_rebuild(SlaDaily.objects.values_list("day", flat=True))
    CaseDaily.objects.bulk_create(
        [
            CaseDaily(
                day=dt.date(2026, 4, 6), tenant=a, received=4, closed=2, reopened=1, open_at_end=10
            ),
            CaseDaily(
                day=dt.date(2026, 4, 7), tenant=a, received=0, closed=2, reopened=0, open_at_end=8
            ),
            CaseDaily(
                day=dt.date(2026, 4, 7), tenant=b, received=1, closed=0, reopened=0, open_at_end=3
            ),
        ]
    )
    return cast


def scope(tenant=None) -> sla_reports.Scope:
    return sla_reports.Scope(dt.date(2026, 4, 1), dt.date(2026, 4, 30), tenant_id=tenant)


def test_compliance_per_tenant_counts_each_metric_in_the_range_only(dataset):
    rows = {row.label: row for row in sla_reports.compliance(scope(), "tenant")}
    acme, globex = rows["Acme Corp"], rows["Globex"]
    assert acme.per_metric == {"initial_response": (3, 1), "next_update": (2, 2)}
    assert acme.percent("initial_response") == 75.0
    assert acme.percent("next_update") == 50.0
    assert acme.percent("resolution") is None
    assert globex.per_metric == {"initial_response": (0, 1)}


def test_compliance_per_engineer_and_priority(dataset):
    by_owner = {row.label: row.total for row in sla_reports.compliance(scope(), "owner")}
    assert by_owner[dataset.engineer.get_full_name() or dataset.engineer.get_username()] == (5, 3)
    by_priority = {row.label: row.total for row in sla_reports.compliance(scope(), "priority")}
    assert by_priority == {"P2": (3, 2), "P1": (2, 2)}


def test_weekly_trend_backlog_reopen_rate_and_distributions(dataset):
    trend = sla_reports.weekly_trend(scope())
    assert [(p.week, p.met, p.breached, p.percent) for p in trend] == [
        (dt.date(2026, 4, 6), 3, 2, 60.0),
        (dt.date(2026, 4, 13), 2, 2, 50.0),
    ]
    points = sla_reports.backlog(scope())
    assert [(p.day, p.open_at_end) for p in points] == [
        (dt.date(2026, 4, 6), 10),
        (dt.date(2026, 4, 7), 11),
    ]
    assert sla_reports.reopen_rate(points) == 25.0
    response, resolution = sla_reports.distributions(scope())
    assert response.counts == histogram(b0=1, b2=2, b6=1, b7=1)
    assert response.median == "≤ 1 h"  # the 3rd of 5 falls in the third band
    assert response.p90 == "≤ 2 d"
    assert resolution.total == 0
    assert resolution.median == "–"


def test_a_tenant_scope_sees_only_its_own_figures(dataset):
    rows = sla_reports.compliance(scope(dataset.tenant_b.id), "tenant")
    assert [row.label for row in rows] == ["Globex"]
    assert [p.open_at_end for p in sla_reports.backlog(scope(dataset.tenant_b.id))] == [3]


def test_reports_page_is_for_managers_only(client, dataset):
    for user in (dataset.engineer, dataset.triage_lead):
        client.force_login(user)
        assert client.get(REPORTS).status_code == 403
    client.force_login(dataset.contact_a)
    assert client.get(REPORTS).status_code in (302, 403)
    client.force_login(dataset.manager)
    response = client.get(REPORTS, RANGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme Corp" in page
    assert "75.0" in page
    assert '<title id="trend-title">SLA compliance per week</title>' in page


def test_reports_page_answers_in_a_bounded_number_of_queries(
    client, dataset, django_assert_max_num_queries
):
    client.force_login(dataset.manager)
    with django_assert_max_num_queries(30):
        assert client.get(REPORTS, {**RANGE, "by": "owner"}).status_code == 200


def test_bad_dates_say_so_and_fall_back_to_the_last_90_days(client, dataset):
    client.force_login(dataset.manager)
    page = client.get(REPORTS, {"start": "yesterday"}).content.decode()
    assert "Dates are written YYYY-MM-DD" in page


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(StringIO(response.content.decode())))


def test_compliance_csv_has_a_row_per_value_with_counts_and_percent(client, dataset):
    client.force_login(dataset.manager)
    rows = read_csv(client.get(REPORTS, {**RANGE, "by": "tenant", "export": "compliance"}))
    assert rows[0][:4] == [
        "Customer",
        "Initial response met",
        "Initial response breached",
        "Initial response %",
    ]
    assert rows[1][:7] == ["Acme Corp", "3", "1", "75.0", "2", "2", "50.0"]
    assert rows[2][:4] == ["Globex", "0", "1", "0.0"]


def test_trend_backlog_and_distribution_csvs(client, dataset):
    client.force_login(dataset.manager)
    trend = read_csv(client.get(REPORTS, {**RANGE, "export": "trend"}))
    assert trend[1:] == [["2026-04-06", "3", "2", "60.0"], ["2026-04-13", "2", "2", "50.0"]]
    backlog = read_csv(client.get(REPORTS, {**RANGE, "export": "backlog"}))
    assert backlog[1] == ["2026-04-06", "10", "4", "2", "1"]
    spread = read_csv(client.get(REPORTS, {**RANGE, "export": "distributions"}))
    assert spread[-2] == ["Median", "≤ 1 h", "–"]


def test_survey_comments_csv_lists_manager_call_requests_and_quotes_formulas(
    client, dataset, time_machine
):
    time_machine.move_to(dt.datetime(2026, 4, 10, 12, tzinfo=dt.UTC), tick=False)
    case = file_case(dataset)
    SatisfactionSurvey.objects.create(
        case=case,
        closed_at=case.created_at,
        service=2,
        timeliness=1,
        quality=3,
        comment='=HYPERLINK("x")',
        manager_contact=True,
    )
    client.force_login(dataset.manager)
    rows = read_csv(client.get(REPORTS, {**RANGE, "export": "comments"}))
    assert rows[1][1] == case.reference
    assert rows[1][7] == "yes"
    assert rows[1][8] == '\'=HYPERLINK("x")'
    csat = read_csv(client.get(REPORTS, {**RANGE, "export": "csat"}))
    assert csat[1][1:] == ["1", "2.0", "1.0", "3.0"]


def test_unknown_export_is_not_found(client, dataset):
    client.force_login(dataset.manager)
    assert client.get(REPORTS, {"export": "everything"}).status_code == 404


def test_staff_contract_review_shows_only_that_customer(client, dataset):
    client.force_login(dataset.manager)
    url = reverse("admin:cases_case_contract_review", args=[dataset.tenant_b.id])
    page = client.get(url, RANGE).content.decode()
    assert "Contract review: Globex" in page
    assert "Acme Corp" not in page
    rows = read_csv(client.get(url, {**RANGE, "export": "compliance"}))
    assert [row[0] for row in rows[1:]] == ["P2"]
    assert rows[1][1:3] == ["0", "1"]
    assert client.get(url, {"export": "comments"}).status_code == 404
    client.force_login(dataset.engineer)
    assert client.get(url).status_code == 403


PORTAL_REVIEW = reverse("portal:contract_review")


def test_portal_contract_review_shows_the_contacts_own_tenant_only(client, dataset):
    client.force_login(dataset.contact_b)
    response = client.get(PORTAL_REVIEW, RANGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Globex" in page
    assert "Acme Corp" not in page
    rows = read_csv(client.get(PORTAL_REVIEW, {**RANGE, "export": "compliance"}))
    assert rows[1][:3] == ["P2", "0", "1"], "Globex's one breach; none of Acme's cycles"
    backlog = read_csv(client.get(PORTAL_REVIEW, {**RANGE, "export": "backlog"}))
    assert [row[1] for row in backlog[1:]] == ["3"]


def test_portal_contract_review_never_exports_staff_only_tables(client, dataset):
    client.force_login(dataset.contact_a)
    for name in ("comments", "csat"):
        assert client.get(PORTAL_REVIEW, {"export": name}).status_code == 404


def test_portal_contract_review_is_refused_to_partners_and_sends_staff_to_the_admin(
    client, dataset
):
    client.force_login(dataset.partner_with_letter)
    assert client.get(PORTAL_REVIEW).status_code == 403
    assert client.get(PORTAL_REVIEW, {"export": "compliance"}).status_code == 403
    client.force_login(dataset.manager)
    assert client.get(PORTAL_REVIEW).status_code == 302


def test_portal_contract_review_answers_in_a_bounded_number_of_queries(
    client, dataset, django_assert_max_num_queries
):
    client.force_login(dataset.contact_a)
    with django_assert_max_num_queries(25):
        assert client.get(PORTAL_REVIEW, RANGE).status_code == 200


def test_a_month_that_is_over_gets_month_rows_that_sum_its_days(dataset):
    april = SlaDailyTotal.objects.filter(span="month", day=dt.date(2026, 4, 1))
    everything = april.get(dimension="all", metric="initial_response")
    assert (everything.met, everything.breached) == (3, 2)
    assert everything.elapsed_histogram == histogram(b0=1, b2=2, b6=1, b7=1)
    assert set(april.filter(dimension="tenant").values_list("key", flat=True)) == {
        str(dataset.tenant_a.id),
        str(dataset.tenant_b.id),
    }


def test_a_whole_month_reads_its_month_rows_and_gives_what_its_days_give(dataset):
    whole_april = scope()
    assert whole_april.whole_months() == [dt.date(2026, 4, 1)]
    assert set(whole_april.totals("tenant").values_list("span", flat=True)) == {"month"}
    from_months = {row.key: row.per_metric for row in sla_reports.compliance(whole_april, "tenant")}
    SlaDailyTotal.objects.filter(span="month").delete()
    assert set(whole_april.totals("tenant").values_list("span", flat=True)) == {"day"}
    from_days = {row.key: row.per_metric for row in sla_reports.compliance(whole_april, "tenant")}
    assert from_months == from_days
    assert sla_reports.Scope(dt.date(2026, 4, 2), dt.date(2026, 5, 30)).whole_months() == []


def test_a_range_across_months_mixes_month_rows_and_the_days_around_them(dataset):
    across = sla_reports.Scope(dt.date(2026, 3, 15), dt.date(2026, 4, 30))
    assert sorted(set(across.totals("all").values_list("span", "day"))) == [
        ("day", dt.date(2026, 3, 20)),
        ("month", dt.date(2026, 4, 1)),
    ]
    rows = {
        row.key: row.per_metric["initial_response"]
        for row in sla_reports.compliance(across, "tenant")
    }
    assert rows == {dataset.tenant_a.id: (8, 1), dataset.tenant_b.id: (0, 1)}


def test_rebuilding_a_past_day_rebuilds_its_month_and_the_beat_catches_up_missing_months(
    dataset,
):
    SlaDaily.objects.filter(day=dt.date(2026, 4, 8)).update(met=5)
    sla_totals_rebuild([dt.date(2026, 4, 8)])
    april = SlaDailyTotal.objects.get(
        span="month", day=dt.date(2026, 4, 1), dimension="all", metric="initial_response"
    )
    assert (april.met, april.breached) == (8, 2)
    SlaDailyTotal.objects.filter(span="month").delete()
    now = dt.datetime(2026, 5, 2, 12, tzinfo=dt.UTC)
    assert sla_month_totals_catch_up(now=now) == 2, "March and April"
    assert sla_month_totals_catch_up(now=now) == 0
