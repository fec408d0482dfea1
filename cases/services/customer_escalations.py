"""The customer escalation path: a contact escalates a case from the portal; the
escalation goes to the customer success manager and rises level by level along the
tenant's path (e.g. CSM → COO → CEO) while it stays neither acknowledged nor resolved.

The rise is a periodic task: it reads only due rows (a partial index on `next_rise_at`),
locks them with SKIP LOCKED so two workers share the work, and one notice per
escalation and level (a unique constraint) keeps a rise from being told twice.
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CustomerEscalation, CustomerEscalationNotice, State
from cases.services.common import locked_case, record_event
from notifications.outbox import OutgoingEmail, outbox_enqueue_many
from sla.business_time import add_business_time
from sla.calendars import to_business_calendar
from sla.targets import Target
from supportdesk.errors import NotFound, NotPermitted, StateConflict, require_text
from supportdesk.types import User
from tenants.access import can_act_for
from tenants.account_teams import PathLevel, Person, escalation_path, people_in_roles
from tenants.models import Tenant
from tenants.roles import is_support_staff, require_role


def _rise_at(
    tenant: Tenant, since: dt.datetime, level: PathLevel, path: list[PathLevel]
) -> dt.datetime | None:
    """When this level rises: its time on the plan's calendar, or never at the top."""
    if level.level >= path[-1].level:
        return None
    calendar = to_business_calendar(tenant.plan.calendar)
    return add_business_time(since, Target.parse(level.rise_after), calendar)


def _level(path: list[PathLevel], number: int) -> PathLevel:
    return next(level for level in path if level.level == number)


def _staff_url(escalation: CustomerEscalation) -> str:
    return settings.SITE_URL + reverse(
        "admin:cases_customerescalation_change", args=[escalation.id]
    )


def _when(moment: dt.datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%a %d %b %Y, %H:%M %Z")


def _tell_level(
    escalation: CustomerEscalation, level: PathLevel, people: list[Person]
) -> list[int]:
    case = escalation.case
    raiser = escalation.raised_by
    return outbox_enqueue_many(
        OutgoingEmail(
            recipient=person.email,
            user_id=person.user.pk if person.user is not None else None,
            event="escalation.raised",
            template="customer_escalation_raised",
            context={
                "reference": case.reference,
                "summary": case.summary,
                "tenant": case.tenant.name,
                "priority": case.priority,
                "state": case.get_state_display(),
                "level": level.level,
                "role": level.role_label,
                "reason": escalation.reason,
                "raised_by": raiser.get_full_name() or raiser.email,
                "raised_at": _when(escalation.raised_at, settings.TIME_ZONE),
                "rises_at": _when(escalation.next_rise_at, settings.TIME_ZONE),
                "recipient_name": person.name,
                "case_url": _staff_url(escalation),
            },
            dedup_key=(
                f"customer-escalation:{escalation.id}:level-{level.level}:{person.email.lower()}"
            ),
            case_id=case.id,
        )
        for person in people
    )


def _tell_customer(escalation: CustomerEscalation, *, what: str, note: str) -> list[int]:
    case = escalation.case
    raiser = escalation.raised_by
    if not (raiser.is_active and can_act_for(raiser, case.tenant_id)):
        return []
    return outbox_enqueue_many(
        [
            OutgoingEmail(
                recipient=raiser.email,
                user_id=raiser.pk,
                event="escalation.customer_update",
                template="customer_escalation_update",
                context={
                    "reference": case.reference,
                    "summary": case.summary,
                    "tenant": case.tenant.name,
                    "what": what,
                    "note": note,
                    "recipient_name": raiser.get_full_name() or raiser.email,
                    "case_url": f"{settings.SITE_URL}/cases/{case.reference}/",
                },
                dedup_key=f"customer-escalation:{escalation.id}:{what}:{raiser.email.lower()}",
                case_id=case.id,
            )
        ]
    )


def _reach_level(escalation: CustomerEscalation, level: PathLevel) -> bool:
    """Record and tell the level once; False when it was already told (a second run)."""
    people = people_in_roles(escalation.case.tenant, [level.role])
    try:
        with transaction.atomic():
            CustomerEscalationNotice.objects.create(
                escalation=escalation,
                level=level.level,
                role=level.role,
                recipients=[{"name": p.name, "email": p.email} for p in people],
            )
    except IntegrityError:
        return False
    _tell_level(escalation, level, people)
    return True


@transaction.atomic
def case_escalate_by_customer(*, case_id: int, actor: User, reason: str) -> CustomerEscalation:
    """A customer unhappy with how the case is handled escalates it (level 1: the CSM)."""
    if is_support_staff(actor):
        raise NotPermitted("Customer escalations are raised by the customer.")
    case = locked_case(actor, case_id)
    reason = require_text(reason, "reason", "Tell us what is wrong with how the case is handled.")
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; reopen it if you still need help.")
    live = case.customer_escalations.filter(
        status__in=[CustomerEscalation.Status.OPEN, CustomerEscalation.Status.ACKNOWLEDGED]
    ).first()
    if live is not None:
        raise StateConflict(
            f"{case.reference} is already escalated (level {live.level}); the account team has it."
        )
    path = escalation_path(case.tenant)
    first = path[0]
    now = timezone.now()
    escalation = CustomerEscalation.objects.create(
        case=case,
        raised_by=actor,
        reason=reason,
        level=first.level,
        level_role=first.role,
        level_since=now,
        next_rise_at=_rise_at(case.tenant, now, first, path),
    )
    record_event(
        case,
        actor,
        CaseEvent.Kind.CUSTOMER_ESCALATION,
        message=f"Escalated to the {first.role_label.lower()}: {reason}",
        escalation=escalation.id,
        level=first.level,
        role=first.role,
    )
    _reach_level(escalation, first)
    return escalation


def _rise(escalation: CustomerEscalation, now: dt.datetime) -> bool:
    case = Case.objects.select_related("tenant__plan__calendar").filter(id=escalation.case_id).get()
    escalation.case = case
    if case.state == State.CLOSED:
        escalation.status = CustomerEscalation.Status.RESOLVED
        escalation.next_rise_at = None
        escalation.save(update_fields=["status", "next_rise_at"])
        return False
    path = escalation_path(case.tenant)
    higher = [level for level in path if level.level > escalation.level]
    if not higher:
        escalation.next_rise_at = None
        escalation.save(update_fields=["next_rise_at"])
        return False
    level = higher[0]
    escalation.level = level.level
    escalation.level_role = level.role
    escalation.level_since = now
    escalation.next_rise_at = _rise_at(case.tenant, now, level, path)
    escalation.save(update_fields=["level", "level_role", "level_since", "next_rise_at"])
    if _reach_level(escalation, level):
        record_event(
            case,
            None,
            CaseEvent.Kind.CUSTOMER_ESCALATION_ROSE,
            message=f"Escalation rose to level {level.level}: the {level.role_label.lower()}",
            escalation=escalation.id,
            level=level.level,
            role=level.role,
        )
    return True


def escalations_rise_due(*, batch_size: int = 100) -> int:
    """Raise every open escalation whose time ran out; returns how many rose. Each batch
    is one transaction over rows locked with SKIP LOCKED: a second worker takes other
    rows, and a row already risen is no longer due."""
    risen = 0
    while True:
        now = timezone.now()
        with transaction.atomic():
            batch = list(
                CustomerEscalation.objects.select_for_update(skip_locked=True)
                .filter(status=CustomerEscalation.Status.OPEN, next_rise_at__lte=now)
                .order_by("next_rise_at", "id")[:batch_size]
            )
            for escalation in batch:
                risen += _rise(escalation, now)
        if len(batch) < batch_size:
            return risen


def _locked_escalation(actor: User, escalation_id: int) -> CustomerEscalation:
    require_role(actor)
    escalation = CustomerEscalation.objects.select_for_update().filter(id=escalation_id).first()
    if escalation is None:
        raise NotFound("No such escalation.")
    escalation.case = locked_case(actor, escalation.case_id)
    return escalation


@transaction.atomic
def customer_escalation_acknowledge(
    *, actor: User, escalation_id: int, note: str
) -> CustomerEscalation:
    """Staff acknowledge: the escalation stops rising; the customer hears who has it."""
    escalation = _locked_escalation(actor, escalation_id)
    note = require_text(note, "note", "Tell the customer what happens now.")
    if escalation.status != CustomerEscalation.Status.OPEN:
        raise StateConflict(f"This escalation is {escalation.get_status_display().lower()}.")
    escalation.status = CustomerEscalation.Status.ACKNOWLEDGED
    escalation.next_rise_at = None
    escalation.handled_by = actor
    escalation.handled_at = timezone.now()
    escalation.acknowledgement_note = note
    escalation.save()
    name = actor.get_full_name() or actor.get_username()
    record_event(
        escalation.case,
        actor,
        CaseEvent.Kind.CUSTOMER_ESCALATION_ACKNOWLEDGED,
        message=f"Escalation acknowledged by {name}: {note}",
        escalation=escalation.id,
    )
    _tell_customer(escalation, what="acknowledged", note=note)
    return escalation


@transaction.atomic
def customer_escalation_de_escalate(
    *, actor: User, escalation_id: int, note: str
) -> CustomerEscalation:
    """Staff end the escalation (open or acknowledged) with a note the customer sees."""
    escalation = _locked_escalation(actor, escalation_id)
    note = require_text(note, "note", "Say how the escalation was resolved.")
    if not escalation.is_live:
        raise StateConflict(f"This escalation is {escalation.get_status_display().lower()}.")
    escalation.status = CustomerEscalation.Status.DE_ESCALATED
    escalation.next_rise_at = None
    escalation.handled_by = actor
    escalation.handled_at = timezone.now()
    escalation.de_escalation_note = note
    escalation.save()
    record_event(
        escalation.case,
        actor,
        CaseEvent.Kind.CUSTOMER_ESCALATION_ENDED,
        message=f"De-escalated: {note}",
        escalation=escalation.id,
    )
    _tell_customer(escalation, what="de-escalated", note=note)
    return escalation


def live_escalation(case: Case) -> CustomerEscalation | None:
    return (
        case.customer_escalations.filter(
            status__in=[CustomerEscalation.Status.OPEN, CustomerEscalation.Status.ACKNOWLEDGED]
        )
        .order_by("-raised_at")
        .first()
    )
