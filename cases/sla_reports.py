"""Figures of the SLA reports (the manager's, and a tenant's contract review): reads only.

SLA compliance, the weekly trend and the time-to-respond/resolve distributions read the
daily rollup `SlaDaily` (one row per day, tenant, plan, priority, category, group,
engineer and metric), the backlog and reopen rate read `CaseDaily`, CSAT reads the
survey answers: each figure is one grouped query over rows indexed by day, so a report
over a year of a large desk stays well under a second (bench/bench_reports.py).

Days are in the staff time zone (settings.TIME_ZONE). Medians and p90 come from the
rollup's elapsed-time histogram, so they are given as the upper bound of the bucket
they fall in ("≤ 4 h"), not to the minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncWeek

from cases.models import (
    ELAPSED_BUCKETS_MINUTES,
    CaseDaily,
    Comment,
    SatisfactionSurvey,
    SlaDaily,
    SlaDailyTotal,
    SlaMetric,
    SupportGroup,
    TotalSpan,
)
from cases.services.sla_cycles import day_bounds, first_of_month, month_end, report_day
from tenants.models import Category, SupportPlan, Tenant

DIMENSIONS = {
    "plan": "Plan",
    "tenant": "Customer",
    "priority": "Priority",
    "category": "Category",
    "group": "Group",
    "owner": "Engineer",
}
_DIMENSION_COLUMN = {
    "plan": "plan_id",
    "tenant": "tenant_id",
    "priority": "priority",
    "category": "category",
    "group": "group_id",
    "owner": "owner_id",
}
MAX_RANGE = timedelta(days=731)


@dataclass(frozen=True)
class Scope:
    """What a report covers: a date range (inclusive, staff time zone) and, for a
    contract review, the one tenant (None: every tenant, for staff)."""

    start: date
    end: date
    tenant_id: int | None = None

    def rollup(self) -> QuerySet[SlaDaily]:
        rows = SlaDaily.objects.filter(day__gte=self.start, day__lte=self.end)
        return rows if self.tenant_id is None else rows.filter(tenant_id=self.tenant_id)

    def totals(self, dimension: str, *, by_day: bool = False) -> QuerySet[SlaDailyTotal]:
        """Desk-wide rows of one dimension (staff scope only): the month rows of every
        month the range covers whole and that has them, the day rows of the rest, so a
        year costs about twelve rows per value. `by_day`: day rows only (for figures per
        day or week)."""
        rows = SlaDailyTotal.objects.filter(dimension=dimension)
        days = Q(span=TotalSpan.DAY, day__gte=self.start, day__lte=self.end)
        months = self.whole_months()
        if by_day or not months:
            return rows.filter(days)
        built = set(
            SlaDailyTotal.objects.filter(span=TotalSpan.MONTH, dimension=dimension, day__in=months)
            .order_by()
            .values_list("day", flat=True)
            .distinct()
        )
        for month in built:
            days &= ~Q(day__gte=month, day__lte=month_end(month))
        return rows.filter(days | Q(span=TotalSpan.MONTH, day__in=built))

    def whole_months(self) -> list[date]:
        """First days of the months that lie wholly inside the range."""
        months = []
        month = first_of_month(self.start)
        if month < self.start:
            month = month_end(month) + timedelta(days=1)
        while month_end(month) <= self.end:
            months.append(month)
            month = month_end(month) + timedelta(days=1)
        return months

    def case_days(self) -> QuerySet[CaseDaily]:
        rows = CaseDaily.objects.filter(day__gte=self.start, day__lte=self.end)
        return rows if self.tenant_id is None else rows.filter(tenant_id=self.tenant_id)

    def surveys(self) -> QuerySet[SatisfactionSurvey]:
        """Survey answers given in the range (by when they were answered)."""
        start, _ = day_bounds(self.start)
        _, end = day_bounds(self.end)
        answers = SatisfactionSurvey.objects.filter(answered_at__gte=start, answered_at__lt=end)
        return answers if self.tenant_id is None else answers.filter(case__tenant_id=self.tenant_id)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @classmethod
    def last_days(cls, days: int, now: datetime) -> Scope:
        """The last `days` days up to today (staff time zone), desk-wide."""
        today = report_day(now)
        return cls(today - timedelta(days=days - 1), today)


@dataclass
class ComplianceRow:
    key: object
    label: str
    per_metric: dict[str, tuple[int, int]] = field(default_factory=dict)
    """metric -> (met, breached)"""

    def percent(self, metric: str) -> float | None:
        met, breached = self.per_metric.get(metric, (0, 0))
        return None if met + breached == 0 else round(100 * met / (met + breached), 1)

    @property
    def total(self) -> tuple[int, int]:
        return (
            sum(met for met, _ in self.per_metric.values()),
            sum(breached for _, breached in self.per_metric.values()),
        )


def compliance(scope: Scope, by: str) -> list[ComplianceRow]:
    """Met and breached cycles per value of `by` (one of DIMENSIONS) and metric, the
    largest volumes first. One grouped query, plus one for the labels."""
    if by not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {by!r}.")
    column = _DIMENSION_COLUMN[by]
    rows: dict[object, ComplianceRow] = {}
    source = scope.rollup() if scope.tenant_id is not None else scope.totals(by)
    if scope.tenant_id is None:
        column = "key"
    grouped = (
        source.values_list(column, "metric")
        .annotate(met_sum=Sum("met"), breached_sum=Sum("breached"))
        .order_by()
    )
    for raw, metric, met, breached in grouped:
        key = _typed_key(by, raw)
        row = rows.setdefault(key, ComplianceRow(key, ""))
        row.per_metric[metric] = (met or 0, breached or 0)
    labels = _labels(by, rows.keys())
    for key, row in rows.items():
        row.label = labels.get(key, str(key) if key is not None else "(none)")
    return sorted(rows.values(), key=lambda row: (-sum(row.total), row.label))


def _typed_key(by: str, raw: object) -> object:
    """A totals row's key (text) as the dimension's value: an id, a code, or None."""
    if raw is None or raw == "":
        return None
    if by in ("plan", "tenant", "group", "owner"):
        return int(str(raw))
    return raw


def _labels(by: str, keys: Iterable[object]) -> dict[object, str]:
    if by == "category":
        codes = [str(key) for key in keys if key is not None]
        return dict(Category.objects.filter(code__in=codes).values_list("code", "name"))
    if by not in ("plan", "tenant", "group", "owner"):
        return {key: str(key) for key in keys if key is not None}
    ids = [key for key in keys if isinstance(key, int)]
    if by == "plan":
        return dict(SupportPlan.objects.filter(id__in=ids).values_list("id", "name"))
    if by == "tenant":
        return dict(Tenant.objects.filter(id__in=ids).values_list("id", "name"))
    if by == "group":
        return dict(SupportGroup.objects.filter(id__in=ids).values_list("id", "name"))
    users = get_user_model().objects.filter(id__in=ids)
    return {user.id: user.get_full_name() or user.get_username() for user in users}


@dataclass(frozen=True)
class WeekPoint:
    week: date
    met: int
    breached: int

    @property
    def percent(self) -> float | None:
        total = self.met + self.breached
        return None if total == 0 else round(100 * self.met / total, 1)


def weekly_trend(scope: Scope, metric: str | None = None) -> list[WeekPoint]:
    """Compliance per week (weeks start on Monday), every metric together or one."""
    rows: QuerySet = (
        scope.rollup() if scope.tenant_id is not None else scope.totals("all", by_day=True)
    )
    if metric:
        rows = rows.filter(metric=metric)
    grouped = (
        rows.annotate(week=TruncWeek("day"))
        .values_list("week")
        .annotate(met_sum=Sum("met"), breached_sum=Sum("breached"))
        .order_by("week")
    )
    return [WeekPoint(week, met or 0, breached or 0) for week, met, breached in grouped]


@dataclass(frozen=True)
class Distribution:
    metric: str
    label: str
    counts: list[int]
    """Cycles per ELAPSED_BUCKETS_MINUTES bucket, then those beyond the last."""

    @property
    def total(self) -> int:
        return sum(self.counts)

    def quantile(self, fraction: float) -> str:
        """The bucket the quantile falls in, as its upper bound ("≤ 4 h")."""
        if not self.total:
            return "–"
        needed, running = fraction * self.total, 0
        for index, count in enumerate(self.counts):
            running += count
            if running >= needed:
                return bucket_label(index)
        return bucket_label(len(self.counts) - 1)

    @property
    def median(self) -> str:
        return self.quantile(0.5)

    @property
    def p90(self) -> str:
        return self.quantile(0.9)


def bucket_label(index: int) -> str:
    if index >= len(ELAPSED_BUCKETS_MINUTES):
        return f"> {_minutes(ELAPSED_BUCKETS_MINUTES[-1])}"
    return f"≤ {_minutes(ELAPSED_BUCKETS_MINUTES[index])}"


def _minutes(value: int) -> str:
    if value < 60:
        return f"{value} min"
    if value < 1440:
        return f"{value // 60} h"
    return f"{value // 1440} d"


def distributions(scope: Scope) -> list[Distribution]:
    """Business time to the first response and to resolution (pauses excluded): the
    rollup's histograms summed in the database (one query, whatever the range)."""
    metrics = (SlaMetric.INITIAL_RESPONSE, SlaMetric.RESOLUTION)
    size = len(ELAPSED_BUCKETS_MINUTES) + 1
    counts = {metric.value: [0] * size for metric in metrics}
    if scope.tenant_id is None:
        # A few rows a day: summed here.
        totals = scope.totals("all").filter(metric__in=[m.value for m in metrics])
        for metric, histogram in totals.values_list("metric", "elapsed_histogram"):
            for index, count in enumerate(histogram[:size]):
                counts[metric][index] += count
        return [Distribution(m.value, str(m.label), counts[m.value]) for m in metrics]
    rows = scope.rollup().filter(metric__in=[m.value for m in metrics])
    sql, params = rows.values("metric", "elapsed_histogram").query.sql_with_params()
    # The inner query is the ORM's own, its values passed as parameters.
    if connection.vendor == "postgresql":
        summed = (
            f"SELECT r.metric, h.ordinality - 1, SUM(h.value::int) FROM ({sql}) r, "  # noqa: S608
            "jsonb_array_elements_text(r.elapsed_histogram) WITH ORDINALITY h "
            "GROUP BY 1, 2"
        )
    else:
        summed = (
            f"SELECT r.metric, h.key, SUM(h.value) FROM ({sql}) r, "  # noqa: S608
            "json_each(r.elapsed_histogram) h GROUP BY 1, 2"
        )
    with connection.cursor() as cursor:
        cursor.execute(summed, params)
        for metric, index, total in cursor.fetchall():
            if 0 <= int(index) < size:
                counts[metric][int(index)] = int(total or 0)
    return [Distribution(m.value, str(m.label), counts[m.value]) for m in metrics]


@dataclass(frozen=True)
class BacklogPoint:
    day: date
    open_at_end: int
    received: int
    closed: int
    reopened: int


def backlog(scope: Scope) -> list[BacklogPoint]:
    """Open cases at the end of each day, with the day's inflow and outflow."""
    grouped = (
        scope.case_days()
        .values_list("day")
        .annotate(
            open_sum=Sum("open_at_end"),
            received_sum=Sum("received"),
            closed_sum=Sum("closed"),
            reopened_sum=Sum("reopened"),
        )
        .order_by("day")
    )
    return [BacklogPoint(*row) for row in grouped]


def reopen_rate(points: Sequence[BacklogPoint]) -> float | None:
    """Reopenings per closure over the range, in percent."""
    closed = sum(point.closed for point in points)
    return None if closed == 0 else round(100 * sum(p.reopened for p in points) / closed, 1)


@dataclass(frozen=True)
class EngineerCsat:
    engineer: str
    responses: int
    service: float | None
    timeliness: float | None
    quality: float | None


def csat_per_engineer(scope: Scope) -> list[EngineerCsat]:
    grouped = (
        scope.surveys()
        .values_list("case__owner_id")
        .annotate(n=Count("id"), s=Avg("service"), t=Avg("timeliness"), q=Avg("quality"))
        .order_by()
    )
    labels = _labels("owner", [row[0] for row in grouped])
    rows = [
        EngineerCsat(
            labels.get(owner, "(unassigned)"),
            n,
            *(None if value is None else round(value, 2) for value in (s, t, q)),
        )
        for owner, n, s, t, q in grouped
    ]
    return sorted(rows, key=lambda row: (-row.responses, row.engineer))


SURVEY_COMMENTS_SHOWN = 200


def survey_comments(scope: Scope) -> QuerySet[SatisfactionSurvey]:
    """Answers with a comment or a request for a manager's call, newest first, each with
    when staff first wrote on the case after the answer (`followed_up_at`)."""
    first_staff_note = (
        Comment.objects.filter(
            case_id=OuterRef("case_id"), by_staff=True, created_at__gt=OuterRef("answered_at")
        )
        .values("case_id")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    return (
        scope.surveys()
        .filter(~Q(comment="") | Q(manager_contact=True))
        .select_related("case__tenant", "case__owner")
        .annotate(followed_up_at=Subquery(first_staff_note[:1]))
        .order_by("-answered_at")[:SURVEY_COMMENTS_SHOWN]
    )


# --- The same figures as tables: the CSV exports and the charts' data-table alternative.

Table = tuple[list[str], list[list[object]]]
METRICS = [(metric.value, str(metric.label)) for metric in SlaMetric]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def compliance_table(scope: Scope, by: str) -> Table:
    header = [DIMENSIONS[by]]
    for _, label in METRICS:
        header += [f"{label} met", f"{label} breached", f"{label} %"]
    rows: list[list[object]] = []
    for row in compliance(scope, by):
        cells: list[object] = [row.label]
        for metric, _ in METRICS:
            met, breached = row.per_metric.get(metric, (0, 0))
            cells += [met, breached, _percent(row.percent(metric))]
        rows.append(cells)
    return header, rows


def trend_table(scope: Scope) -> Table:
    return (
        ["Week starting", "Met", "Breached", "Compliance %"],
        [
            [point.week.isoformat(), point.met, point.breached, _percent(point.percent)]
            for point in weekly_trend(scope)
        ],
    )


def backlog_table(scope: Scope, points: Sequence[BacklogPoint] | None = None) -> Table:
    """The backlog as a table; `points` when the caller has read them already."""
    return (
        ["Day", "Open at end of day", "Received", "Closed", "Reopened"],
        [
            [p.day.isoformat(), p.open_at_end, p.received, p.closed, p.reopened]
            for p in (backlog(scope) if points is None else points)
        ],
    )


def distribution_table(scope: Scope) -> Table:
    found = distributions(scope)
    header = ["Business time (pauses excluded)", *(d.label for d in found)]
    rows: list[list[object]] = [
        [bucket_label(index), *(d.counts[index] for d in found)]
        for index in range(len(ELAPSED_BUCKETS_MINUTES) + 1)
    ]
    rows.append(["Median", *(d.median for d in found)])
    rows.append(["90th percentile", *(d.p90 for d in found)])
    return header, rows


def csat_table(scope: Scope) -> Table:
    return (
        ["Engineer", "Responses", "Service", "Timeliness", "Quality"],
        [
            [row.engineer, row.responses, row.service, row.timeliness, row.quality]
            for row in csat_per_engineer(scope)
        ],
    )


def comments_table(scope: Scope) -> Table:
    return (
        [
            "Answered",
            "Case",
            "Customer",
            "Engineer",
            "Service",
            "Timeliness",
            "Quality",
            "Manager call requested",
            "Comment",
            "Staff followed up",
        ],
        [
            [
                survey.answered_at.isoformat(),
                survey.case.reference,
                survey.case.tenant.name,
                survey.case.owner.get_username() if survey.case.owner else "",
                survey.service,
                survey.timeliness,
                survey.quality,
                "yes" if survey.manager_contact else "no",
                survey.comment,
                _iso(getattr(survey, "followed_up_at", None)),
            ]
            for survey in survey_comments(scope)
        ],
    )


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""
