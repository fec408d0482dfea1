"""Escalating a case to management's attention, and management marking it handled."""

from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.services.common import (
    check_version,
    locked_case,
    record_event,
    save_case,
)
from cases.services.permissions import StaffAction, require_permission
from supportdesk.errors import StateConflict, require_text
from supportdesk.types import User, present


@transaction.atomic
def case_escalate(
    *, case_id: int, actor: User, reason: str, expected_version: int | None = None
) -> Case:
    """Ask management to look at the case; it shows as escalated in the queue and on the
    dashboard until a manager marks the escalation handled."""
    require_permission(actor, StaffAction.WORK_CASES)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    reason = require_text(reason, "reason", "Say why the case needs management's attention.")
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; there is nothing to escalate.")
    if case.is_escalated:
        escalated_by = present(case.escalated_by, "escalated by")
        who = escalated_by.get_full_name() or escalated_by.get_username()
        raise StateConflict(
            f"{case.reference} was already escalated by {who} on {case.escalated_at:%d %b %Y}."
        )
    case.escalated_at = timezone.now()
    case.escalated_by = actor
    case.escalation_reason = reason
    save_case(case, "escalated_at", "escalated_by", "escalation_reason")
    record_event(case, actor, CaseEvent.Kind.ESCALATED, public=False, message=reason, reason=reason)
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
