"""What `cases` does when a lower app announces a change (connected in `CasesConfig.ready`).

`tenants` and `sla` may not import `cases`; they send a signal inside the transaction of
their change and `cases` follows in the same transaction, answering with what it did so
the face that made the change can say so.
"""

from cases.services.clocks import (
    clocks_recompute_for_calendar,
    clocks_recompute_for_plans,
    clocks_recompute_for_tenant,
)
from cases.services.priorities import (
    cases_rerank_for_plans,
    cases_rerank_for_tenant,
    tenants_on_plans,
    unranked_open_cases,
)
from sla.services import Reapplied


def cases_follow_plan(*, plan_id: int, **_: object) -> Reapplied:
    """On `tenants.services.plan_changed`: re-rank, then recompute (the new ranks and
    targets both count), then count the cases whose priority the plan no longer has."""
    plan_ids = [plan_id]
    moved = cases_rerank_for_plans(plan_ids=plan_ids)
    recomputed, left = clocks_recompute_for_plans(plan_ids=plan_ids)
    unranked = unranked_open_cases(tenant_ids=tenants_on_plans(plan_ids))
    return Reapplied(moved, recomputed, left, unranked)


def cases_follow_tenant_plan(*, tenant_id: int, **_: object) -> Reapplied:
    """On `tenants.services.tenant_plan_changed`: the tenant's open cases, likewise."""
    moved = cases_rerank_for_tenant(tenant_id=tenant_id)
    recomputed, left = clocks_recompute_for_tenant(tenant_id=tenant_id)
    unranked = unranked_open_cases(tenant_ids=[tenant_id])
    return Reapplied(moved, recomputed, left, unranked)


def cases_follow_calendar(*, calendar_id: int, **_: object) -> Reapplied:
    """On `sla.services.calendar_changed`: new due times for the cases counting on it."""
    recomputed, left = clocks_recompute_for_calendar(calendar_id=calendar_id)
    return Reapplied(recomputed=recomputed, left=left)


def cases_follow_tenant_cadences(*, tenant_id: int, **_: object) -> Reapplied:
    """On `tenants.services.tenant_cadences_changed`: the tenant's open cases get the
    next-update due times the agreed cadences give them (ranks do not change)."""
    recomputed, left = clocks_recompute_for_tenant(tenant_id=tenant_id)
    return Reapplied(recomputed=recomputed, left=left)
