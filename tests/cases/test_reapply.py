"""The services that follow an edited plan, tenant plan or calendar (`plan_reapply`,
`tenant_plan_reapply`, `calendar_reapply`) recompute and re-rank the open cases on every
path, not only when the admin saves: tenants and sla announce, cases follows."""

import pytest

from cases.models import UNRANKED
from sla.services import Reapplied, calendar_reapply
from tenants.models import PlanPriority
from tenants.services import plan_reapply, tenant_plan_reapply
from tests.cases.helpers import file_case, fresh, ny
from tests.factories import SupportPlanFactory

pytestmark = pytest.mark.django_db


def test_plan_reapply_recomputes_and_reranks_the_open_cases(cast, time_machine):
    time_machine.move_to(ny(10, 16, 30), tick=False)
    case = file_case(cast)
    dropped = file_case(cast, priority="P4")
    plan = cast.tenant_a.plan
    PlanPriority.objects.filter(plan=plan, code="P2").update(initial_response="4bh", rank=7)
    PlanPriority.objects.filter(plan=plan, code="P4").delete()
    outcome = plan_reapply(plan_id=plan.id)
    assert outcome == Reapplied(moved=2, recomputed=2, left=0, unranked={"P4": 1})
    assert fresh(case).initial_response_due == ny(13, 12, 30)
    assert (fresh(case).priority_rank, fresh(dropped).priority_rank) == (7, UNRANKED)


def test_tenant_plan_reapply_follows_the_new_plan(cast, time_machine):
    time_machine.move_to(ny(10, 16, 30), tick=False)
    case = file_case(cast)
    premier = SupportPlanFactory(name="Premier")
    premier.priorities.filter(code="P2").update(initial_response="2bh")
    cast.tenant_a.plan = premier
    cast.tenant_a.save(update_fields=["plan"])
    outcome = tenant_plan_reapply(tenant_id=cast.tenant_a.id)
    assert (outcome.recomputed, outcome.left) == (1, 0)
    assert fresh(case).initial_response_due == ny(13, 10, 30)


def test_calendar_reapply_recomputes_the_cases_counting_on_it(cast, time_machine):
    time_machine.move_to(ny(10, 16, 30), tick=False)  # Friday
    case = file_case(cast)
    calendar = cast.tenant_a.plan.calendar
    days = ("mon", "tue", "wed", "thu", "fri", "sat")
    calendar.weekly_hours = {day: [["09:00", "17:00"]] for day in days}
    calendar.save()
    assert calendar_reapply(calendar_id=calendar.id) == Reapplied(recomputed=1)
    assert fresh(case).initial_response_due == ny(11, 17), "Saturday is now a business day"
