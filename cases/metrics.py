"""Figures for the manager dashboard: reads only, each one or two aggregate queries over
the cases given (the dashboard passes `cases_for(user)`).

SLA compliance is measured on the initial response, the one target every clocked case
has: a case filed in the window whose `initial_response_due` is set either met it
(first public staff reply by then), missed it (replied late, or not yet replied and the
time has passed), or is still pending. Cases without a clock (categories without
targets, or filed before clocks were kept) count as n/a, never as met.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncDate

from cases.models import OPEN_STATES, Case, SatisfactionSurvey
from cases.selectors import QUEUE_ORDER, breached_q, open_cases_q


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
    pending: int
    unclocked: int

    @property
    def measured(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        """Share of decided initial responses that were on time; None is n/a."""
        return round(100 * self.met / self.measured, 1) if self.measured else None


def sla_compliance(
    cases: QuerySet[Case], *, since: datetime, now: datetime, group_by: str
) -> list[Compliance]:
    """Initial-response compliance of cases filed since `since`, per plan
    (`group_by="tenant__plan__name"`) or per tenant (`"tenant__name"`), worst first."""
    clocked = Q(initial_response_due__isnull=False)
    met = clocked & Q(first_responded_at__lte=F("initial_response_due"))
    missed = clocked & (
        Q(first_responded_at__gt=F("initial_response_due"))
        | Q(first_responded_at__isnull=True, initial_response_due__lt=now)
    )
    pending = clocked & Q(first_responded_at__isnull=True, initial_response_due__gte=now)
    rows = (
        cases.filter(created_at__gte=since)
        .values(group_by)
        .annotate(
            met=Count("id", filter=met),
            missed=Count("id", filter=missed),
            pending=Count("id", filter=pending),
            unclocked=Count("id", filter=~clocked),
        )
        .order_by(group_by)
    )
    result = [
        Compliance(row[group_by], row["met"], row["missed"], row["pending"], row["unclocked"])
        for row in rows
    ]
    # Worst first; n/a (nothing measured) last.
    return sorted(result, key=lambda c: (c.percent is None, c.percent or 0, c.label))


@dataclass
class Breaches:
    open_breached: int
    breached_by_priority: dict[str, int]
    most_overdue: list[Case]
    missed_per_day: list[tuple[date, int]] = field(default_factory=list)


def breaches(cases: QuerySet[Case], *, since: datetime, now: datetime) -> Breaches:
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
    # Cases filed in the window, as for compliance (and through the created_at index); a
    # response is due after its case was filed, so every day falls inside the series.
    missed = (
        cases.filter(created_at__gte=since, initial_response_due__lt=now)
        .filter(
            Q(first_responded_at__isnull=True) | Q(first_responded_at__gt=F("initial_response_due"))
        )
        .annotate(day=TruncDate("initial_response_due"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    per_day = {row["day"]: row["n"] for row in missed}
    days = (now.date() - since.date()).days + 1
    series = [
        (since.date() + timedelta(days=i), per_day.get(since.date() + timedelta(days=i), 0))
        for i in range(days)
    ]
    return Breaches(sum(by_priority.values()), by_priority, most_overdue, series)


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
    cases: QuerySet[Case], *, since: datetime, group_by: str = "case__tenant__plan__name"
) -> list:
    """Average ratings of surveys on `cases` closed since `since`, per plan, plus the overall
    figure first."""
    closed = cases.filter(closed_at__gte=since).values("id")
    answered = SatisfactionSurvey.objects.filter(case__in=closed)
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
