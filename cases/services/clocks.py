"""A case's SLA clocks: rebuilt from its timeline, stored on the row, explained.

`sla.clocks.compute_due_times` does the math on plain data. This module turns the
case's CaseEvents and its plan's priorities into that data, stores the answer on the
case (due times, the explanation, whether the clocks are paused) and schedules the
alerts the `send_sla_alerts` task works from: an update reminder to the owner, an
at-risk warning when a share of a target is used, and the breach at the due time.

Every case service that moves a clock calls `case_recompute_clocks` after recording its
event, inside its transaction, on the locked case. Editing a plan or a calendar marks
the open cases it governs stale (one UPDATE); the first few are recomputed at once and
the rest by the `refresh_stale_clocks` task in batches.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.models import LONG_TEXT_FIELDS, Case, CaseEvent, Channel, Comment, State
from cases.services.bulk import bulk_save_fields
from cases.services.common import with_tenants
from cases.services.sla_cycles import record_ended_cycles
from sla.calendars import to_business_calendar
from sla.clocks import (
    ClockEvent,
    ClockEventKind,
    ClockPolicy,
    DueTimes,
    compute_due_times,
    instant_when_used,
)
from sla.targets import Target
from tenants.models import AgreedUpdateCadence, SupportPlan

logger = logging.getLogger(__name__)

METRICS = {
    "initial_response": "Initial response",
    "next_update": "Next update",
    "resolution": "Resolution",
}
CLOCK_FIELDS = [
    "initial_response_due",
    "next_update_due",
    "resolution_due",
    "next_due_at",
    "sla_paused",
    "sla_explanation",
    "sla_alerts",
    "next_sla_alert_at",
    "clocks_stale_at",
]
# Stale cases recomputed inside the admin request that made them stale; the rest follow
# within a beat interval, so saving a plan of a large tenant stays quick.
RECOMPUTE_AT_ONCE = 200


class Alert:
    """Kinds of scheduled SLA alerts, in rising severity; at most one per metric and due
    time is recorded when several fall due together (a catch-up skips the milder ones)."""

    UPDATE_REMINDER = CaseEvent.Kind.UPDATE_REMINDER.value
    AT_RISK = CaseEvent.Kind.SLA_AT_RISK.value
    BREACHED = CaseEvent.Kind.SLA_BREACHED.value
    SEVERITY = {UPDATE_REMINDER: 1, AT_RISK: 2, BREACHED: 3}


def alert_key(kind: str, metric: str, due: str) -> str:
    """The dedupe key of an alert event: one per case, kind, metric and due instant."""
    return f"{kind}:{metric}:{due}"


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def clock_policies(plan: SupportPlan) -> dict[str, ClockPolicy]:
    """The plan's targets per priority code, each on its calendar (the priority's own,
    e.g. 24×7 for P1, or the plan's)."""
    policies = {}
    for priority in plan.priorities.select_related("calendar"):
        calendar = priority.calendar or plan.calendar
        policies[priority.code] = ClockPolicy(
            calendar=to_business_calendar(calendar),
            initial_response=_target(priority.initial_response, priority, "initial response"),
            off_hours_initial_response=_target(
                priority.off_hours_initial_response, priority, "off-hours initial response"
            ),
            update_interval=_target(priority.update_interval, priority, "update interval"),
            resolution=_target(priority.resolution, priority, "resolution"),
            calendar_name=calendar.name,
        )
    return policies


def _target(text: str, priority: object, what: str) -> Target | None:
    if not text.strip():
        return None
    try:
        return Target.parse(text)
    except ValueError:
        # PlanPriority.clean() refuses such values; rows written around it get no clock.
        logger.warning("Ignoring the unreadable %s target %r of %s.", what, text, priority)
        return None


class TimelineEntry(NamedTuple):
    """What the clocks read of a CaseEvent (plain tuples: a batch reads thousands)."""

    case_id: int
    created_at: datetime
    kind: str
    from_state: str
    to_state: str
    data: dict
    comment_id: int | None
    dedupe_key: str


def clock_events(
    events: Iterable[TimelineEntry | CaseEvent], staff_replies: set[int]
) -> list[ClockEvent]:
    """The timeline as the clock math reads it. `staff_replies` are the ids of public
    comments written by support staff (the system's own notes are not replies)."""
    result: list[ClockEvent] = []
    kinds = CaseEvent.Kind
    for event in events:
        at, kind = event.created_at, event.kind
        if kind == kinds.CREATED:
            result.append(ClockEvent(at, ClockEventKind.RECEIVED, event.data.get("priority")))
            if event.data.get("channel") == Channel.PHONE:
                # Staff logged the case during the customer's call: a person answered at
                # once, so the call itself is the initial response.
                result.append(ClockEvent(at, ClockEventKind.PUBLIC_STAFF_REPLY))
            continue
        if kind == kinds.PRIORITY_CHANGED:
            priority = event.data.get("priority")
            result.append(ClockEvent(at, ClockEventKind.PRIORITY_CHANGED, priority))
        if event.comment_id in staff_replies:
            result.append(ClockEvent(at, ClockEventKind.PUBLIC_STAFF_REPLY))
        if kind == kinds.KNOWN_ISSUE_LINKED:
            result.append(ClockEvent(at, ClockEventKind.KNOWN_ISSUE_LINKED))
        elif kind == kinds.KNOWN_ISSUE_UNLINKED:
            result.append(ClockEvent(at, ClockEventKind.KNOWN_ISSUE_UNLINKED))
        if kind == kinds.CLOSED:
            result.append(ClockEvent(at, ClockEventKind.CLOSED))
        elif kind == kinds.REOPENED:
            result.append(ClockEvent(at, ClockEventKind.REOPENED))
        elif event.from_state and event.to_state and event.from_state != event.to_state:
            result.extend(_state_change(at, event.from_state, event.to_state))
    return result


def _state_change(at: datetime, before: str, after: str) -> list[ClockEvent]:
    changes = []
    if after == State.AWAITING_INFORMATION:
        changes.append(ClockEvent(at, ClockEventKind.PAUSED))
    if before == State.AWAITING_INFORMATION:
        changes.append(ClockEvent(at, ClockEventKind.RESUMED))
    if after == State.SOLUTION_PROPOSED:
        changes.append(ClockEvent(at, ClockEventKind.SOLUTION_PROPOSED))
    if before == State.SOLUTION_PROPOSED and after == State.IN_PROGRESS:
        changes.append(ClockEvent(at, ClockEventKind.SOLUTION_REJECTED))
    return changes


def case_recompute_clocks(case: Case, *, now: datetime | None = None) -> None:
    """Recompute and store the case's due times from its timeline. Call it on the locked
    case inside the service's transaction, after the service recorded its event."""
    cases_recompute_clocks([case], now=now)


def cases_recompute_clocks(
    cases: Sequence[Case],
    *,
    now: datetime | None = None,
    policies: dict[int, dict[str, ClockPolicy]] | None = None,
    cadences: dict[int, dict[str, str]] | None = None,
    save: bool = True,
) -> None:
    """`case_recompute_clocks` for many locked cases at once: one query for all their
    timelines, one for their staff replies, one for the update cadences agreed with
    their tenants, one UPDATE (or none with `save=False`: the caller saves CLOCK_FIELDS
    with its own changes). `policies` caches the targets per plan id across calls,
    `cadences` the agreed intervals per tenant id."""
    if not cases:
        return
    now = now or timezone.now()
    policies = {} if policies is None else policies
    cadences = {} if cadences is None else cadences
    _load_cadences(cadences, {case.tenant_id for case in cases})
    # One plan instance per plan in the batch, so its offered categories are read once.
    plans: dict[int, SupportPlan] = {}
    for case in cases:
        case.tenant.plan = plans.setdefault(case.tenant.plan_id, case.tenant.plan)
    timed = [case for case in cases if case.tenant.plan.category_has_sla(case.category)]
    timelines, staff_replies = _timelines(timed)
    ending: list[tuple[Case, list[ClockEvent], dict[str, ClockPolicy]]] = []
    for case in cases:
        plan = case.tenant.plan
        if not plan.category_has_sla(case.category):
            values = _without_clocks(case)
        else:
            if plan.id not in policies:
                policies[plan.id] = clock_policies(plan)
            timeline = _from_receipt(case, timelines[case.id])
            case_policies = with_agreed_cadence(
                policies[plan.id],
                case_interval=case.agreed_update_interval,
                tenant_intervals=cadences.get(case.tenant_id, {}),
            )
            events = clock_events(timeline, staff_replies)
            values = _clock_values(timeline, events, case_policies, now)
            ending.append((case, events, case_policies))
        for name, value in values.items():
            setattr(case, name, value)
    record_ended_cycles(ending, now=now)
    if save:
        # Due times are derived data: they bump neither the case's version (which guards
        # edits made on a stale page) nor its updated_at.
        bulk_save_fields(cases, CLOCK_FIELDS)


def _timelines(timed: Sequence[Case]) -> tuple[dict[int, list[TimelineEntry]], set[int]]:
    """The timelines of the cases (two queries) and the ids of their staff replies."""
    timelines: dict[int, list[TimelineEntry]] = defaultdict(list)
    staff_replies: set[int] = set()
    if timed:
        ids = [case.id for case in timed]
        events = CaseEvent.objects.filter(case_id__in=ids).order_by("case_id", "created_at", "id")
        for row in events.values_list(*TimelineEntry._fields):
            entry = TimelineEntry(*row)
            timelines[entry.case_id].append(entry)
        staff_replies = set(
            Comment.objects.filter(
                case_id__in=ids, public=True, by_staff=True, author__isnull=False
            ).values_list("id", flat=True)
        )
    return timelines, staff_replies


def cases_cycle_inputs(
    case_ids: Sequence[int],
) -> list[tuple[Case, list[ClockEvent], dict[str, ClockPolicy]]]:
    """What `sla.clocks.ended_cycles` needs per clocked case, for the cycle backfill:
    the case, its timeline as clock events and its policies (agreed cadences in)."""
    cases = with_tenants(list(Case.objects.filter(id__in=case_ids).defer(*LONG_TEXT_FIELDS)))
    policies: dict[int, dict[str, ClockPolicy]] = {}
    cadences: dict[int, dict[str, str]] = {}
    _load_cadences(cadences, {case.tenant_id for case in cases})
    timed = [case for case in cases if case.tenant.plan.category_has_sla(case.category)]
    timelines, staff_replies = _timelines(timed)
    result = []
    for case in timed:
        plan = case.tenant.plan
        if plan.id not in policies:
            policies[plan.id] = clock_policies(plan)
        case_policies = with_agreed_cadence(
            policies[plan.id],
            case_interval=case.agreed_update_interval,
            tenant_intervals=cadences.get(case.tenant_id, {}),
        )
        events = clock_events(_from_receipt(case, timelines[case.id]), staff_replies)
        result.append((case, events, case_policies))
    return result


def _load_cadences(cadences: dict[int, dict[str, str]], tenant_ids: set[int]) -> None:
    """Fill `cadences` with the intervals agreed with the tenants it lacks (one query)."""
    missing = tenant_ids - cadences.keys()
    if not missing:
        return
    for tenant_id in missing:
        cadences[tenant_id] = {}
    rows = AgreedUpdateCadence.objects.filter(tenant_id__in=missing).values_list(
        "tenant_id", "priority_code", "update_interval"
    )
    for tenant_id, code, interval in rows:
        cadences[tenant_id][code] = interval


def with_agreed_cadence(
    policies: dict[str, ClockPolicy], *, case_interval: str, tenant_intervals: dict[str, str]
) -> dict[str, ClockPolicy]:
    """The plan's policies with the agreed update intervals in: the case's own (for every
    priority) before the tenant's (per priority) before the plan's."""
    if not case_interval and not tenant_intervals:
        return policies
    result = dict(policies)
    for code, policy in policies.items():
        text, whose = case_interval, "for this case"
        if not text:
            text, whose = tenant_intervals.get(code, ""), f"with the customer for {code}"
        target = _target(text, code, "agreed update interval") if text else None
        if target is None:
            continue
        plan = f" (the plan says {policy.update_interval})" if policy.update_interval else ""
        result[code] = replace(
            policy,
            update_interval=target,
            update_interval_note=f"Update interval agreed {whose}: every {target}{plan}.",
        )
    return result


def _from_receipt(case: Case, timeline: list[TimelineEntry]) -> list[TimelineEntry]:
    """The timeline as the clocks need it, starting with the receipt. Cases filed through
    the services always start so; one brought in without its CREATED event (an import)
    counts from when it was created, at its current priority."""
    if timeline and timeline[0].kind == CaseEvent.Kind.CREATED:
        return timeline
    receipt = TimelineEntry(
        case.id,
        case.created_at,
        CaseEvent.Kind.CREATED,
        "",
        "",
        {"priority": case.priority},
        None,
        "",
    )
    return [receipt, *timeline]


def _without_clocks(case: Case) -> dict[str, object]:
    plan = case.tenant.plan
    label = case.category_name
    return {
        "initial_response_due": None,
        "next_update_due": None,
        "resolution_due": None,
        "next_due_at": None,
        "sla_paused": False,
        "sla_explanation": [
            f"{label} cases carry no SLA targets under the {plan.name} plan: no clock runs."
        ],
        "sla_alerts": [],
        "next_sla_alert_at": None,
        "clocks_stale_at": None,
    }


def _clock_values(
    timeline: list[TimelineEntry],
    events: list[ClockEvent],
    policies: dict[str, ClockPolicy],
    now: datetime,
) -> dict[str, object]:
    times = compute_due_times(events, policies, now)
    open_dues = _open_dues(times)
    policy = policies.get(times.priority or "")
    sent = {entry.dedupe_key for entry in timeline if entry.dedupe_key}
    alerts = _schedule_alerts(times, open_dues, policy, now, sent)
    return {
        "initial_response_due": times.initial_response_due,
        "next_update_due": times.next_update_due,
        "resolution_due": times.resolution_due,
        "next_due_at": min(open_dues.values(), default=None),
        "sla_paused": times.paused,
        "sla_explanation": times.explanation,
        "sla_alerts": alerts,
        "next_sla_alert_at": datetime.fromisoformat(alerts[0]["at"]) if alerts else None,
        "clocks_stale_at": None,
    }


def _open_dues(times: DueTimes) -> dict[str, datetime]:
    """The due times still to be met: a given initial response is history."""
    dues = {}
    if times.initial_response_due is not None and times.initial_response_met_at is None:
        dues["initial_response"] = times.initial_response_due
    if times.next_update_due is not None:
        dues["next_update"] = times.next_update_due
    if times.resolution_due is not None:
        dues["resolution"] = times.resolution_due
    return dues


def _schedule_alerts(
    times: DueTimes,
    open_dues: dict[str, datetime],
    policy: ClockPolicy | None,
    now: datetime,
    sent: set[str],
) -> list[dict[str, str]]:
    """Alerts still to send for the open due times, earliest first. Nothing is scheduled
    again for a due time once an alert as severe or more is on the timeline (by its
    dedupe key): a warning never follows the breach it would have announced."""
    alerts = []
    for metric, due in open_dues.items():
        budget = times.budgets.get(metric)
        planned = [(Alert.BREACHED, due)]
        if budget is not None:
            marks = [(Alert.AT_RISK, settings.SLA_AT_RISK_PERCENT)]
            if metric == "next_update":
                marks.append((Alert.UPDATE_REMINDER, settings.SLA_UPDATE_REMINDER_PERCENT))
            planned += [
                (kind, instant_when_used(due, budget, percent / 100, now))
                for kind, percent in marks
            ]
        done = max(
            (
                severity
                for kind, severity in Alert.SEVERITY.items()
                if alert_key(kind, metric, iso(due)) in sent
            ),
            default=0,
        )
        due_text = _local(due, policy)
        alerts += [
            {"at": iso(at), "kind": kind, "metric": metric, "due": iso(due), "due_text": due_text}
            for kind, at in planned
            if Alert.SEVERITY[kind] > done
        ]
    alerts.sort(
        key=lambda alert: (datetime.fromisoformat(alert["at"]), Alert.SEVERITY[alert["kind"]])
    )
    return alerts


def _local(instant: datetime, policy: ClockPolicy | None) -> str:
    zone = policy.calendar.zone if policy is not None else UTC
    local = instant.astimezone(zone)
    return local.strftime("%a %Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def _open_cases_of_plans(plan_ids: Sequence[int]) -> Q:
    return Q(tenant__plan_id__in=list(plan_ids)) & ~Q(state=State.CLOSED)


@transaction.atomic
def clocks_recompute_for_plans(
    *, plan_ids: Sequence[int], at_once: int = RECOMPUTE_AT_ONCE
) -> tuple[int, int]:
    """After plans or their priorities changed: mark their open cases stale, recompute the
    `at_once` most urgent now and leave the rest to the task. Returns (recomputed, left)."""
    now = timezone.now()
    marked = Case.objects.filter(_open_cases_of_plans(plan_ids)).update(clocks_stale_at=now)
    done = clocks_refresh_stale(now=now, limit=at_once) if marked else 0
    return done, marked - done


def clocks_recompute_for_calendar(
    *, calendar_id: int, at_once: int = RECOMPUTE_AT_ONCE
) -> tuple[int, int]:
    """After a calendar changed: the open cases of every plan that counts on it."""
    plan_ids = list(
        SupportPlan.objects.filter(
            Q(calendar_id=calendar_id) | Q(priorities__calendar_id=calendar_id)
        )
        .values_list("id", flat=True)
        .distinct()
    )
    return clocks_recompute_for_plans(plan_ids=plan_ids, at_once=at_once)


@transaction.atomic
def clocks_recompute_for_tenant(
    *, tenant_id: int, at_once: int = RECOMPUTE_AT_ONCE
) -> tuple[int, int]:
    """After a tenant moved to another plan."""
    now = timezone.now()
    marked = (
        Case.objects.filter(tenant_id=tenant_id)
        .exclude(state=State.CLOSED)
        .update(clocks_stale_at=now)
    )
    done = clocks_refresh_stale(now=now, limit=at_once) if marked else 0
    return done, marked - done


BATCH_SIZE = 200


def clocks_refresh_stale(*, now: datetime, limit: int | None = None) -> int:
    """Recompute the clocks of cases marked stale at or before `now`, in short batches
    of locked rows (skipping rows another worker holds). Returns how many were done."""
    done = 0
    policies: dict[int, dict[str, ClockPolicy]] = {}
    cadences: dict[int, dict[str, str]] = {}
    while limit is None or done < limit:
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - done)
        with transaction.atomic():
            batch = with_tenants(
                list(
                    Case.objects.filter(clocks_stale_at__lte=now)
                    .defer(*LONG_TEXT_FIELDS)
                    .order_by("clocks_stale_at")
                    .select_for_update(skip_locked=True)[:size]
                )
            )
            cases_recompute_clocks(batch, now=now, policies=policies, cadences=cadences)
        done += len(batch)
        if len(batch) < size:
            break
    return done
