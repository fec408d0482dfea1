"""The triage view for triage leads and the manager dashboard with its figures."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import metrics, services
from cases.admin.dashboard import WINDOWS, compliance_tone
from cases.models import CloseReason, SatisfactionSurvey, SlaDaily, State
from cases.selectors import artifacts_checklist, cases_for, triage_queue
from cases.services.sla_cycles import sla_rollups_refresh, sla_totals_rebuild
from cases.sla_reports import Scope
from tests.cases.helpers import file_case, ny, reply_as_staff, taken
from tests.factories import PNG_BYTES, CaseFactory

pytestmark = pytest.mark.django_db

TRIAGE = reverse("admin:cases_case_triage")
DASHBOARD = reverse("admin:cases_case_dashboard")
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
# The manager dashboard's queries, whatever the window (7 days or a year).
DASHBOARD_QUERIES = 20
TRIAGE_QUERIES = 14


# Triage


def test_triage_is_for_triage_leads(client, cast):
    client.force_login(cast.engineer)
    assert client.get(TRIAGE).status_code == 403
    client.force_login(cast.triage_lead)
    assert client.get(TRIAGE).status_code == 200
    client.force_login(cast.manager)
    assert client.get(TRIAGE).status_code == 200


def test_triage_lists_new_unassigned_cases_with_their_artifacts_checklist(client, cast):
    complete = file_case(
        cast,
        summary="Complete",
        steps_to_reproduce="1. Open Billing",
        expected_result="CSV",
        actual_result="504",
        business_impact_details="Month-end close blocked",
        attachments=[SimpleUploadedFile("shot.png", PNG_BYTES, content_type="image/png")],
    )
    bare = file_case(cast, summary="Bare")
    owned = file_case(cast, summary="Owned")
    services.case_assign(case_id=owned.id, actor=cast.engineer, owner=cast.engineer)
    client.force_login(cast.triage_lead)
    response = client.get(TRIAGE)
    rows = {case.reference: checklist for case, checklist, _ in response.context["rows"]}
    assert set(rows) == {complete.reference, bare.reference}
    assert [item.present for item in rows[complete.reference]] == [True, True, True, True]
    assert [item.present for item in rows[bare.reference]] == [False, False, False, False]
    assert "1 file(s), 1 screenshot(s)" in rows[complete.reference][2].detail
    assert "Month-end close blocked" in rows[complete.reference][3].detail


def test_triage_shows_a_bounded_page_and_counts_no_further_than_the_cap(
    client, cast, settings, django_assert_max_num_queries
):
    from cases.admin import triage

    settings.AXES_ENABLED = False
    for index in range(4):
        CaseFactory(tenant=cast.tenant_a, summary=f"New {index}")
    client.force_login(cast.triage_lead)
    with django_assert_max_num_queries(TRIAGE_QUERIES):
        response = client.get(TRIAGE)
    assert (len(response.context["rows"]), response.context["total_label"]) == (4, "4")
    triage_shown, cap = triage.SHOWN, triage.COUNT_CAP
    try:
        triage.SHOWN, triage.COUNT_CAP = 2, 3
        response = client.get(TRIAGE)
    finally:
        triage.SHOWN, triage.COUNT_CAP = triage_shown, cap
    assert len(response.context["rows"]) == 2
    assert response.context["total_label"] == "3+"
    assert "?state=new&amp;owner=unassigned" in response.content.decode()


def test_users_affected_counts_as_impact(cast):
    file_case(cast, users_affected=40)
    (case,) = triage_queue(cast.triage_lead)
    impact = artifacts_checklist(case)[3]
    assert impact.present
    assert impact.detail == "40 users affected"


def test_assigning_from_triage_comes_back_to_triage(client, cast):
    case = file_case(cast)
    client.force_login(cast.triage_lead)
    response = client.post(
        reverse("admin:cases_case_act", args=[case.id, "assign"]),
        {"assign-owner": cast.engineer.id, "assign-expected_version": case.version, "next": TRIAGE},
    )
    assert response["Location"] == TRIAGE
    case.refresh_from_db()
    assert (case.owner, case.state) == (cast.engineer, State.IN_PROGRESS)
    assert client.get(TRIAGE).context["rows"] == []


# Metrics


def _clocked(tenant, *, due, responded=None, created=None):
    with time_machine.travel(created or due - dt.timedelta(hours=4), tick=False):
        return CaseFactory(tenant=tenant, initial_response_due=due, first_responded_at=responded)


def _replied(cast, time_machine, *, filed: dt.datetime, replied: dt.datetime, **overrides):
    """A case filed and taken at `filed`, answered by the engineer at `replied`: the
    initial-response cycle ends then, and the rollups are rebuilt as the beat does."""
    time_machine.move_to(filed, tick=False)
    case = taken(cast, **overrides)
    time_machine.move_to(replied, tick=False)
    reply_as_staff(cast, case)
    sla_rollups_refresh(now=replied, lookback=dt.timedelta(days=1))
    return case


def test_response_compliance_per_plan_counts_first_replies_met_and_late_in_the_window(
    cast, time_machine, settings
):
    settings.TIME_ZONE = "America/New_York"
    _replied(cast, time_machine, filed=ny(6, 10), replied=ny(6, 11))  # met (due Tue 17:00)
    _replied(cast, time_machine, filed=ny(6, 10), replied=ny(8, 11))  # late
    _replied(cast, time_machine, filed=ny(1, 10), replied=ny(1, 11))  # met, 9 days back
    last_week = Scope.last_days(7, ny(8, 12))
    (row,) = metrics.response_compliance(last_week, by="plan")
    assert (row.label, row.met, row.missed, row.percent) == (cast.tenant_a.plan.name, 1, 1, 50.0)
    (wider,) = metrics.response_compliance(Scope.last_days(30, ny(8, 12)), by="plan")
    assert (wider.met, wider.missed) == (2, 1)
    (customer,) = metrics.response_compliance(last_week, by="tenant")
    assert customer.label == cast.tenant_a.name


def test_response_compliance_puts_customers_with_nothing_decided_last_as_not_applicable(cast):
    day = dt.date(2026, 3, 9)
    SlaDaily.objects.bulk_create(
        [
            SlaDaily(
                day=day,
                tenant=tenant,
                plan=tenant.plan,
                priority="P2",
                category="bug",
                metric=metric,
                met=met,
                breached=breached,
            )
            for tenant, metric, met, breached in (
                (cast.tenant_a, "initial_response", 1, 3),
                (cast.tenant_b, "next_update", 2, 0),
            )
        ]
    )
    sla_totals_rebuild([day])
    rows = metrics.response_compliance(Scope.last_days(30, NOW), by="tenant")
    assert [(row.label, row.percent) for row in rows] == [
        (cast.tenant_a.name, 25.0),
        ("Globex", None),
    ]


def test_awaiting_first_response_counts_open_clocked_cases_in_time_and_past_due(cast):
    _clocked(cast.tenant_a, due=NOW + dt.timedelta(hours=1))  # in time
    _clocked(cast.tenant_a, due=NOW - dt.timedelta(hours=1))  # past due
    _clocked(cast.tenant_a, due=NOW - dt.timedelta(hours=1), responded=NOW)  # answered
    with time_machine.travel(NOW, tick=False):
        CaseFactory(tenant=cast.tenant_a)  # no clock
        CaseFactory(
            tenant=cast.tenant_a,
            initial_response_due=NOW - dt.timedelta(days=1),
            state=State.CLOSED,
            close_reason=CloseReason.RESOLVED,
            closed_at=NOW,
        )
    found = metrics.awaiting_first_response(cases_for(cast.manager), now=NOW)
    assert (found.pending, found.overdue) == (1, 1)


def test_breaches_count_open_overdue_cases_and_late_first_replies_per_day(cast):
    overdue = CaseFactory(tenant=cast.tenant_a, priority="P1", next_due_at=NOW - dt.timedelta(1))
    CaseFactory(tenant=cast.tenant_a, priority="P2", next_due_at=NOW + dt.timedelta(hours=1))
    CaseFactory(
        tenant=cast.tenant_a,
        next_due_at=NOW - dt.timedelta(hours=3),
        state=State.CLOSED,
        close_reason=CloseReason.RESOLVED,
        closed_at=NOW,
    )
    three_days_ago = (NOW - dt.timedelta(days=3)).date()
    SlaDaily.objects.create(
        day=three_days_ago,
        tenant=cast.tenant_a,
        plan=cast.tenant_a.plan,
        priority="P2",
        category="bug",
        metric="initial_response",
        met=4,
        breached=1,
    )
    sla_totals_rebuild([three_days_ago])
    found = metrics.breaches(cases_for(cast.manager), scope=Scope.last_days(30, NOW), now=NOW)
    assert found.open_breached == 1
    assert found.breached_by_priority == {"P1": 1}
    assert found.most_overdue == [overdue]
    assert len(found.missed_per_day) == 30
    assert dict(found.missed_per_day)[three_days_ago] == 1
    assert sum(count for _, count in found.missed_per_day) == 1


def test_open_cases_by_priority_and_state(cast):
    CaseFactory(tenant=cast.tenant_a, priority="P1")
    CaseFactory(tenant=cast.tenant_a, priority="P1", state=State.IN_PROGRESS)
    CaseFactory(tenant=cast.tenant_b, priority="P3", state=State.AWAITING_INFORMATION)
    rows = {
        row.priority: row for row in metrics.open_by_priority_and_state(cases_for(cast.manager))
    }
    assert rows["P1"].total == 2
    assert rows["P1"].by_state[State.IN_PROGRESS] == 1
    assert rows["P3"].by_state[State.AWAITING_INFORMATION] == 1


def test_csat_averages_per_plan_count_only_surveys_answered_in_the_window(cast):
    recent, old = (
        CaseFactory(
            tenant=cast.tenant_a,
            state=State.CLOSED,
            close_reason="resolved",
            closed_at=NOW - dt.timedelta(days=days),
        )
        for days in (3, 60)
    )
    for case, rating in ((recent, 4), (old, 1)):
        with time_machine.travel(case.closed_at, tick=False):
            SatisfactionSurvey.objects.create(
                case=case, closed_at=case.closed_at, service=rating, timeliness=rating, quality=5
            )
    rows = metrics.csat_averages(Scope.last_days(30, NOW))
    overall = rows[0]
    assert (overall.label, overall.responses) == ("All plans", 1)
    assert (overall.service, overall.timeliness, overall.quality) == (4, 4, 5)


# Dashboard page


def test_dashboard_is_for_managers(client, cast):
    for user in (cast.engineer, cast.triage_lead):
        client.force_login(user)
        assert client.get(DASHBOARD).status_code == 403


def test_dashboard_shows_open_work_compliance_breaches_and_escalations(client, cast, time_machine):
    _replied(cast, time_machine, filed=ny(6, 10), replied=ny(6, 11))
    now = ny(6, 12)
    time_machine.move_to(now, tick=False)
    CaseFactory(tenant=cast.tenant_a, priority="P1", next_due_at=now - dt.timedelta(hours=2))
    escalated = CaseFactory(
        tenant=cast.tenant_b,
        state=State.IN_PROGRESS,
        escalated_at=now,
        escalated_by=cast.engineer,
        escalation_reason="Renewal at risk",
    )
    client.force_login(cast.manager)
    for days in WINDOWS:
        response = client.get(DASHBOARD + f"?days={days}")
        assert response.status_code == 200
        context = response.context
        assert context["days"] == days
        assert context["open_total"] == 3
        assert context["breaches"].open_breached == 1
        assert context["escalated"] == [escalated]
        (plan_row, tone) = context["per_plan"][0]
        assert (plan_row.met, plan_row.percent, tone) == (1, 100.0, "good")
        html = response.content.decode()
        assert "Renewal at risk" in html
        assert "No survey answered in this window." in html
        assert '<svg class="sd-chart"' in html


def test_dashboard_lists_a_case_the_sla_sweep_escalated_by_itself(client, cast):
    CaseFactory(
        tenant=cast.tenant_a,
        state=State.IN_PROGRESS,
        escalated_at=NOW,
        escalated_by=None,
        escalation_reason="Initial response target breached",
    )
    client.force_login(cast.manager)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "by SupportDesk (an SLA target was breached)" in response.content.decode()


def test_dashboard_answers_in_a_bounded_number_of_queries_for_every_window(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.manager)
    for days in WINDOWS:
        with django_assert_max_num_queries(DASHBOARD_QUERIES):
            assert client.get(DASHBOARD + f"?days={days}").status_code == 200


def test_dashboard_window_defaults_to_30_days(client, cast):
    client.force_login(cast.manager)
    assert client.get(DASHBOARD + "?days=8").context["days"] == 30


def test_compliance_tone_thresholds():
    assert [compliance_tone(p) for p in (None, 99.0, 95.0, 90.0, 50.0)] == [
        "na",
        "good",
        "good",
        "fair",
        "poor",
    ]
