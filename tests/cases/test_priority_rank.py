"""The queue orders work by the rank of the case's priority in its plan, not by the code:
"P10" is not more urgent than "P2", and a "Sev1" case comes before a "P4" case. The
rank is written with the code, follows plan edits, and was filled in by migration 0011."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cases import metrics, services
from cases.models import UNRANKED, Case, CloseReason, State
from cases.selectors import cases_for, queue_for, triage_queue
from cases.services.priorities import cases_rerank_for_plans
from cases.sla_reports import Scope
from tenants.models import PlanPriority, SupportPlan, Tenant
from tests.cases.helpers import file_case, fresh, plan_form_data, tenant_form_data
from tests.factories import PASSWORD, CaseFactory, SupportPlanFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:cases_case_changelist")
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
TEN_LEVELS = [f"P{n}" for n in range(1, 11)]
SEVERITIES = ["Sev1", "Sev2", "Sev3"]


def plan_with(codes: list[str], name: str) -> SupportPlan:
    """A plan whose priorities are `codes`, most urgent first."""
    plan = SupportPlanFactory(name=name)
    plan.priorities.all().delete()
    for rank, code in enumerate(codes, start=1):
        PlanPriority.objects.create(
            plan=plan,
            code=code,
            name=code,
            rank=rank,
            definition=f"{code} impact.",
            initial_response="nbd",
            update_interval="2bd",
        )
    return plan


def move(tenant: Tenant, plan: SupportPlan) -> Tenant:
    tenant.plan = plan
    tenant.save(update_fields=["plan"])
    return tenant


def queue(client, user) -> list[str]:
    client.force_login(user)
    response = client.get(QUEUE)
    assert response.status_code == 200
    return [case.reference for case in response.context["cl"].result_list]


@pytest.fixture
def ten_and_sev(cast):
    """Tenant A on a plan of ten levels P1…P10, tenant B on Sev1…Sev3."""
    move(cast.tenant_a, plan_with(TEN_LEVELS, "Ten levels"))
    move(cast.tenant_b, plan_with(SEVERITIES, "Severities"))
    return cast


def test_queue_lists_cases_by_rank_across_plans_whose_codes_do_not_sort(client, ten_and_sev):
    cast = ten_and_sev
    filed = {}
    for minutes, (who, tenant, code) in enumerate(
        [
            (cast.contact_a, cast.tenant_a, "P10"),
            (cast.contact_b, cast.tenant_b, "Sev3"),
            (cast.contact_a, cast.tenant_a, "P2"),
            (cast.contact_b, cast.tenant_b, "Sev1"),
            (cast.contact_a, cast.tenant_a, "P1"),
        ]
    ):
        with time_machine.travel(NOW + dt.timedelta(minutes=minutes), tick=False):
            filed[code] = file_case(cast, actor=who, tenant_id=tenant.id, priority=code).reference
    by_rank = [filed[code] for code in ("Sev1", "P1", "P2", "Sev3", "P10")]
    assert queue(client, cast.engineer) == by_rank
    assert [case.reference for case in queue_for(cast.engineer)] == by_rank
    assert [case.reference for case in triage_queue(cast.engineer)] == by_rank


def test_a_case_filed_takes_its_codes_rank_and_mail_the_lowest(ten_and_sev):
    cast = ten_and_sev
    assert file_case(cast, priority="P7").priority_rank == 7
    mailed = file_case(cast, channel="email", priority="P1")
    assert (mailed.priority, mailed.priority_rank) == ("P10", 10)


def test_changing_a_cases_priority_moves_it_in_the_queue(client, ten_and_sev):
    cast = ten_and_sev
    with time_machine.travel(NOW, tick=False):
        later = file_case(cast, priority="P5")
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        sooner = file_case(cast, priority="P3")
    assert queue(client, cast.engineer) == [sooner.reference, later.reference]
    changed = services.case_change_priority(
        case_id=later.id, actor=cast.engineer, priority="P1", reason="Production is down."
    )
    assert (fresh(changed).priority, fresh(changed).priority_rank) == ("P1", 1)
    assert queue(client, cast.engineer) == [later.reference, sooner.reference]


def test_editing_a_plans_ranks_in_the_admin_reorders_its_open_cases(client, cast):
    with time_machine.travel(NOW, tick=False):
        demoted = file_case(cast, priority="P1")
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        other_plan = file_case(cast, actor=cast.contact_b, tenant_id=cast.tenant_b.id)
        closed = file_case(cast, priority="P1")
    services.case_close(
        case_id=closed.id, actor=cast.engineer, reason=CloseReason.DUPLICATE, note="Dup."
    )
    assert queue(client, cast.engineer) == [demoted.reference, other_plan.reference]
    plan = cast.tenant_a.plan
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(
        reverse("admin:tenants_supportplan_change", args=[plan.id]),
        plan_form_data(plan, {"P1": {"rank": 9}}),
        follow=True,
    )
    assert "1 open case moved in the queue to follow the new priority ranks." in (
        response.content.decode()
    )
    assert fresh(demoted).priority_rank == 9
    assert fresh(other_plan).priority_rank == 2, "another plan's P2 stays where it was"
    assert fresh(closed).priority_rank == 1, "closed cases keep the rank they closed with"
    assert queue(client, cast.engineer) == [other_plan.reference, demoted.reference]


def test_moving_a_tenant_to_another_plan_in_the_admin_re_ranks_its_open_cases(client, cast):
    p2 = file_case(cast, priority="P2")
    p4 = file_case(cast, priority="P4")
    reversed_plan = plan_with(["P4", "P3", "P2"], "Reversed")
    data = tenant_form_data(cast.tenant_a, plan=reversed_plan.id)
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(reverse("admin:tenants_tenant_change", args=[cast.tenant_a.id]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert (fresh(p4).priority_rank, fresh(p2).priority_rank) == (1, 3)


def test_moving_a_tenant_to_a_plan_without_its_codes_warns_which_cases_sort_last(client, cast):
    file_case(cast, priority="P1")
    file_case(cast, priority="P1")
    file_case(cast, priority="P4")
    sev_plan = plan_with(["Sev1", "Sev2", "P4"], "Severities")
    data = tenant_form_data(cast.tenant_a, plan=sev_plan.id)
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(
        reverse("admin:tenants_tenant_change", args=[cast.tenant_a.id]), data, follow=True
    )
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        "2 open cases have a priority the plan does not define (P1: 2): they sort last in "
        "the queue and have no SLA targets until their priority is changed."
    ]


def test_a_priority_the_plan_drops_sends_its_open_cases_last(ten_and_sev):
    cast = ten_and_sev
    dropped = file_case(cast, priority="P10")
    kept = file_case(cast, priority="P9")
    PlanPriority.objects.filter(plan=cast.tenant_a.plan, code="P10").delete()
    assert cases_rerank_for_plans(plan_ids=[cast.tenant_a.plan_id]) == 1
    assert (fresh(dropped).priority_rank, fresh(kept).priority_rank) == (UNRANKED, 9)


def test_a_reopened_case_takes_the_rank_its_plan_gives_now(cast):
    case = file_case(cast, priority="P1")
    services.case_close(
        case_id=case.id, actor=cast.engineer, reason=CloseReason.RESOLVED, note="Fixed."
    )
    PlanPriority.objects.filter(plan=cast.tenant_a.plan, code="P1").update(rank=9)
    assert cases_rerank_for_plans(plan_ids=[cast.tenant_a.plan_id]) == 0
    reopened = services.case_reopen(case_id=case.id, actor=cast.contact_a, reason="Still down.")
    assert fresh(reopened).priority_rank == 9


def test_the_dashboard_counts_open_cases_by_priority_in_rank_order(ten_and_sev):
    cast = ten_and_sev
    for tenant, code in [
        (cast.tenant_a, "P10"),
        (cast.tenant_a, "P2"),
        (cast.tenant_b, "Sev3"),
        (cast.tenant_a, "P1"),
        (cast.tenant_b, "Sev1"),
    ]:
        CaseFactory(tenant=tenant, priority=code, next_due_at=NOW - dt.timedelta(hours=1))
    cases = cases_for(cast.manager)
    rows = metrics.open_by_priority_and_state(cases)
    assert [row.priority for row in rows] == ["P1", "Sev1", "P2", "Sev3", "P10"]
    breached = metrics.breaches(cases, scope=Scope.last_days(30, NOW), now=NOW)
    assert list(breached.breached_by_priority) == ["P1", "Sev1", "P2", "Sev3", "P10"]


def test_factory_cases_carry_their_plans_rank(ten_and_sev):
    cast = ten_and_sev
    assert CaseFactory(tenant=cast.tenant_a, priority="P10").priority_rank == 10
    assert CaseFactory(tenant=cast.tenant_b, priority="P1").priority_rank == UNRANKED


def test_the_migration_fills_each_cases_rank_from_its_tenants_plan(ten_and_sev):
    cast = ten_and_sev
    cases = {
        "P10": CaseFactory(tenant=cast.tenant_a, priority="P10"),
        "Sev2": CaseFactory(tenant=cast.tenant_b, priority="Sev2"),
        "closed P2": CaseFactory(
            tenant=cast.tenant_a,
            priority="P2",
            state=State.CLOSED,
            close_reason=CloseReason.RESOLVED,
            closed_at=NOW,
        ),
        "P1, not in the plan": CaseFactory(tenant=cast.tenant_b, priority="P1"),
    }
    Case.objects.update(priority_rank=UNRANKED)  # the column as 0011 adds it
    migration = importlib.import_module("cases.migrations.0011_case_priority_rank")
    state = MigrationExecutor(connection).loader.project_state(("cases", "0011_case_priority_rank"))
    migration.fill_priority_rank(state.apps, SimpleNamespace(connection=connection))
    assert {label: fresh(case).priority_rank for label, case in cases.items()} == {
        "P10": 10,
        "Sev2": 2,
        "closed P2": 2,
        "P1, not in the plan": UNRANKED,
    }
