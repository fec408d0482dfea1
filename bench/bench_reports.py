"""Server time and query counts of the SLA reports on the bench data set (1M cases).

Run on YOUR OWN copy of the bench database, migrated (this script writes the rollups):
    createdb -h 127.0.0.1 -U postgres -T sd_hard_bench sd_h18_reports_1m
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_h18_reports_1m \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_h18_reports_1m \\
        .venv/bin/python bench/bench_reports.py [--repeats 10] [--sample 2000]

1. Rollups. Recording every cycle of a million old timelines in Python takes hours
   (`manage.py backfill_sla_cycles`), so the script times the backfill on `--sample`
   cases to give its rate, and fills `SlaDaily` for the whole desk in SQL from the cases'
   stored times (initial response: first reply vs due; resolution: closure within five
   days): the same rows, per day, customer, plan, priority, category, group, engineer and
   metric, that recorded cycles would give. `CaseDaily` is rebuilt with the beat's own
   `case_daily_rebuild`, day by day over the last year (its per-day time is printed: it is
   what the beat pays twice every 10 minutes).
2. Reports. Each is requested in-process through the full middleware stack as the
   manager (staff reports, a contract review) and as the busiest tenant's contact (the
   portal's review), over the last 90 days and the last year. Prints median and p95 ms
   and the number of SQL queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("LOG_LEVEL", "ERROR")
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import (  # noqa: E402
    ELAPSED_BUCKETS_MINUTES,
    Case,
    CaseDaily,
    SlaCycle,
    SlaDaily,
    SlaDailyTotal,
)
from cases.services.clocks import cases_cycle_inputs  # noqa: E402
from cases.services.sla_cycles import (  # noqa: E402
    case_cycle_rows,
    case_daily_rebuild,
    report_day,
    sla_totals_rebuild,
)
from tenants.models import AuthorizedContact  # noqa: E402

MANAGER = "manager@supportdesk.demo"
PASSWORD = "demo-pass-2026"  # noqa: S105 (the demo data's printed password)
BENCH_PASSWORD = "bench-pass-2026"  # noqa: S105

_BUCKETS = ", ".join(
    f"SUM(CASE WHEN {{elapsed}} {'<=' if i < len(ELAPSED_BUCKETS_MINUTES) else '>'} "
    f"{ELAPSED_BUCKETS_MINUTES[min(i, len(ELAPSED_BUCKETS_MINUTES) - 1)]}"
    + (
        f" AND {{elapsed}} > {ELAPSED_BUCKETS_MINUTES[i - 1]}"
        if 0 < i < len(ELAPSED_BUCKETS_MINUTES)
        else ""
    )
    + " THEN 1 ELSE 0 END)"
    for i in range(len(ELAPSED_BUCKETS_MINUTES) + 1)
)
_SYNTHESIS = """
INSERT INTO cases_sladaily (day, tenant_id, plan_id, priority, category, group_id, owner_id,
                            metric, met, breached, elapsed_histogram)
SELECT ({end} AT TIME ZONE %(zone)s)::date, c.tenant_id, t.plan_id, c.priority, c.category,
       c.group_id, c.owner_id, %(metric)s,
       SUM(CASE WHEN {met} THEN 1 ELSE 0 END), SUM(CASE WHEN {met} THEN 0 ELSE 1 END),
       jsonb_build_array({buckets})
FROM cases_case c JOIN tenants_tenant t ON t.id = c.tenant_id
WHERE {where}
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def synthesize_rollups() -> None:
    zone = settings.TIME_ZONE
    response_elapsed = "EXTRACT(EPOCH FROM (c.first_responded_at - c.created_at)) / 60"
    resolution_elapsed = "EXTRACT(EPOCH FROM (c.closed_at - c.created_at)) / 60"
    statements = [
        (
            "initial_response",
            _SYNTHESIS.format(
                end="c.first_responded_at",
                met="c.first_responded_at <= c.initial_response_due",
                where="c.first_responded_at IS NOT NULL AND c.initial_response_due IS NOT NULL",
                buckets=_BUCKETS.format(elapsed=response_elapsed),
            ),
        ),
        (
            "resolution",
            _SYNTHESIS.format(
                end="c.closed_at",
                met="c.closed_at <= c.created_at + interval '5 days'",
                where="c.closed_at IS NOT NULL AND c.close_reason = 'resolved'",
                buckets=_BUCKETS.format(elapsed=resolution_elapsed),
            ),
        ),
    ]
    with connection.cursor() as cursor:
        for metric, sql in statements:
            started = time.perf_counter()
            cursor.execute(sql, {"zone": zone, "metric": metric})
            print(
                f"  SlaDaily {metric}: {cursor.rowcount} rows "
                f"in {time.perf_counter() - started:.1f} s"
            )
        cursor.execute("ANALYZE cases_sladaily")


def time_backfill(sample: int) -> None:
    now = timezone.now()
    ids = list(Case.objects.order_by("-id").values_list("id", flat=True)[:sample])
    started = time.perf_counter()
    rows = []
    for start in range(0, len(ids), 500):
        for case, events, policies in cases_cycle_inputs(ids[start : start + 500]):
            rows += case_cycle_rows(case, events, policies, now)
    elapsed = time.perf_counter() - started
    rate = len(ids) / elapsed if elapsed else 0
    print(
        f"  cycle derivation: {len(ids)} cases, {len(rows)} cycles in {elapsed:.1f} s "
        f"({rate:.0f} cases/s; the whole desk would take "
        f"~{Case.objects.count() / max(rate, 1) / 60:.0f} min)"
    )


def rebuild_case_days(days: int, today) -> None:
    timings = []
    for back in range(days):
        started = time.perf_counter()
        case_daily_rebuild(today - timedelta(days=back))
        timings.append(time.perf_counter() - started)
    print(
        f"  CaseDaily: {days} days, median {statistics.median(timings) * 1000:.0f} ms per day "
        f"(max {max(timings) * 1000:.0f} ms)"
    )


def measure(label: str, call, repeats: int) -> None:
    times, queries = [], 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{label}: {response.status_code}")
        queries = len(captured)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"  {label:<58} median {statistics.median(times):7.1f} ms  "
        f"p95 {p95:7.1f} ms  {queries:3d} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the rollups even if present"
    )
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    latest = Case.objects.aggregate(latest=Max("created_at"))["latest"]
    if latest is None:
        raise SystemExit("no bench data: run bench/generate.py first")
    today = report_day(latest)
    print(f"{Case.objects.count()} cases; reports end on {today}")
    print("Rollups:")
    time_backfill(args.sample)
    if args.rebuild or not SlaDaily.objects.exists():
        SlaDaily.objects.all().delete()
        synthesize_rollups()
    if args.rebuild or not SlaDailyTotal.objects.exists():
        started = time.perf_counter()
        days = list(SlaDaily.objects.order_by().values_list("day", flat=True).distinct())
        written = sla_totals_rebuild(days)
        per_day = (time.perf_counter() - started) / max(len(days), 1) * 1000
        print(f"  SlaDailyTotal: {written} rows, {per_day:.0f} ms per day rebuilt")
    if args.rebuild or not CaseDaily.objects.exists():
        rebuild_case_days(365, today)
    print(
        f"  {SlaDaily.objects.count()} SlaDaily rows, {CaseDaily.objects.count()} CaseDaily rows, "
        f"{SlaCycle.objects.count()} recorded cycles"
    )

    manager = get_user_model().objects.get(username=MANAGER)
    if not Authenticator.objects.filter(user=manager, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(manager, generate_totp_secret())
    staff = Client()
    assert staff.login(username=MANAGER, password=PASSWORD)
    busiest = (
        Case.objects.filter(tenant__reference_prefix__startswith="B0")
        .values("tenant_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    tenant_id = busiest["tenant_id"]
    contact = AuthorizedContact.objects.filter(tenant_id=tenant_id).order_by("id").first().user
    portal = Client()
    assert portal.login(username=contact.username, password=BENCH_PASSWORD)
    review = f"/admin/cases/case/reports/contract-review/{tenant_id}/"
    for days in (90, 365):
        query = f"start={today - timedelta(days=days - 1)}&end={today}"
        print(f"Reports over {days} days ({busiest['n']} cases of the busiest tenant):")
        for by in ("plan", "tenant", "owner"):
            measure(
                f"staff reports page, by {by}",
                lambda by=by, query=query: staff.get(f"/admin/cases/case/reports/?{query}&by={by}"),
                args.repeats,
            )
        for name in ("compliance", "trend", "backlog", "distributions", "csat", "comments"):
            measure(
                f"staff CSV {name}",
                lambda name=name, query=query: staff.get(
                    f"/admin/cases/case/reports/?{query}&by=tenant&export={name}"
                ),
                args.repeats,
            )
        measure(
            "staff contract review",
            lambda query=query: staff.get(f"{review}?{query}"),
            args.repeats,
        )
        measure(
            "portal contract review (contact)",
            lambda query=query: portal.get(f"/contract-review/?{query}"),
            args.repeats,
        )


if __name__ == "__main__":
    main()
