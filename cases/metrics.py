"""Figures for the manager dashboard: reads only, each one or two aggregate queries.

SLA compliance and the missed responses per day come from the SLA rollups
(`SlaDailyTotal`, kept by the services when a cycle ends and by the beat): the same
figures as the SLA reports, and the same cost over a week as over a year, whatever the
number of cases. A cycle counts on the day it ended (the first public staff reply for the
initial response), met or breached; cases still waiting for their first reply are counted
live from the open cases (a small, indexed set) as "awaiting a first response".
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Avg, Count, Q, QuerySet, Sum

from cases.models import OPEN_STATES, Case, SlaMetric
from cases.selectors import QUEUE_ORDER, breached_q, open_cases_q
from cases.sla_reports import Scope, compliance


@dataclass
class OpenByPriority:
    priority: str
    by_state: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def open_by_priority_and_state(cases: QuerySet[Case]) -> list[OpenByPriority]:
    """Open cases per priority code, most urgent first (by rank: "P10" follows "P9"); a
    code ranked differently by two plans counts once, where it ranks highest."""
    rows: dict[str, dict[str, int]] = {}
    counts = (
        cases.filter(open_cases_q())
        .values("priority_rank", "priority", "state")
        .annotate(n=Count("id"))
        .order_by("priority_rank", "priority")
    )
    for row in counts:
        by_state = rows.setdefault(row["priority"], dict.fromkeys(OPEN_STATES, 0))
        by_state[row["state"]] += row["n"]
    return [OpenByPriority(priority, by_state) for priority, by_state in rows.items()]


@dataclass
class Compliance:
    label: str
    met: int
    missed: int

    @property
    def measured(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        """Share of decided initial responses that were on time; None is n/a."""
        return round(100 * self.met / self.measured, 1) if self.measured else None


def response_compliance(scope: Scope, *, by: str) -> list[Compliance]:
    """Initial-response compliance per plan (`by="plan"`) or customer (`"tenant"`) over
    the scope's days, from the rollups, worst first; n/a (nothing decided) last."""
    metric = SlaMetric.INITIAL_RESPONSE.value
    rows = [
        Compliance(row.label, *row.per_metric.get(metric, (0, 0))) for row in compliance(scope, by)
    ]
    return sorted(rows, key=lambda c: (c.percent is None, c.percent or 0, c.label))


@dataclass(frozen=True)
class AwaitingResponse:
    pending: int
    overdue: int


def awaiting_first_response(cases: QuerySet[Case], *, now: datetime) -> AwaitingResponse:
    """Open clocked cases with no public staff reply yet: still in time, or past due."""
    waiting = cases.filter(
        open_cases_q(), first_responded_at__isnull=True, initial_response_due__isnull=False
    )
    # Counting the due time (not the id) lets PostgreSQL answer from the partial index.
    counts = waiting.aggregate(
        pending=Count("initial_response_due", filter=Q(initial_response_due__gte=now)),
        overdue=Count("initial_response_due", filter=Q(initial_response_due__lt=now)),
    )
    return AwaitingResponse(counts["pending"], counts["overdue"])


@dataclass
class Breaches:
    open_breached: int
    breached_by_priority: dict[str, int]
    most_overdue: list[Case]
    missed_per_day: list[tuple[date, int]] = field(default_factory=list)


def breaches(cases: QuerySet[Case], *, scope: Scope, now: datetime) -> Breaches:
    """Open cases past their due time (count per priority, the ten most overdue), and the
    initial responses that ended late per day of the scope (from the rollups)."""
    breached = cases.filter(breached_q(now))
    by_priority: dict[str, int] = {}
    counts = (
        breached.values_list("priority_rank", "priority")
        .annotate(n=Count("id"))
        .order_by("priority_rank", "priority")
    )
    for _rank, priority, n in counts:
        by_priority[priority] = by_priority.get(priority, 0) + n
    most_overdue = list(
        breached.select_related("tenant", "owner").order_by("next_due_at", *QUEUE_ORDER)[:10]
    )
    return Breaches(sum(by_priority.values()), by_priority, most_overdue, missed_per_day(scope))


def missed_per_day(scope: Scope) -> list[tuple[date, int]]:
    """Initial responses that ended past their target, per day of the scope (zeros too)."""
    per_day = dict(
        scope.totals("all", by_day=True)
        .filter(metric=SlaMetric.INITIAL_RESPONSE)
        .values_list("day")
        .annotate(n=Sum("breached"))
        .order_by()
    )
    return [(day, per_day.get(day, 0)) for day in scope.days()]


def escalated_cases(cases: QuerySet[Case]) -> QuerySet[Case]:
    return (
        cases.filter(open_cases_q(), escalated_at__isnull=False)
        .select_related("tenant", "owner", "escalated_by")
        .order_by("escalated_at")
    )


@dataclass
class Satisfaction:
    label: str
    responses: int
    service: float | None
    timeliness: float | None
    quality: float | None

    @property
    def ratings(self) -> list[tuple[str, float | None, float]]:
        """(name, average out of 5, bar width in percent)."""
        values = [("Service", self.service), ("Timeliness", self.timeliness)]
        values.append(("Quality", self.quality))
        return [(name, value, 0.0 if value is None else value * 20) for name, value in values]


CSAT_RATINGS = ("service", "timeliness", "quality")


def csat_averages(
    scope: Scope, *, group_by: str = "case__tenant__plan__name"
) -> list[Satisfaction]:
    """Average ratings of the surveys answered in the scope's days, per plan, plus the
    overall figure first (the SLA reports count the same surveys)."""
    answered = scope.surveys()
    averages = {name: Avg(name) for name in CSAT_RATINGS}
    overall = answered.aggregate(responses=Count("id"), **averages)
    rows = answered.values(group_by).annotate(responses=Count("id"), **averages).order_by(group_by)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return [
        Satisfaction(
            label,
            row["responses"],
            *(rounded(row[name]) for name in CSAT_RATINGS),
        )
        for label, row in [("All plans", overall), *((r[group_by], r) for r in rows)]
    ]
