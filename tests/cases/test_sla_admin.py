"""The staff queue shows how due times were derived; editing a calendar, a plan or a
tenant's plan in the admin recomputes the open cases they govern."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import services, tasks
from cases.models import Case, CloseReason
from cases.services.clocks import clocks_recompute_for_plans
from tenants.models import PlanPriority, SupportPlan
from tests.cases.helpers import (
    file_case,
    form_data,
    fresh,
    ny,
    plan_form_data,
    taken,
    tenant_form_data,
)
from tests.factories import PASSWORD, SupportPlanFactory

pytestmark = pytest.mark.django_db


def test_case_page_shows_the_due_times_and_how_they_were_derived(client, cast, time_machine):
    time_machine.move_to(ny(10, 16, 30), tick=False)
    case = file_case(cast)
    client.login(username=cast.engineer.username, password=PASSWORD)
    page = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    assert "How these times were worked out" in page
    assert "Initial response: next business day from the receipt at Fri 2026-04-10 16:30" in (page)
    assert "Mon–Fri 09:00–17:00 (America/New_York)" in page
    assert "At-risk warning to owner and triage lead for the initial response" in page


def test_case_page_shows_escalation_and_the_systems_notes(client, cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = services.case_request_info(
        case_id=taken(cast).id, actor=cast.engineer, body="Please send the logs."
    )
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="Logs attached.")
    time_machine.move_to(ny(20, 10), tick=False)
    tasks.send_sla_alerts()
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="And the HAR file?")
    time_machine.move_to(ny(24, 10), tick=False)
    tasks.send_follow_ups()
    client.login(username=cast.triage_lead.username, password=PASSWORD)
    page = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    assert "<strong>escalated</strong> to the support managers" in page
    assert "Escalated to the support managers: next update overdue" in page
    assert "SupportDesk" in page
    listing = client.get(reverse("admin:cases_case_changelist") + "?sla=escalated")
    assert case.reference in listing.content.decode()


def test_editing_a_calendar_recomputes_its_open_cases(client, cast, time_machine):
    time_machine.move_to(ny(10, 16, 30), tick=False)  # Friday
    case = file_case(cast)
    closed = taken(cast)
    services.case_close(
        case_id=closed.id, actor=cast.engineer, reason=CloseReason.DUPLICATE, note="Dup."
    )
    closed_before = fresh(closed).sla_explanation
    calendar = cast.tenant_a.plan.calendar
    week = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(
        reverse("admin:sla_calendar_change", args=[calendar.id]),
        form_data(calendar, weekly_hours=week),
        follow=True,
    )
    assert response.status_code == 200
    assert "Due times of 1 open case recomputed." in response.content.decode()
    assert fresh(case).initial_response_due == ny(11, 17), "Saturday is now a business day"
    assert fresh(closed).sla_explanation == closed_before


def test_editing_a_plans_priorities_recomputes_its_open_cases(client, cast, time_machine):
    time_machine.move_to(ny(10, 16, 30), tick=False)
    case = file_case(cast)
    plan = cast.tenant_a.plan
    data = plan_form_data(plan, {"P2": {"initial_response": "4bh"}})
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(reverse("admin:tenants_supportplan_change", args=[plan.id]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert fresh(case).initial_response_due == ny(13, 12, 30)
    assert any("4 business hours" in line for line in fresh(case).sla_explanation)


def test_moving_a_tenant_to_another_plan_recomputes_its_open_cases(client, cast, time_machine):
    time_machine.move_to(ny(10, 16, 30), tick=False)
    case = file_case(cast)
    premier = SupportPlanFactory(name="Premier")
    premier.priorities.filter(code="P2").update(initial_response="2bh")
    tenant = cast.tenant_a
    client.login(username=cast.manager.username, password=PASSWORD)
    data = tenant_form_data(tenant, plan=premier.id)
    response = client.post(reverse("admin:tenants_tenant_change", args=[tenant.id]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert fresh(case).initial_response_due == ny(13, 10, 30)


def test_large_plan_edits_recompute_a_batch_now_and_the_rest_in_the_task(cast, time_machine):
    time_machine.move_to(ny(10, 16, 30), tick=False)
    cases = [file_case(cast) for _ in range(3)]
    PlanPriority.objects.filter(plan=cast.tenant_a.plan, code="P2").update(initial_response="4bh")
    assert clocks_recompute_for_plans(plan_ids=[cast.tenant_a.plan_id], at_once=1) == (1, 2)
    assert Case.objects.filter(clocks_stale_at__isnull=False).count() == 2
    assert tasks.refresh_stale_clocks() == 2
    assert tasks.refresh_stale_clocks() == 0
    for case in cases:
        assert fresh(case).initial_response_due == ny(13, 12, 30)
        assert fresh(case).clocks_stale_at is None


def test_plan_priority_targets_must_be_readable(cast):
    priority = PlanPriority(
        plan=SupportPlan.objects.first(),
        code="P9",
        name="Odd",
        definition="x",
        rank=9,
        initial_response="4 hours",
        update_interval=" 2BD ",
    )
    with pytest.raises(ValidationError) as error:
        priority.full_clean()
    assert set(error.value.message_dict) == {"initial_response"}
    assert "'4 hours' is not an SLA target" in error.value.message_dict["initial_response"][0]
    assert priority.update_interval == "2bd"
