"""The triage view for triage leads and the manager dashboard with its figures."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import metrics, services
from cases.admin.dashboard import compliance_tone
from cases.models import CloseReason, SatisfactionSurvey, State
from cases.selectors import artifacts_checklist, cases_for, triage_queue
from tests.cases.helpers import file_case
from tests.factories import PNG_BYTES, CaseFactory, SupportPlanFactory, TenantFactory

pytestmark = pytest.mark.django_db

TRIAGE = reverse("admin:cases_case_triage")
DASHBOARD = reverse("admin:cases_case_dashboard")
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


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


def test_sla_compliance_counts_met_missed_pending_and_unclocked_per_plan(cast):
    gold = TenantFactory(plan=SupportPlanFactory(name="Gold"))
    due = NOW - dt.timedelta(days=2)
    _clocked(cast.tenant_a, due=due, responded=due - dt.timedelta(minutes=1))  # met
    _clocked(cast.tenant_a, due=due, responded=due)  # met, exactly at the due time
    _clocked(cast.tenant_a, due=due, responded=due + dt.timedelta(minutes=1))  # missed
    _clocked(cast.tenant_a, due=due)  # missed: never answered, time passed
    _clocked(cast.tenant_a, due=NOW + dt.timedelta(hours=1))  # pending
    with time_machine.travel(due, tick=False):
        CaseFactory(tenant=cast.tenant_a)  # no clock
    _clocked(gold, due=due, created=NOW - dt.timedelta(days=40))  # outside 30 days
    rows = metrics.sla_compliance(
        cases_for(cast.manager),
        since=NOW - dt.timedelta(days=30),
        now=NOW,
        group_by="tenant__plan__name",
    )
    (plan_row,) = rows
    assert (plan_row.label, plan_row.met, plan_row.missed, plan_row.pending) == (
        cast.tenant_a.plan.name,
        2,
        2,
        1,
    )
    assert (plan_row.unclocked, plan_row.percent) == (1, 50.0)
    wider = metrics.sla_compliance(
        cases_for(cast.manager),
        since=NOW - dt.timedelta(days=90),
        now=NOW,
        group_by="tenant__plan__name",
    )
    assert [row.label for row in wider] == ["Gold", cast.tenant_a.plan.name]


def test_tenant_without_clocked_cases_is_not_applicable_not_perfect(cast):
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        CaseFactory(tenant=cast.tenant_b)
    (row,) = metrics.sla_compliance(
        cases_for(cast.manager), since=NOW - dt.timedelta(days=30), now=NOW, group_by="tenant__name"
    )
    assert (row.label, row.percent, row.unclocked) == ("Globex", None, 1)


def test_breaches_count_open_overdue_cases_and_missed_responses_per_day(cast):
    overdue = CaseFactory(tenant=cast.tenant_a, priority="P1", next_due_at=NOW - dt.timedelta(1))
    CaseFactory(tenant=cast.tenant_a, priority="P2", next_due_at=NOW + dt.timedelta(hours=1))
    CaseFactory(
        tenant=cast.tenant_a,
        next_due_at=NOW - dt.timedelta(hours=3),
        state=State.CLOSED,
        close_reason=CloseReason.RESOLVED,
        closed_at=NOW,
    )
    _clocked(cast.tenant_a, due=NOW - dt.timedelta(days=3))
    found = metrics.breaches(cases_for(cast.manager), since=NOW - dt.timedelta(days=30), now=NOW)
    assert found.open_breached == 1
    assert found.breached_by_priority == {"P1": 1}
    assert found.most_overdue == [overdue]
    assert len(found.missed_per_day) == 31
    assert dict(found.missed_per_day)[(NOW - dt.timedelta(days=3)).date()] == 1
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


def test_csat_averages_per_plan_count_only_surveys_of_cases_closed_in_the_window(cast):
    recent = CaseFactory(
        tenant=cast.tenant_a,
        state=State.CLOSED,
        close_reason="resolved",
        closed_at=NOW - dt.timedelta(days=3),
    )
    old = CaseFactory(
        tenant=cast.tenant_a,
        state=State.CLOSED,
        close_reason="resolved",
        closed_at=NOW - dt.timedelta(days=60),
    )
    for case, rating in ((recent, 4), (old, 1)):
        SatisfactionSurvey.objects.create(
            case=case, closed_at=case.closed_at, service=rating, timeliness=rating, quality=5
        )
    rows = metrics.csat_averages(cases_for(cast.manager), since=NOW - dt.timedelta(days=30))
    overall = rows[0]
    assert (overall.label, overall.responses) == ("All plans", 1)
    assert (overall.service, overall.timeliness, overall.quality) == (4, 4, 5)


# Dashboard page


def test_dashboard_is_for_managers(client, cast):
    for user in (cast.engineer, cast.triage_lead):
        client.force_login(user)
        assert client.get(DASHBOARD).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_dashboard_shows_open_work_compliance_breaches_and_escalations(client, cast):
    CaseFactory(tenant=cast.tenant_a, priority="P1", next_due_at=NOW - dt.timedelta(hours=2))
    _clocked(cast.tenant_a, due=NOW - dt.timedelta(days=1), responded=NOW - dt.timedelta(days=2))
    escalated = CaseFactory(
        tenant=cast.tenant_b,
        state=State.IN_PROGRESS,
        escalated_at=NOW,
        escalated_by=cast.engineer,
        escalation_reason="Renewal at risk",
    )
    client.force_login(cast.manager)
    response = client.get(DASHBOARD + "?days=90")
    assert response.status_code == 200
    context = response.context
    assert context["days"] == 90
    assert context["open_total"] == 3
    assert context["breaches"].open_breached == 1
    assert context["escalated"] == [escalated]
    (plan_row, tone) = context["per_plan"][0]
    assert (plan_row.percent, tone) == (100.0, "good")
    html = response.content.decode()
    assert "Renewal at risk" in html
    assert "No survey answered in this window." in html
    assert '<svg class="sd-chart"' in html


def test_dashboard_window_defaults_to_30_days(client, cast):
    client.force_login(cast.manager)
    assert client.get(DASHBOARD + "?days=7").context["days"] == 30


def test_compliance_tone_thresholds():
    assert [compliance_tone(p) for p in (None, 99.0, 95.0, 90.0, 50.0)] == [
        "na",
        "good",
        "good",
        "fair",
        "poor",
    ]
