"""A case's due times, rebuilt from its event timeline given as plain data.

Pure and deterministic: the same events, policies and `now` give the same answer, so the
due times stored on a case can always be recomputed from its timeline.

Rules (the contract wording lives in DESIGN.md, "SLA semantics"):

* **Initial response** runs from receipt to the first public staff reply. A case received
  outside the calendar's business hours (at or after closing, on a weekend or holiday)
  gets the policy's off-hours target when it has one. An "immediate" target is due at
  the start itself: only an answer at once (a case taken by phone) meets it.
* **Next update** is due one update interval after the latest public staff reply, once
  the initial response has been given, until a solution is proposed or a known issue is
  linked. A rejected solution restarts it from the rejection.
* **Resolution** runs from receipt; it is held while a proposed solution waits for the
  customer's verdict and stops when a known issue is linked.
* **Pauses** (the case waits on the customer) stop every running clock: while paused
  the due times are None, and on resume each is pushed later by the time spent paused,
  measured as business time on that clock's calendar (so the remaining business time
  resumes). Record a pause and a staff reply as two events when both happen.
* **Priority change**: the current priority's policy applies to the whole history: each
  clock is recomputed from its original start (receipt, latest staff reply, reopening)
  with the new targets and calendar, pauses still deducted. An upgrade can therefore
  make a due time fall due at once; that is the contract, not a glitch.
* **Reopen** restarts update and resolution clocks as if the case were received at the
  reopening; an initial response already given stays met (if none was given, the
  initial-response clock restarts from the reopening too).
* **Closed**: no clock runs; a historic initial-response due stays visible when met.

Events later than `now` are ignored; events at the same instant apply in the given order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sla.business_time import (
    BusinessCalendar,
    add_business_duration,
    add_business_time,
    business_time_between,
    is_open_at,
    next_business_instant,
)
from sla.targets import Target, TargetKind

_AROUND_THE_CLOCK = BusinessCalendar.always_open()


class ClockEventKind(StrEnum):
    RECEIVED = "received"
    PUBLIC_STAFF_REPLY = "public_staff_reply"
    PAUSED = "paused"
    RESUMED = "resumed"
    PRIORITY_CHANGED = "priority_changed"
    SOLUTION_PROPOSED = "solution_proposed"
    KNOWN_ISSUE_LINKED = "known_issue_linked"
    KNOWN_ISSUE_UNLINKED = "known_issue_unlinked"
    SOLUTION_REJECTED = "solution_rejected"
    REOPENED = "reopened"
    CLOSED = "closed"


@dataclass(frozen=True)
class ClockEvent:
    """One entry of a case's timeline; `priority` is set on RECEIVED and PRIORITY_CHANGED."""

    at: datetime
    kind: ClockEventKind
    priority: str | None = None


@dataclass(frozen=True)
class ClockPolicy:
    """The targets of one priority on one calendar; a None target means no such clock."""

    calendar: BusinessCalendar
    initial_response: Target | None = None
    update_interval: Target | None = None
    resolution: Target | None = None
    calendar_name: str = ""
    off_hours_initial_response: Target | None = None
    """Replaces `initial_response` for a clock started outside business hours."""
    update_interval_note: str = ""
    """Why `update_interval` differs from the plan's (an agreed cadence), for the
    explanation."""


@dataclass(frozen=True)
class ClockBudget:
    """What a running clock allows in all, as time on the calendar it counts on (24×7 for
    clock-time targets); the basis of at-risk warnings ("75% of the target used")."""

    allowed: timedelta
    calendar: BusinessCalendar


@dataclass(frozen=True)
class DueTimes:
    initial_response_due: datetime | None = None
    initial_response_met_at: datetime | None = None
    next_update_due: datetime | None = None
    resolution_due: datetime | None = None
    paused: bool = False
    paused_total: timedelta = timedelta(0)
    explanation: list[str] = field(default_factory=list)
    priority: str | None = None
    budgets: dict[str, ClockBudget] = field(default_factory=dict)
    """Per metric with a due time: "initial_response", "next_update", "resolution"."""
    starts: dict[str, datetime] = field(default_factory=dict)
    """Per metric with a due time: when its current cycle started."""
    paused_times: dict[str, timedelta] = field(default_factory=dict)
    """Per metric with a due time: the stopped time deducted from its current cycle."""


@dataclass
class _Span:
    start: datetime
    end: datetime | None = None


@dataclass
class _Mark:
    at: datetime
    reason: str


@dataclass
class _History:
    """The timeline folded into what the clocks need."""

    received_at: datetime
    priority: str
    response_start: _Mark
    resolution_start: _Mark
    response_met_at: datetime | None = None
    update_anchor: _Mark | None = None
    update_stop: _Mark | None = None
    resolution_stop: _Mark | None = None
    closed_at: datetime | None = None
    pauses: list[_Span] = field(default_factory=list)
    holds: list[_Span] = field(default_factory=list)
    priority_changes: list[tuple[datetime, str, str]] = field(default_factory=list)


def compute_due_times(
    events: Sequence[ClockEvent], policies: Mapping[str, ClockPolicy], now: datetime
) -> DueTimes:
    """Due times of one case at `now` from its timeline and the policy per priority."""
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime.")
    history = _fold(sorted((e for e in events if e.at <= now), key=lambda e: e.at))
    if history is None:
        return DueTimes(explanation=["The case has not been received yet; no clock runs."])
    policy = policies.get(history.priority)
    if policy is None:
        return DueTimes(
            priority=history.priority,
            explanation=[f"No SLA targets apply to priority {history.priority}."],
        )
    return _Explainer(history, policy, now).due_times()


def _fold(events: Sequence[ClockEvent]) -> _History | None:
    if not events:
        return None
    first = events[0]
    if first.kind is not ClockEventKind.RECEIVED:
        raise ValueError(f"A case's timeline must start with RECEIVED, not {first.kind}.")
    if not first.priority:
        raise ValueError("The RECEIVED event must carry the case's priority.")
    receipt = _Mark(first.at, "receipt")
    history = _History(first.at, first.priority, receipt, receipt)
    for event in events[1:]:
        if history.closed_at is not None and event.kind is not ClockEventKind.REOPENED:
            continue
        _apply(history, event)
    return history


def _apply(history: _History, event: ClockEvent) -> None:
    at, kind = event.at, event.kind
    if kind is ClockEventKind.PUBLIC_STAFF_REPLY:
        if history.response_met_at is None:
            history.response_met_at = at
        history.update_anchor = _Mark(at, "public staff reply")
    elif kind is ClockEventKind.PAUSED:
        if not _is_open(history.pauses):
            history.pauses.append(_Span(at))
    elif kind is ClockEventKind.RESUMED:
        _close(history.pauses, at)
    elif kind is ClockEventKind.PRIORITY_CHANGED:
        if not event.priority:
            raise ValueError("A PRIORITY_CHANGED event must carry the new priority.")
        if event.priority != history.priority:
            history.priority_changes.append((at, history.priority, event.priority))
            history.priority = event.priority
    elif kind is ClockEventKind.SOLUTION_PROPOSED:
        history.update_stop = _Mark(at, "a solution was proposed")
        if not _is_open(history.holds):
            history.holds.append(_Span(at))
    elif kind is ClockEventKind.KNOWN_ISSUE_LINKED:
        history.update_stop = _Mark(at, "a known issue was linked")
        history.resolution_stop = _Mark(at, "a known issue was linked")
    elif kind is ClockEventKind.KNOWN_ISSUE_UNLINKED:
        # Work on the case's own cause resumes: updates are due again from now.
        history.update_stop = None
        history.resolution_stop = None
        history.update_anchor = _Mark(at, "known issue unlinked")
    elif kind is ClockEventKind.SOLUTION_REJECTED:
        _close(history.holds, at)
        if history.resolution_stop is None:
            history.update_stop = None
            history.update_anchor = _Mark(at, "rejected solution")
    elif kind is ClockEventKind.CLOSED:
        history.closed_at = at
        _close(history.pauses, at)
        _close(history.holds, at)
    elif kind is ClockEventKind.REOPENED:
        if history.closed_at is None:
            return
        reopening = _Mark(at, "reopening")
        history.closed_at = None
        history.update_stop = history.resolution_stop = None
        history.resolution_start = reopening
        if history.response_met_at is None:
            history.response_start = reopening
        else:
            history.update_anchor = reopening
    elif kind is ClockEventKind.RECEIVED:
        raise ValueError("A case's timeline has RECEIVED only once.")


def _is_open(spans: list[_Span]) -> bool:
    return bool(spans) and spans[-1].end is None


def _close(spans: list[_Span], at: datetime) -> None:
    if _is_open(spans):
        spans[-1].end = at


@dataclass
class _ClockRun:
    due: datetime | None
    paused_time: timedelta
    budget: ClockBudget


def _run_clock(
    start: datetime, target: Target, calendar: BusinessCalendar, stops: list[_Span]
) -> _ClockRun:
    """Due time of one clock with `stops` (sorted, disjoint) deducted: the business time
    the target allows is spent only outside stops. Due is None while a stop is open and
    the target was not already used up before it began."""
    measure = _AROUND_THE_CLOCK if target.is_clock_time else calendar
    unstopped_due = add_business_time(start, target, calendar)
    remaining = business_time_between(start, unstopped_due, measure)
    budget = ClockBudget(remaining, measure)
    cursor, paused_time = start, timedelta(0)
    for stop in stops:
        if stop.end is not None and stop.end <= cursor:
            continue
        stop_start = max(stop.start, cursor)
        used = business_time_between(cursor, stop_start, measure)
        if used >= remaining:
            break
        remaining -= used
        if stop.end is None:
            return _ClockRun(None, paused_time, budget)
        paused_time += business_time_between(stop_start, stop.end, measure)
        cursor = stop.end
    if cursor == start:
        return _ClockRun(unstopped_due, paused_time, budget)
    return _ClockRun(add_business_duration(cursor, remaining, measure), paused_time, budget)


def _union(*groups: list[_Span]) -> list[_Span]:
    spans = sorted((_Span(s.start, s.end) for group in groups for s in group), key=_span_key)
    merged: list[_Span] = []
    for span in spans:
        last = merged[-1] if merged else None
        if last is not None and (last.end is None or span.start <= last.end):
            if last.end is not None:
                last.end = None if span.end is None else max(last.end, span.end)
        else:
            merged.append(span)
    return merged


def _span_key(span: _Span) -> datetime:
    return span.start


def _until(spans: list[_Span], limit: datetime) -> list[_Span]:
    """The parts of `spans` before `limit`."""
    clipped = []
    for span in spans:
        if span.start >= limit:
            break
        end = limit if span.end is None or span.end > limit else span.end
        clipped.append(_Span(span.start, end))
    return clipped


class _Explainer:
    """Computes the clocks and says, line by line, how each due time was derived."""

    def __init__(self, history: _History, policy: ClockPolicy, now: datetime) -> None:
        self.history = history
        self.policy = policy
        self.now = now
        self.calendar = policy.calendar
        self.lines: list[str] = []
        self.budgets: dict[str, ClockBudget] = {}
        self.starts: dict[str, datetime] = {}
        self.paused_times: dict[str, timedelta] = {}

    def due_times(self) -> DueTimes:
        history, policy = self.history, self.policy
        name = f"{policy.calendar_name!r}" if policy.calendar_name else "the plan calendar"
        self.lines.append(
            f"Priority {history.priority}: calendar {name}, {self.calendar.describe()}."
        )
        for at, old, new in history.priority_changes:
            self.lines.append(
                f"Priority changed from {old} to {new} at {self.when(at)}: every clock is "
                f"recomputed from its original start with the {new} targets."
            )
        paused_total = self.explain_pauses()
        response_due = self.initial_response()
        update_due = self.next_update()
        resolution_due = self.resolution()
        if history.closed_at is not None:
            self.lines.append(f"Case closed at {self.when(history.closed_at)}: no clock runs.")
        return DueTimes(
            initial_response_due=response_due,
            initial_response_met_at=(
                history.response_met_at.astimezone(UTC) if history.response_met_at else None
            ),
            next_update_due=update_due,
            resolution_due=resolution_due,
            paused=history.closed_at is None and _is_open(history.pauses),
            paused_total=paused_total,
            explanation=self.lines,
            priority=history.priority,
            budgets=self.budgets,
            starts=self.starts,
            paused_times=self.paused_times,
        )

    def explain_pauses(self) -> timedelta:
        total = timedelta(0)
        for span in self.history.pauses:
            spent = business_time_between(span.start, span.end or self.now, self.calendar)
            total += spent
            if span.end is None:
                self.lines.append(
                    f"Paused since {self.when(span.start)} while waiting on the customer "
                    f"({_duration(spent)} of business time so far); the remaining time "
                    "resumes when the customer replies."
                )
            else:
                self.lines.append(
                    f"Paused {self.when(span.start)} – {self.when(span.end)} while waiting "
                    f"on the customer ({_duration(spent)} of business time)."
                )
        return total

    def initial_response(self) -> datetime | None:
        history, target = self.history, self.policy.initial_response
        off_hours = self.policy.off_hours_initial_response
        start = history.response_start
        if off_hours is not None and not is_open_at(start.at, self.calendar):
            self.lines.append(
                f"Received outside business hours ({self.when(start.at)}): the off-hours "
                f"target of {off_hours} applies."
            )
            target = off_hours
        if target is None:
            self.lines.append(f"No initial-response target for priority {history.priority}.")
            return None
        met_at = history.response_met_at
        if met_at is None and history.closed_at is not None:
            return None
        stops = history.pauses if met_at is None else _until(history.pauses, met_at)
        due = self.clock(
            "initial_response", "Initial response", target, history.response_start, stops
        )
        if met_at is not None and due is not None:
            verdict = "on time" if met_at <= due else f"{_duration(met_at - due)} late"
            self.lines.append(f"Initial response given at {self.when(met_at)}, {verdict}.")
        return due

    def next_update(self) -> datetime | None:
        history, target = self.history, self.policy.update_interval
        if target is None or history.closed_at is not None:
            return None
        if history.update_stop is not None:
            self.lines.append(
                f"No update is due: {history.update_stop.reason} at "
                f"{self.when(history.update_stop.at)}."
            )
            return None
        if self.policy.update_interval_note:
            self.lines.append(self.policy.update_interval_note)
        if history.response_met_at is None or history.update_anchor is None:
            self.lines.append(
                f"Updates every {target} are due once the initial response has been given."
            )
            return None
        return self.clock(
            "next_update", "Next update", target, history.update_anchor, history.pauses
        )

    def resolution(self) -> datetime | None:
        history, target = self.history, self.policy.resolution
        if target is None or history.closed_at is not None:
            return None
        if history.resolution_stop is not None:
            self.lines.append(
                f"No resolution due: {history.resolution_stop.reason} at "
                f"{self.when(history.resolution_stop.at)}; the known issue's fix governs."
            )
            return None
        for hold in history.holds:
            if hold.start < history.resolution_start.at:
                continue
            until = (
                "awaiting the customer's verdict"
                if hold.end is None
                else (f"until {self.when(hold.end)}")
            )
            self.lines.append(
                f"Resolution clock held from {self.when(hold.start)} while a proposed "
                f"solution waited on the customer, {until}."
            )
        stops = _union(history.pauses, history.holds)
        return self.clock("resolution", "Resolution", target, history.resolution_start, stops)

    def clock(
        self, metric: str, label: str, target: Target, start: _Mark, stops: list[_Span]
    ) -> datetime | None:
        run = _run_clock(start.at, target, self.calendar, stops)
        if run.due is not None:
            self.budgets[metric] = run.budget
            self.starts[metric] = start.at
            self.paused_times[metric] = run.paused_time
        text = f"{label}: {target} from the {start.reason} at {self.when(start.at)}"
        counting_from = next_business_instant(start.at, self.calendar)
        if (
            target.kind in (TargetKind.BUSINESS, TargetKind.BUSINESS_DAYS)
            and counting_from != start.at
        ):
            text += f" (outside business hours, so counting from {self.when(counting_from)})"
        if run.paused_time:
            text += f", plus {_duration(run.paused_time)} paused"
        if run.due is None:
            self.lines.append(f"{text}; on hold while the case waits on the customer.")
        else:
            self.lines.append(f"{text}: due {self.when(run.due)}.")
        return run.due

    def when(self, instant: datetime) -> str:
        """An instant in the calendar's local time, e.g. "Fri 2025-03-07 16:30 CET"."""
        local = instant.astimezone(self.calendar.zone)
        seconds = ":%S" if local.second or local.microsecond else ""
        return local.strftime(f"%a %Y-%m-%d %H:%M{seconds} ") + (local.tzname() or "UTC")


@dataclass(frozen=True)
class Cycle:
    """One SLA cycle that ended: a metric's clock from its start to the event that
    stopped it (the first public staff reply, the next one, or the closure), judged
    against the due time it had just before that event. `margin` is business time on the
    clock's calendar, positive when met early, negative when late; `paused` is the time
    the clock stood still (waiting on the customer, or on a proposed solution)."""

    metric: str
    sequence: int
    priority: str
    started_at: datetime
    due_at: datetime
    ended_at: datetime
    met: bool
    margin: timedelta
    paused: timedelta
    elapsed: timedelta
    """Business time from start to end, paused time excluded."""


_ENDS_UPDATE = {
    ClockEventKind.PUBLIC_STAFF_REPLY,
    ClockEventKind.SOLUTION_PROPOSED,
    ClockEventKind.KNOWN_ISSUE_LINKED,
    ClockEventKind.CLOSED,
}


def ended_cycles(
    events: Sequence[ClockEvent], policies: Mapping[str, ClockPolicy], now: datetime
) -> list[Cycle]:
    """Every cycle the timeline ended by `now`, in order. Each is judged by replaying the
    timeline up to the ending event (with any pause or hold closed at that instant, so a
    clock stopped at the end still has its due time): the initial response ends at the
    first public staff reply; an update interval ends at the next public staff reply, a
    proposed solution, a linked known issue or the closure; the resolution ends at the
    closure. Deterministic, so recording the result twice records nothing new."""
    ordered = sorted((e for e in events if e.at <= now), key=lambda e: e.at)
    cycles: list[Cycle] = []
    sequences: dict[str, int] = {}
    for index, event in enumerate(ordered):
        if index == 0 or event.kind not in _ENDS_UPDATE:
            continue
        at, before = event.at, list(ordered[:index])
        resume = ClockEvent(at, ClockEventKind.RESUMED)
        times = compute_due_times([*before, resume], policies, at)
        ends = []
        if event.kind is ClockEventKind.PUBLIC_STAFF_REPLY and (
            times.initial_response_met_at is None
        ):
            ends.append(("initial_response", times))
        if "next_update" in times.starts and times.starts["next_update"] < at:
            # (one that started this instant, e.g. by the reply that proposed the solution
            # being stopped, was no interval at all)
            ends.append(("next_update", times))
        if event.kind is ClockEventKind.CLOSED:
            held = compute_due_times(
                [*before, resume, ClockEvent(at, ClockEventKind.SOLUTION_REJECTED)], policies, at
            )
            ends.append(("resolution", held))
        for metric, basis in ends:
            cycle = _cycle(metric, basis, at, sequences.get(metric, 0) + 1)
            if cycle is not None:
                sequences[metric] = cycle.sequence
                cycles.append(cycle)
    return cycles


def _cycle(metric: str, times: DueTimes, ended_at: datetime, sequence: int) -> Cycle | None:
    due = {
        "initial_response": times.initial_response_due,
        "next_update": times.next_update_due,
        "resolution": times.resolution_due,
    }[metric]
    if due is None or metric not in times.starts:
        return None
    measure = times.budgets[metric].calendar
    start = times.starts[metric]
    met = ended_at <= due
    margin = (
        business_time_between(ended_at, due, measure)
        if met
        else -business_time_between(due, ended_at, measure)
    )
    paused = times.paused_times.get(metric, timedelta(0))
    elapsed = max(business_time_between(start, ended_at, measure) - paused, timedelta(0))
    return Cycle(
        metric=metric,
        sequence=sequence,
        priority=times.priority or "",
        started_at=start.astimezone(UTC),
        due_at=due.astimezone(UTC),
        ended_at=ended_at.astimezone(UTC),
        met=met,
        margin=margin,
        paused=paused,
        elapsed=elapsed,
    )


def instant_when_used(
    due: datetime, budget: ClockBudget, fraction: float, now: datetime
) -> datetime:
    """When `fraction` of a running clock's allowed time will have been used, if it runs on
    from `now` to `due` without a pause (a pause is an event, and events recompute); `now`
    itself when that point has already passed. Counted from the due time backwards, so
    the answer does not depend on when it is asked."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction}.")
    left_at_mark = budget.allowed * (1 - fraction)
    remaining = business_time_between(now, due, budget.calendar)
    if remaining <= left_at_mark:
        return now
    return add_business_duration(now, remaining - left_at_mark, budget.calendar)


def _duration(value: timedelta) -> str:
    """Business time for people: "45m", "2h 30m", "1d 3h" (d = 24 hours)."""
    minutes = round(value / timedelta(minutes=1))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return " ".join(parts)
