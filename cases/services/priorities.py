"""`Case.priority_rank`: the rank of the case's priority code in its tenant's plan, kept on
the row so the queue sorts by urgency through an index. Codes do not sort by urgency
("P10" < "P2"; a "Sev1" case would follow every "P4" case), and plans name their
priorities differently. `Case.plan_precedence` (the plan's queue precedence, the queue's
second key) is kept the same way, by the same services and the same UPDATEs.

The services that set a priority (`case_create`, `case_change_priority`) set the rank
with it, and `case_reopen` takes it afresh. When a plan's priorities change, or a tenant
moves to another plan, the open cases they govern follow here. Closed cases keep the rank
they closed with, as they keep their due times.
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Count, QuerySet

from cases.models import UNRANKED, Case, State
from tenants.models import PlanPriority, SupportPlan, Tenant


def plan_ranks(plan_id: int) -> dict[str, int]:
    """The plan's priority codes and their ranks."""
    return dict(PlanPriority.objects.filter(plan_id=plan_id).values_list("code", "rank"))


def priority_rank(plan_id: int, code: str) -> int:
    """The rank of `code` in the plan; UNRANKED for a code the plan does not have."""
    return plan_ranks(plan_id).get(code, UNRANKED)


def _rerank(cases: QuerySet[Case], plan_id: int) -> int:
    """One UPDATE per priority of the plan (and one for codes it lacks), touching only
    the rows whose rank or plan precedence changes; the same UPDATE sets both, so the
    queue's order follows a plan edit or a move to another plan at once. Both are derived
    data, like the due times: they bump neither the case's version nor its updated_at."""
    ranks = plan_ranks(plan_id)
    precedence = SupportPlan.objects.values_list("queue_precedence", flat=True).get(id=plan_id)
    moved = 0
    for code, rank in ranks.items():
        moved += (
            cases.filter(priority=code)
            .exclude(priority_rank=rank, plan_precedence=precedence)
            .update(priority_rank=rank, plan_precedence=precedence)
        )
    moved += (
        cases.exclude(priority__in=list(ranks))
        .exclude(priority_rank=UNRANKED, plan_precedence=precedence)
        .update(priority_rank=UNRANKED, plan_precedence=precedence)
    )
    return moved


@transaction.atomic
def cases_rerank_for_plans(*, plan_ids: Sequence[int]) -> int:
    """After plans' priorities changed (a rank edited, a priority added or removed): their
    open cases take the ranks the plans now give their codes. Returns how many moved."""
    moved = 0
    for plan_id in plan_ids:
        tenants = Tenant.objects.filter(plan_id=plan_id).values("id")
        moved += _rerank(
            Case.objects.filter(tenant__in=tenants).exclude(state=State.CLOSED), plan_id
        )
    return moved


@transaction.atomic
def cases_rerank_for_tenant(*, tenant_id: int) -> int:
    """After a tenant moved to another plan: its open cases take that plan's ranks (a
    code the new plan lacks sorts last). Returns how many moved."""
    plan_id = Tenant.objects.values_list("plan_id", flat=True).get(id=tenant_id)
    return _rerank(Case.objects.filter(tenant_id=tenant_id).exclude(state=State.CLOSED), plan_id)


def unranked_open_cases(*, tenant_ids: Sequence[int]) -> dict[str, int]:
    """Open cases of these tenants whose priority code their plan does not define (they
    sort last in the queue), counted by code: what the admin warns about after a plan
    edit or a move to another plan."""
    rows = (
        Case.objects.filter(tenant_id__in=tenant_ids, priority_rank=UNRANKED)
        .exclude(state=State.CLOSED)
        .values_list("priority")
        .annotate(n=Count("id"))
        .order_by("priority")
    )
    return dict(rows)


def tenants_on_plans(plan_ids: Sequence[int]) -> list[int]:
    return list(Tenant.objects.filter(plan_id__in=plan_ids).values_list("id", flat=True))


def priority_environment_error(priority: PlanPriority, environment: int) -> str:
    """Why `priority` may not be used for a case about `environment`, or ""."""
    if priority.allows_environment(environment):
        return ""
    return (
        f"Priority {priority.code} is for {priority.environments_text().lower()} only; "
        f"choose {priority.environments_text()} or a lower priority."
    )
