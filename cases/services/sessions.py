"""Live troubleshooting sessions: where the customer refused environment access, staff
propose times, the customer picks one, and both sides get a calendar invitation."""

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import Value, When
from django.utils import timezone

from audit.services import audit_bulk_created
from cases.calendar_invites import session_invitation
from cases.models import (
    Case,
    CaseEvent,
    EnvironmentAccess,
    SessionSlot,
    TroubleshootingSession,
)
from cases.selectors import cases_for
from cases.services.common import locked_case, record_event
from notifications.messages import attachment_data
from notifications.outbox import OutgoingEmail
from notifications.services import outbox_enqueue_many
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from supportdesk.types import User, present
from tenants.access import can_act_for
from tenants.roles import is_support_staff, require_role

MAX_SLOTS = 5
DURATIONS = (30, 45, 60, 90, 120)


def _local(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%a %d %b %Y, %H:%M %Z")


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def session_propose(
    *,
    actor: User,
    case_id: int,
    starts: Iterable[dt.datetime],
    duration_minutes: int = 60,
    meeting_url: str = "",
    note: str = "",
) -> TroubleshootingSession:
    require_role(actor)
    case = locked_case(actor, case_id)
    if case.environment_access != EnvironmentAccess.REFUSED:
        raise InvalidInput(
            f"The customer allows access to their environment on {case.reference}; "
            "work there instead of proposing a session."
        )
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed.")
    if case.troubleshooting_sessions.filter(status=TroubleshootingSession.Status.PROPOSED).exists():
        raise StateConflict(
            f"{case.reference} already has proposed times waiting for the customer."
        )
    now = timezone.now()
    times = sorted(set(starts))
    errors = []
    if not times:
        errors.append("Propose at least one time.")
    if len(times) > MAX_SLOTS:
        errors.append(f"Propose at most {MAX_SLOTS} times.")
    if any(moment <= now for moment in times):
        errors.append("Every proposed time must be in the future.")
    if duration_minutes not in DURATIONS:
        errors.append(f"A session lasts one of {', '.join(map(str, DURATIONS))} minutes.")
    if errors:
        raise InvalidInput(" ".join(errors), field_errors={"starts": errors})
    session = TroubleshootingSession.objects.create(
        case=case,
        proposed_by=actor,
        duration_minutes=duration_minutes,
        meeting_url=(meeting_url or "").strip(),
        note=(note or "").strip(),
    )
    audit_bulk_created(
        SessionSlot.objects.bulk_create(SessionSlot(session=session, starts_at=t) for t in times)
    )
    zone = case.tenant.time_zone
    record_event(
        case,
        actor,
        CaseEvent.Kind.SESSION_PROPOSED,
        message=f"Proposed {len(times)} time(s) for a live troubleshooting session",
        session=session.id,
    )
    reporter = case.reporter
    if reporter.is_active and can_act_for(reporter, case.tenant_id):
        outbox_enqueue_many(
            [
                OutgoingEmail(
                    recipient=reporter.email,
                    user_id=reporter.pk,
                    event="session.proposed",
                    template="session_proposed",
                    context={
                        "reference": case.reference,
                        "summary": case.summary,
                        "tenant": case.tenant.name,
                        "actor_name": _name(actor),
                        "duration": duration_minutes,
                        "slots": [_local(t, zone) for t in times],
                        "time_zone": zone,
                        "note": session.note,
                        "recipient_name": _name(reporter),
                        "case_url": f"{settings.SITE_URL}/cases/{case.reference}/",
                    },
                    dedup_key=f"session:{session.id}:proposed:{reporter.email.lower()}",
                    case_id=case.id,
                )
            ]
        )
    return session


@transaction.atomic
def session_book(*, actor: User, session_id: int, slot_id: int) -> TroubleshootingSession:
    """The customer picks one of the proposed times; both sides get the invitation."""
    if is_support_staff(actor):
        raise NotPermitted("The customer picks the time.")
    session = (
        TroubleshootingSession.objects.select_for_update()
        .filter(id=session_id, case__in=cases_for(actor))
        .first()
    )
    if session is None:
        raise NotFound("No such session.")
    case = locked_case(actor, session.case_id)
    if session.status != TroubleshootingSession.Status.PROPOSED:
        raise StateConflict(f"This session is {session.get_status_display().lower()}.")
    slot = session.slots.filter(id=slot_id).first()
    if slot is None:
        message = "Choose one of the proposed times."
        raise InvalidInput(message, field_errors={"slot": [message]})
    if slot.starts_at <= timezone.now():
        message = "That time has passed; choose a later one or ask support for new times."
        raise InvalidInput(message, field_errors={"slot": [message]})
    session.status = TroubleshootingSession.Status.BOOKED
    session.starts_at = slot.starts_at
    session.booked_by = actor
    session.booked_at = timezone.now()
    session.save()
    session.case = case
    record_event(
        case,
        actor,
        CaseEvent.Kind.SESSION_BOOKED,
        message="Live troubleshooting session booked for "
        + _local(slot.starts_at, case.tenant.time_zone),
        session=session.id,
    )
    _send_invitations(session, actor)
    return session


def _send_invitations(session: TroubleshootingSession, booker: User) -> list[int]:
    case = session.case
    customers = [booker] + ([case.reporter] if case.reporter != booker else [])
    staff = [session.proposed_by] + (
        [case.owner] if case.owner is not None and case.owner != session.proposed_by else []
    )
    people = [(user, False) for user in customers if user.is_active] + [
        (user, True) for user in staff if user.is_active
    ]
    attendees = [(_name(user), user.email) for user, _ in people if user.email]
    invitation = attachment_data(
        "invitation.ics", session_invitation(session, attendees), "text/calendar; method=REQUEST"
    )
    starts = present(session.starts_at, "session start")
    ends = starts + dt.timedelta(minutes=session.duration_minutes)
    emails = []
    for user, is_staff in people:
        if not user.email:
            continue
        zone = settings.TIME_ZONE if is_staff else case.tenant.time_zone
        emails.append(
            OutgoingEmail(
                recipient=user.email,
                user_id=user.pk,
                event="session.scheduled_staff" if is_staff else "session.scheduled",
                template="session_booked",
                context={
                    "reference": case.reference,
                    "summary": case.summary,
                    "tenant": case.tenant.name,
                    "booked_by": _name(booker),
                    "starts": _local(starts, zone),
                    "ends": _local(ends, zone),
                    "meeting_url": session.meeting_url,
                    "recipient_name": _name(user),
                },
                dedup_key=f"session:{session.id}:booked:{user.email.lower()}",
                case_id=case.id,
                attachments=(invitation,),
            )
        )
    return outbox_enqueue_many(emails)


def open_session(case: Case) -> TroubleshootingSession | None:
    """The session the case page shows: a proposal to answer, else the latest booking."""
    proposed = TroubleshootingSession.Status.PROPOSED
    # One read: proposals before bookings, each newest first (the model's order).
    return (
        case.troubleshooting_sessions.filter(
            status__in=[proposed, TroubleshootingSession.Status.BOOKED]
        )
        .order_by(
            DbCase(When(status=proposed, then=Value(0)), default=Value(1)),
            "-created_at",  # the model's own order
            "-pk",
        )
        .prefetch_related("slots")
        .first()
    )
