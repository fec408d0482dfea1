"""Server time and query counts of the desk's main pages, API calls and periodic tasks, on
the data set bench/generate.py loaded; then EXPLAIN of every query that read cases.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_hard_bench \\
     .venv/bin/python bench/bench_pages.py [--repeats 20]

Each page is requested in-process through Django's full middleware stack (the test client,
no network), as the staff engineer, the busiest bench tenant's contact, or with that
contact's API token. Prints median and p95 milliseconds and the number of SQL queries of
each, then every distinct plan over cases_case that is a sequential scan (there should be
none). Figures are server time only: no TLS, no network, no browser.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("LOG_LEVEL", "ERROR")
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from cases.models import Case  # noqa: E402
from supportdesk.celery import app as celery_app  # noqa: E402
from tenants.api_tokens import api_token_create  # noqa: E402
from tenants.models import AuthorizedContact  # noqa: E402

ENGINEER = "eng@supportdesk.demo"
PASSWORD = "demo-pass-2026"  # noqa: S105 (the demo data's printed password)
BENCH_PASSWORD = "bench-pass-2026"  # noqa: S105


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(run: Callable[[], object], repeats: int) -> tuple[float, float, int, list[str]]:
    run()  # warm the caches and the connection
    times, queries = [], []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        queries = [q["sql"] for q in captured.captured_queries]
    return statistics.median(times), percentile(times, 0.95), len(queries), queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_THROTTLE_RATES = {"token": "100000/minute", "address": "100000/minute"}
    settings.AXES_ENABLED = False
    # Production serves collected static files; the bench renders without collecting.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    celery_app.conf.broker_url = "memory://"
    celery_app.conf.task_always_eager = False

    busiest = (
        Case.objects.filter(tenant__reference_prefix__startswith="B0")
        .values("tenant_id")
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        raise SystemExit("no bench data: run bench/generate.py first")
    tenant_id, tenant_cases = busiest["tenant_id"], busiest["n"]
    contact = AuthorizedContact.objects.filter(tenant_id=tenant_id).order_by("id").first().user
    open_case = Case.objects.filter(tenant_id=tenant_id).exclude(state="closed").first()
    big_case = (
        Case.objects.filter(tenant_id=tenant_id, state="closed").order_by("-created_at").first()
    )
    staff = Client()
    assert staff.login(username=ENGINEER, password=PASSWORD)
    portal = Client()
    assert portal.login(username=contact.username, password=BENCH_PASSWORD)
    token = api_token_create(actor=contact, name="bench").secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def ok(response: object, expected: tuple[int, ...] = (200,)) -> object:
        if response.status_code not in expected:
            raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")
        return response

    def api_create() -> object:
        return ok(
            api.post(
                "/api/v1/cases/",
                {
                    "tenant": tenant_id,
                    "summary": "Benchmark case",
                    "category": "bug",
                    "priority": "P3",
                    "environment_access": "granted",
                },
                content_type="application/json",
            ),
            (201,),
        )

    pages: dict[str, Callable[[], object]] = {
        "staff queue (admin case list)": lambda: ok(staff.get("/admin/cases/case/")),
        "staff queue filtered (open P1)": lambda: ok(
            staff.get("/admin/cases/case/?state__exact=in_progress&priority__exact=P1")
        ),
        "staff case page": lambda: ok(staff.get(f"/admin/cases/case/{open_case.id}/change/")),
        "portal dashboard": lambda: ok(portal.get("/")),
        "portal case page": lambda: ok(portal.get(f"/cases/{big_case.reference}/")),
        "API case list": lambda: ok(api.get("/api/v1/cases/")),
        "API case create": api_create,
    }
    tasks = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] != "cases.tasks.poll_mailbox"
    }
    for name, dotted in tasks.items():
        pages[f"task {name}"] = import_string(dotted)

    total = Case.objects.count()
    print(
        f"cases: {total:,}; busiest tenant: {tenant_cases:,} cases; repeats: {args.repeats}; "
        f"PostgreSQL {connection.pg_version // 10000}"
    )
    print(f"{'what':44} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
    case_queries: set[str] = set()
    for name, run in pages.items():
        repeats = 1 if name.startswith("task ") else args.repeats
        median, p95, count, queries = measure(run, repeats)
        case_queries |= {
            q for q in queries if '"cases_case"' in q and q.lstrip().startswith("SELECT")
        }
        print(f"{name:44} {median:10.1f} {p95:10.1f} {count:8d}")

    seq_scans = []
    with connection.cursor() as cursor:
        for sql in sorted(case_queries):
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if re.search(r"Seq Scan on cases_case\b(?!\w)", plan):
                seq_scans.append((sql, plan))
    print(f"\nEXPLAIN: {len(case_queries)} distinct queries over cases_case; sequential scans:")
    for sql, plan in seq_scans:
        print(f"- {sql[:300]}\n{plan}\n")
    if not seq_scans:
        print("none")


if __name__ == "__main__":
    main()
