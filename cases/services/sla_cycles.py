"""Recording SLA cycles as they end, and the daily rollups the reports read.

`record_ended_cycles` is called by the clock recompute (`cases.services.clocks`), the one
path every service that records an event takes: when the timeline it just read holds an
event that can end a cycle (a public staff reply, a proposed solution, a linked known
issue, a closure) recorded in the last few minutes, the case's ended cycles are derived
from the timeline (`sla.clocks.ended_cycles`) and inserted; the unique key per case,
metric and sequence makes a second recording a no-op. After the commit the rollup rows
of the tenant and day are rebuilt from the cycles, and a beat task catches up anything a
crash skipped (`sla_rollups_refresh`).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from cases.models import (
    ELAPSED_BUCKETS_MINUTES,
    Case,
    CaseDaily,
    CaseEvent,
    SlaCycle,
    SlaDaily,
    SlaDailyTotal,
    TotalSpan,
)
from sla.clocks import ClockEvent, ClockEventKind, ClockPolicy, Cycle, ended_cycles

logger = logging.getLogger(__name__)

# An ending event recorded this long before the recompute still counts as "just now"
# (the service records its event and recomputes in one transaction).
RECENT = timedelta(minutes=5)
_ENDING = {
    ClockEventKind.PUBLIC_STAFF_REPLY,
    ClockEventKind.SOLUTION_PROPOSED,
    ClockEventKind.KNOWN_ISSUE_LINKED,
    ClockEventKind.CLOSED,
}


def staff_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def report_day(instant: datetime) -> date:
    """The day (staff time zone) a cycle or a case count belongs to."""
    return instant.astimezone(staff_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = staff_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def has_recent_end(events: Sequence[ClockEvent], now: datetime) -> bool:
    return any(e.kind in _ENDING and now - RECENT <= e.at <= now for e in events)


def cycles_to_rows(case: Case, cycles: Iterable[Cycle]) -> list[SlaCycle]:
    return [
        SlaCycle(
            case_id=case.id,
            tenant_id=case.tenant_id,
            plan_id=case.tenant.plan_id,
            priority=cycle.priority or case.priority,
            category=case.category,
            group_id=case.group_id,
            owner_id=case.owner_id,
            metric=cycle.metric,
            sequence=cycle.sequence,
            started_at=cycle.started_at,
            due_at=cycle.due_at,
            ended_at=cycle.ended_at,
            met=cycle.met,
            margin_seconds=round(cycle.margin.total_seconds()),
            paused_seconds=round(cycle.paused.total_seconds()),
            elapsed_seconds=round(cycle.elapsed.total_seconds()),
        )
        for cycle in cycles
    ]


def case_cycle_rows(
    case: Case, events: Sequence[ClockEvent], policies: dict[str, ClockPolicy], now: datetime
) -> list[SlaCycle]:
    """The case's ended cycles as rows; none (and a warning) for a timeline the clock
    math cannot read (e.g. imported without the priority on its receipt), so recording
    a report figure never fails the service that ended the cycle."""
    try:
        return cycles_to_rows(case, ended_cycles(events, policies, now))
    except ValueError as error:
        logger.warning("SLA cycles of case %s not recorded: %s", case.id, error)
        return []


def record_ended_cycles(
    cases_events: Sequence[tuple[Case, list[ClockEvent], dict[str, ClockPolicy]]],
    *,
    now: datetime,
    only_recent: bool = True,
) -> int:
    """Insert the cycles the given timelines ended (those not recorded yet) and, after
    the commit, rebuild the rollups of the days they fell on. With `only_recent` a case
    is looked at only when an ending event was recorded just now (the services' path);
    the backfill passes False. Returns how many cycles the timelines hold."""
    rows: list[SlaCycle] = []
    for case, events, policies in cases_events:
        if only_recent and not has_recent_end(events, now):
            continue
        rows += case_cycle_rows(case, events, policies, now)
    if not rows:
        return 0
    SlaCycle.objects.bulk_create(rows, ignore_conflicts=True)
    pairs = {(row.tenant_id, report_day(row.ended_at)) for row in rows}
    transaction.on_commit(lambda: sla_rollup_rebuild(pairs))
    return len(rows)


def _bucket(seconds: int) -> int:
    minutes = seconds / 60
    for index, bound in enumerate(ELAPSED_BUCKETS_MINUTES):
        if minutes <= bound:
            return index
    return len(ELAPSED_BUCKETS_MINUTES)


def sla_rollup_rebuild(pairs: Iterable[tuple[int, date]]) -> int:
    """Rebuild the SlaDaily rows of each (tenant id, day) from its cycles. Idempotent.
    Returns how many rows were written."""
    written = 0
    for tenant_id, day in sorted(set(pairs)):
        start, end = day_bounds(day)
        counts: dict[tuple, list] = {}
        cycles = SlaCycle.objects.filter(
            tenant_id=tenant_id, ended_at__gte=start, ended_at__lt=end
        ).values_list(
            "plan_id",
            "priority",
            "category",
            "group_id",
            "owner_id",
            "metric",
            "met",
            "elapsed_seconds",
        )
        for plan_id, priority, category, group_id, owner_id, metric, met, elapsed in cycles:
            key = (plan_id, priority, category, group_id, owner_id, metric)
            entry = counts.setdefault(key, [0, 0, [0] * (len(ELAPSED_BUCKETS_MINUTES) + 1)])
            entry[0 if met else 1] += 1
            entry[2][_bucket(elapsed)] += 1
        with transaction.atomic():
            SlaDaily.objects.filter(tenant_id=tenant_id, day=day).delete()
            SlaDaily.objects.bulk_create(
                SlaDaily(
                    day=day,
                    tenant_id=tenant_id,
                    plan_id=key[0],
                    priority=key[1],
                    category=key[2],
                    group_id=key[3],
                    owner_id=key[4],
                    metric=key[5],
                    met=met,
                    breached=breached,
                    elapsed_histogram=histogram,
                )
                for key, (met, breached, histogram) in counts.items()
            )
        written += len(counts)
    sla_totals_rebuild({day for _, day in pairs})
    return written


TOTAL_DIMENSIONS = ("plan", "tenant", "priority", "category", "group", "owner", "all")


def sla_totals_rebuild(days: Iterable[date]) -> int:
    """Rebuild the desk-wide SlaDailyTotal rows of each day from its SlaDaily rows (one
    read, one delete, one insert per day), then the month rows of the months among them
    that are over. Returns day rows written."""
    written = 0
    size = len(ELAPSED_BUCKETS_MINUTES) + 1
    days = sorted(set(days))
    for day in days:
        totals: dict[tuple[str, str, str], list] = {}
        rows = SlaDaily.objects.filter(day=day).values_list(
            "plan_id",
            "tenant_id",
            "priority",
            "category",
            "group_id",
            "owner_id",
            "metric",
            "met",
            "breached",
            "elapsed_histogram",
        )
        for *values, metric, met, breached, histogram in rows:
            keys = [*values, ""]
            for dimension, key in zip(TOTAL_DIMENSIONS, keys, strict=True):
                entry = totals.setdefault(
                    (dimension, "" if key is None else str(key), metric), [0, 0, [0] * size]
                )
                entry[0] += met
                entry[1] += breached
                for index, count in enumerate(histogram[:size]):
                    entry[2][index] += count
        _replace_totals(day, TotalSpan.DAY, totals)
        written += len(totals)
    today = report_day(timezone.now())
    for month in sorted({first_of_month(day) for day in days}):
        if month_end(month) < today:
            sla_month_totals_rebuild(month)
    return written


def _replace_totals(day: date, span: str, totals: dict[tuple[str, str, str], list]) -> None:
    with transaction.atomic():
        SlaDailyTotal.objects.filter(day=day, span=span).delete()
        SlaDailyTotal.objects.bulk_create(
            SlaDailyTotal(
                day=day,
                span=span,
                dimension=dimension,
                key=key,
                metric=metric,
                met=met,
                breached=breached,
                elapsed_histogram=histogram,
            )
            for (dimension, key, metric), (met, breached, histogram) in totals.items()
        )


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    """The last day of `month` (given by its first day)."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def sla_month_totals_rebuild(month: date) -> int:
    """Rebuild the month rows of a month that is over (`month` is its first day) from its
    day rows: one read, one delete, one insert. Returns rows written."""
    size = len(ELAPSED_BUCKETS_MINUTES) + 1
    totals: dict[tuple[str, str, str], list] = {}
    rows = SlaDailyTotal.objects.filter(
        span=TotalSpan.DAY, day__gte=month, day__lte=month_end(month)
    ).values_list("dimension", "key", "metric", "met", "breached", "elapsed_histogram")
    for dimension, key, metric, met, breached, histogram in rows.iterator(chunk_size=5000):
        entry = totals.setdefault((dimension, key, metric), [0, 0, [0] * size])
        entry[0] += met
        entry[1] += breached
        for index, count in enumerate(histogram[:size]):
            entry[2][index] += count
    _replace_totals(month, TotalSpan.MONTH, totals)
    return len(totals)


def sla_month_totals_catch_up(*, now: datetime, limit: int = 3) -> int:
    """Build the month rows of finished months that have day rows but no month rows yet
    (the month that just ended, or months rolled up before month rows existed), at most
    `limit` months a run. Returns months built."""
    this_month = first_of_month(report_day(now))
    day_months = {
        first_of_month(day)
        for day in SlaDailyTotal.objects.filter(span=TotalSpan.DAY, day__lt=this_month)
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    }
    built = set(
        SlaDailyTotal.objects.filter(span=TotalSpan.MONTH)
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )
    missing = sorted(day_months - built, reverse=True)[:limit]
    for month in missing:
        sla_month_totals_rebuild(month)
    return len(missing)


def case_daily_rebuild(day: date) -> int:
    """Rebuild every tenant's CaseDaily row of `day`: received, closed and reopened that
    day, open at its end (a case reopened later counts as closed from its last closure
    on). Four grouped queries, each through an index on the dates. Returns rows written."""
    start, end = day_bounds(day)
    per_tenant: dict[int, Counter] = defaultdict(Counter)
    received = (
        Case.objects.filter(created_at__gte=start, created_at__lt=end)
        .values_list("tenant_id")
        .annotate(n=Count("id"))
    )
    closed = (
        Case.objects.filter(closed_at__gte=start, closed_at__lt=end)
        .values_list("tenant_id")
        .annotate(n=Count("id"))
    )
    reopened = (
        CaseEvent.objects.filter(
            kind=CaseEvent.Kind.REOPENED, created_at__gte=start, created_at__lt=end
        )
        .values_list("case__tenant_id")
        .annotate(n=Count("id"))
    )
    open_at_end = (
        Case.objects.filter(created_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
        .values_list("tenant_id")
        .annotate(n=Count("id"))
    )
    for name, rows in (
        ("received", received),
        ("closed", closed),
        ("reopened", reopened),
        ("open_at_end", open_at_end),
    ):
        for tenant_id, count in rows:
            per_tenant[tenant_id][name] = count
    with transaction.atomic():
        CaseDaily.objects.filter(day=day).delete()
        CaseDaily.objects.bulk_create(
            CaseDaily(day=day, tenant_id=tenant_id, **counts)
            for tenant_id, counts in per_tenant.items()
        )
    return len(per_tenant)


def sla_rollups_refresh(
    *, now: datetime | None = None, lookback: timedelta = timedelta(hours=1)
) -> int:
    """Beat: rebuild the SLA rollups of the tenant-days that got cycles in the last
    `lookback` (catching up any rebuild a crash skipped) and the case counts of today and
    yesterday. Idempotent. Returns the SlaDaily rows written."""
    now = now or timezone.now()
    recorded = SlaCycle.objects.filter(recorded_at__gte=now - lookback).values_list(
        "tenant_id", "ended_at"
    )
    pairs = {(tenant_id, report_day(ended)) for tenant_id, ended in recorded}
    today = report_day(now)
    case_daily_rebuild(today - timedelta(days=1))
    case_daily_rebuild(today)
    written = sla_rollup_rebuild(pairs)
    sla_month_totals_catch_up(now=now)
    return written


def sla_cycles_backfill(*, batch: int = 500, now: datetime | None = None) -> int:
    """Record the cycles of every case's timeline (cases that ended cycles before cycles
    were recorded) and rebuild the rollups of the days they fell on. Safe to rerun: what
    is recorded stays. Returns how many cycles the timelines hold."""
    from cases.services.clocks import cases_cycle_inputs

    now = now or timezone.now()
    total, last_id = 0, 0
    pairs: set[tuple[int, date]] = set()
    while True:
        ids = list(
            Case.objects.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:batch]
        )
        if not ids:
            break
        last_id = ids[-1]
        with transaction.atomic():
            inputs = cases_cycle_inputs(ids)
            rows: list[SlaCycle] = []
            for case, events, policies in inputs:
                rows += case_cycle_rows(case, events, policies, now)
            SlaCycle.objects.bulk_create(rows, ignore_conflicts=True)
        total += len(rows)
        pairs |= {(row.tenant_id, report_day(row.ended_at)) for row in rows}
    sla_rollup_rebuild(pairs)
    days = sorted({day for _, day in pairs})
    for offset in range((days[-1] - days[0]).days + 1 if days else 0):
        case_daily_rebuild(days[0] + timedelta(days=offset))
    return total
