"""What the periodic tasks do: SLA alerts, follow-ups, reminders and automatic closures.

Each sweep selects only the cases whose column for it is due (`<column> <= now`, through
a partial index), in short transactions of at most BATCH_SIZE rows locked with
`select_for_update(skip_locked=True)`: two workers split the due rows between them
instead of waiting or doubling up. Handling a case always moves its column past `now`
(or clears it), so the next batch and the next run see only what is still due, and a
run that was missed finds everything it missed. Unique constraints back this up: one
ContactAttempt per case, round and number; one alert event per dedupe key.

The system acts without a user: events have no actor, notes no author (shown as
"SupportDesk"). Who must be told is in `event.data["notify"]` as roles — "owner",
"triage_lead", "manager", "customer" — for the notifications outbox to resolve.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import audit_bulk_created
from cases.models import LONG_TEXT_FIELDS, Case, CaseEvent, Comment, ContactAttempt, State
from cases.services import schedule
from cases.services.bulk import bulk_save_fields
from cases.services.clocks import METRICS, Alert, alert_key
from cases.services.common import record_events, with_tenants
from cases.services.lifecycle import cases_close_after_silence, cases_close_for_no_response
from supportdesk.errors import ServiceError

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# A case whose handling fails is retried this much later, so it cannot hold up the rows
# behind it in every run.
RETRY_AFTER = timedelta(minutes=15)


def _sweep(
    column: str,
    now: datetime,
    handle: Callable[[list[Case], datetime], None],
    *,
    only: tuple[str, ...] = (),
) -> int:
    """Hand the due rows of `column` to `handle` batch by batch, with their tenants, or
    with just the `only` fields; returns how many."""
    done = 0
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            query: QuerySet[Case] = Case.objects.filter(**{f"{column}__lte": now})
            query = query.only(*only) if only else query.defer(*LONG_TEXT_FIELDS)
            batch = list(
                query.order_by(column).select_for_update(skip_locked=True, of=("self",))[
                    :BATCH_SIZE
                ]
            )
            if batch:
                if seen.issuperset(case.id for case in batch):
                    # A handler left rows due: stop rather than spin; the next run retries.
                    logger.error("%s sweep: rows stayed due after handling", column)
                    return done
                seen.update(case.id for case in batch)
                handle(batch if only else with_tenants(batch), now)
        done += len(batch)
        if len(batch) < BATCH_SIZE:
            return done


def _notify(case: Case, roles: list[str]) -> list[str]:
    """An unowned case's owner messages go to the triage lead, who must assign it."""
    if case.owner_id is None:
        roles = [("triage_lead" if role == "owner" else role) for role in roles]
    return list(dict.fromkeys(roles))


# --- SLA alerts: update reminders, at-risk warnings, breaches and escalation ----------


def sla_alerts_send(*, now: datetime | None = None) -> int:
    """Record the reminders, at-risk warnings and breaches that have fallen due."""
    return _sweep("next_sla_alert_at", now or timezone.now(), _send_alerts)


def _send_alerts(cases: list[Case], now: datetime) -> None:
    events: list[CaseEvent] = []
    for case in cases:
        due = [a for a in case.sla_alerts if datetime.fromisoformat(a["at"]) <= now]
        later = [a for a in case.sla_alerts if datetime.fromisoformat(a["at"]) > now]
        # Several alerts of one due time at once (a missed run, an upgrade): only the
        # most severe goes out; a breach makes the warning before it moot.
        strongest: dict[tuple[str, str], dict[str, str]] = {}
        for alert in due:
            key = (alert["metric"], alert["due"])
            if key not in strongest or (
                Alert.SEVERITY[alert["kind"]] > Alert.SEVERITY[strongest[key]["kind"]]
            ):
                strongest[key] = alert
        for alert in strongest.values():
            events += _alert_events(case, alert, now)
        case.sla_alerts = later
        case.next_sla_alert_at = datetime.fromisoformat(later[0]["at"]) if later else None
    record_events(events, skip_duplicates=True)
    bulk_save_fields(cases, ["sla_alerts", "next_sla_alert_at", "breached_at", "escalated_at"])


def _alert_events(case: Case, alert: dict[str, str], now: datetime) -> list[CaseEvent]:
    kind, metric, due = alert["kind"], alert["metric"], alert["due"]
    label = METRICS[metric]
    data: dict[str, Any] = {"metric": metric, "due": due}
    if kind == Alert.UPDATE_REMINDER:
        message = f"Reminder: the next update is due {alert['due_text']}"
        notify = ["owner"]
    elif kind == Alert.AT_RISK:
        message = f"{label} at risk: due {alert['due_text']}"
        notify = ["owner", "triage_lead"]
    else:
        message = f"{label} overdue: was due {alert['due_text']}"
        notify = ["owner", "triage_lead"]
    events = [
        _system_event(
            case,
            kind,
            message,
            key=alert_key(kind, metric, due),
            notify=_notify(case, notify),
            **data,
        )
    ]
    if kind == Alert.BREACHED:
        case.breached_at = case.breached_at or datetime.fromisoformat(due)
        case.escalated_at = case.escalated_at or now
        events.append(
            _system_event(
                case,
                CaseEvent.Kind.ESCALATED,
                f"Escalated to the support managers: {label.lower()} overdue",
                key=alert_key(CaseEvent.Kind.ESCALATED, metric, due),
                notify=["manager"],
                **data,
            )
        )
    return events


def _system_event(
    case: Case,
    kind: str,
    message: str,
    *,
    key: str,
    public: bool = False,
    comment: Comment | None = None,
    **data: object,
) -> CaseEvent:
    return CaseEvent(
        case=case,
        actor=None,
        kind=kind,
        public=public,
        message=message[:500],
        comment=comment,
        dedupe_key=key,
        # The sweeps' events leave the version as it is: a page open at it does not block
        # on them (cases/services/collision.py).
        version=case.version,
        data=data,
    )


# --- Two-attempt follow-up: attempt 2, then closure for no response -------------------


def follow_ups_send(*, now: datetime | None = None) -> int:
    """Send contact attempt 2 — a note naming the closure date — to every case that has
    waited on the customer for the plan's follow-up period since attempt 1."""
    return _sweep(
        "follow_up_due_at",
        now or timezone.now(),
        _send_follow_ups,
    )


def _send_follow_ups(cases: list[Case], now: datetime) -> None:
    latest: dict[int, ContactAttempt] = {}
    for attempt in ContactAttempt.objects.filter(case__in=cases).order_by("round", "number"):
        latest[attempt.case_id] = attempt
    sends = []
    for case in cases:
        case.follow_up_due_at = None
        current = latest.get(case.id)
        # Nothing to send when the customer replied or staff already made attempt 2
        # (a phone call); the column is just cleared.
        if case.state == State.AWAITING_INFORMATION and current and current.number == 1:
            sends.append((case, current))
    comments, attempts, events = [], [], []
    for case, first in sends:
        day, closes_at = schedule.closure_day(now, case.tenant.plan)
        case.auto_close_at = closes_at
        body = (
            "We asked for more information on "
            f"{schedule.human_date(schedule.local_day(first.created_at, case.tenant.plan))} "
            f"and have not heard back yet. Please reply to {case.reference} with what we asked "
            "for so we can continue. If we don't hear from you by "
            f"{schedule.human_date(day)}, we will close the case as having received no "
            f"response; you can reopen it within {case.tenant.plan.reopen_window_days} days "
            "of closure."
        )
        comments.append(Comment(case=case, author=None, body=body, public=True, by_staff=True))
        attempts.append(
            ContactAttempt(
                case=case,
                round=first.round,
                number=2,
                method=ContactAttempt.Method.FOLLOW_UP,
                note=body,
                closure_date=closes_at,
            )
        )
        events.append(
            _system_event(
                case,
                CaseEvent.Kind.CONTACT_ATTEMPT,
                f"Follow-up sent (contact attempt 2); closes on {schedule.human_date(day)} "
                "without a reply",
                key=f"contact_attempt:{first.round}:2",
                public=True,
                notify=["customer"],
                round=first.round,
                number=2,
                method=ContactAttempt.Method.FOLLOW_UP,
                closure_date=closes_at.isoformat(),
                closure_day=day.isoformat(),
            )
        )
    Comment.objects.bulk_create(comments)
    for event, comment in zip(events, comments, strict=True):
        event.comment = comment
    # No ignore_conflicts: a second attempt 2 is a bug, and the constraint says so.
    ContactAttempt.objects.bulk_create(attempts)
    audit_bulk_created(comments)
    audit_bulk_created(attempts)
    record_events(events)
    bulk_save_fields(cases, ["follow_up_due_at", "auto_close_at"])


def unanswered_cases_close(*, now: datetime | None = None) -> int:
    """Close, for no response, the cases whose named closure date has passed."""
    return _sweep(
        "auto_close_at", now or timezone.now(), _close_unanswered, only=("state", "auto_close_at")
    )


def _close_unanswered(cases: list[Case], now: datetime) -> None:
    _close_in_batch(cases, "auto_close_at", State.AWAITING_INFORMATION, cases_close_for_no_response)


# --- Solution Proposed: a reminder, then closure as resolved after silence ------------


def solution_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the customer of a proposed solution they have not answered."""
    return _sweep(
        "solution_reminder_at",
        now or timezone.now(),
        _remind_solutions,
    )


def _remind_solutions(cases: list[Case], now: datetime) -> None:
    events = []
    for case in cases:
        closes_at = case.solution_close_at
        case.solution_reminder_at = None
        # A closure that is already due makes the reminder moot (a missed run).
        if case.state != State.SOLUTION_PROPOSED or closes_at is None or closes_at <= now:
            continue
        events.append(
            _system_event(
                case,
                CaseEvent.Kind.SOLUTION_REMINDER,
                "Reminder sent: please confirm whether the proposed solution works; the case "
                f"closes as resolved on {schedule.local_time(closes_at, case.tenant.plan)} "
                "without a reply",
                key=f"solution_reminder:{closes_at.isoformat()}",
                public=True,
                notify=["customer"],
                closes_at=closes_at.isoformat(),
            )
        )
    record_events(events, skip_duplicates=True)
    bulk_save_fields(cases, ["solution_reminder_at"])


def silent_solutions_close(*, now: datetime | None = None) -> int:
    """Close as resolved the proposed solutions left unanswered for the plan's period."""
    return _sweep(
        "solution_close_at",
        now or timezone.now(),
        _close_silent,
        only=("state", "solution_close_at"),
    )


def _close_silent(cases: list[Case], now: datetime) -> None:
    _close_in_batch(cases, "solution_close_at", State.SOLUTION_PROPOSED, cases_close_after_silence)


# --- helpers ---------------------------------------------------------------------------


def _close_in_batch(
    cases: list[Case],
    column: str,
    state: str,
    close: Callable[..., list[Case]],
) -> None:
    """Close the batch's cases that are still in `state` with one call of the batch
    service; the others no longer need it, so their column is cleared. If the batch
    fails, each case is tried on its own, so one bad case cannot hold up the rest."""
    stale = [case for case in cases if case.state != state]
    if stale:
        Case.objects.filter(id__in=[case.id for case in stale]).update(**{column: None})
    ids = [case.id for case in cases if case.state == state]
    try:
        with transaction.atomic():
            close(case_ids=ids)
    except Exception:
        logger.exception("%s sweep: batch closure failed; closing one by one", column)
        for case_id in ids:
            _each(case_id, column, functools.partial(close, case_ids=[case_id]))


def _each(case_id: int, column: str, perform: Callable[[], object]) -> None:
    """Run one case's closure in a savepoint. A refusal clears the column (nothing is due
    any more); an unexpected error is logged and the case retried later."""
    try:
        with transaction.atomic():
            perform()
    except ServiceError as error:
        logger.info("Case %s: automation not applicable: %s", case_id, error.message)
        Case.objects.filter(pk=case_id).update(**{column: None})
    except Exception:
        logger.exception("Case %s: automation failed; retrying in %s", case_id, RETRY_AFTER)
        Case.objects.filter(pk=case_id).update(**{column: timezone.now() + RETRY_AFTER})
