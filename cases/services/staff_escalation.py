"""Escalating a case to management's attention (and raising its priority), and management
marking it handled.

Who may: staff who work cases; and, for one tenant's cases, a staff user on that tenant's
account team in a role that may escalate at once (a technical account manager), whatever
their staff role. `tenants.access.may_escalate_immediately` answers the second question;
nothing here decides it.
"""

from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.services.common import (
    check_version,
    locked_case,
    record_event,
    save_case,
)
from cases.services.permissions import StaffAction, may, require_permission
from cases.services.priorities import plan_ranks, priority_environment_error
from supportdesk.errors import InvalidInput, NotPermitted, StateConflict, require_text
from supportdesk.types import User, present
from tenants.access import may_escalate_immediately


def locked_case_to_escalate(actor: User, case_id: int) -> tuple[Case, bool]:
    """The case, row-locked, for escalating it or changing its priority; and whether the
    actor reaches it only as the tenant's account team (not by their staff role). Anyone
    else is refused as today, before learning whether the case exists."""
    if may(actor, StaffAction.WORK_CASES):
        return locked_case(actor, case_id), False
    tenant_id = Case.objects.filter(id=case_id).values_list("tenant_id", flat=True).first()
    if tenant_id is None or not may_escalate_immediately(actor, tenant_id):
        require_permission(actor, StaffAction.WORK_CASES)
        raise NotPermitted("Only support staff may do this.")  # unreachable: refused above
    return locked_case(None, case_id), True


def raises_priority(case: Case, priority: str) -> bool:
    """Whether `priority` is more urgent than the case's (rank 1 is the most urgent)."""
    rank = plan_ranks(case.tenant.plan_id).get(priority)
    return rank is not None and rank < case.priority_rank


def set_priority(case: Case, actor: User, priority: str, reason: str) -> Case:
    """Give a locked case another of its plan's priorities, with the reason on record."""
    reason = require_text(reason, "reason", "Give the reason for the priority change.")
    ranks = plan_ranks(case.tenant.plan_id)
    if priority not in ranks:
        raise InvalidInput(
            f"Choose one of the plan's priorities: {', '.join(ranks)}.",
            field_errors={"priority": ["Not a priority of this plan."]},
        )
    if priority == case.priority:
        raise InvalidInput(f"{case.reference} is already {priority}.")
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; its priority can no longer change.")
    chosen = case.tenant.plan.priorities.get(code=priority)
    environment_error = priority_environment_error(chosen, case.environment)
    if environment_error:
        raise InvalidInput(environment_error, field_errors={"priority": [environment_error]})
    previous = case.priority
    case.priority = priority
    case.priority_rank = ranks[priority]
    save_case(case, "priority", "priority_rank")
    record_event(
        case,
        actor,
        CaseEvent.Kind.PRIORITY_CHANGED,
        message=f"Priority {previous} → {priority}: {reason}",
        previous=previous,
        priority=priority,
        reason=reason,
        recompute_clocks=True,
    )
    return case


@transaction.atomic
def case_escalate(
    *,
    case_id: int,
    actor: User,
    reason: str,
    priority: str = "",
    expected_version: int | None = None,
) -> Case:
    """Ask management to look at the case; it shows as escalated in the queue and on the
    dashboard, and the support managers are emailed, until a manager marks the escalation
    handled. With `priority`, the case is raised to that more urgent priority in the same
    step. A technical account manager (see the module) may do both at once for their
    tenant's cases, whatever their staff role."""
    case, by_account_team = locked_case_to_escalate(actor, case_id)
    check_version(case, expected_version)
    reason = require_text(reason, "reason", "Say why the case needs management's attention.")
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; there is nothing to escalate.")
    if priority and not raises_priority(case, priority):
        raise InvalidInput(
            f"An escalation may only raise {case.reference}'s priority (now {case.priority}).",
            field_errors={"priority": ["Choose a more urgent priority, or none."]},
        )
    if case.is_escalated:
        escalated_by = present(case.escalated_by, "escalated by")
        who = escalated_by.get_full_name() or escalated_by.get_username()
        raise StateConflict(
            f"{case.reference} was already escalated by {who} on {case.escalated_at:%d %b %Y}."
        )
    if priority:
        set_priority(case, actor, priority, reason)
    case.escalated_at = timezone.now()
    case.escalated_by = actor
    case.escalation_reason = reason
    save_case(case, "escalated_at", "escalated_by", "escalation_reason")
    record_event(
        case,
        actor,
        CaseEvent.Kind.ESCALATED,
        public=False,
        message=reason,
        reason=reason,
        by_account_team=by_account_team,
    )
    return case


@transaction.atomic
def case_de_escalate(
    *, case_id: int, actor: User, note: str, expected_version: int | None = None
) -> Case:
    """A manager records how the escalation was handled; the case stays with its owner."""
    require_permission(actor, StaffAction.HANDLE_ESCALATION)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    note = require_text(note, "note", "Record how the escalation was handled.")
    if not case.is_escalated:
        raise StateConflict(f"{case.reference} is not escalated.")
    escalated_at = case.escalated_at
    reason = case.escalation_reason
    case.escalated_at = None
    case.escalated_by = None
    case.escalation_reason = ""
    save_case(case, "escalated_at", "escalated_by", "escalation_reason")
    record_event(
        case,
        actor,
        CaseEvent.Kind.DE_ESCALATED,
        public=False,
        message=note,
        note=note,
        escalation_reason=reason,
        escalated_at=present(escalated_at, "escalation time").isoformat(),
    )
    return case
