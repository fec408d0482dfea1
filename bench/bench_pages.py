"""Server time and query counts of the desk's main pages, API calls and periodic tasks, on
the data set bench/generate.py loaded; then EXPLAIN of every query that read cases.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_hard_bench \\
     .venv/bin/python bench/bench_pages.py [--repeats 20]

Each page is requested in-process through Django's full middleware stack (the test client,
no network), as the staff engineer, the busiest bench tenant's contact, or with that
contact's API token. Prints median and p95 milliseconds and the number of SQL queries of
each, then every distinct plan over cases_case that is a sequential scan (there should be
none). Figures are server time only: no TLS, no network, no browser.

The staff case page is a FIXED case present on both sides: the lowest-id open (new, in
progress, awaiting information) case of the busiest bench tenant, a generated case that
bench/helpdesk/load.py copied as the ticket with the same id (the API-create step only adds
higher ids). The load average is printed before and after each run; --runs N repeats the whole
timing and prints per page the median of the runs' medians and their range (min–max).

With --helpdesk it times django-helpdesk's equivalent pages on the same tickets after each run
(bench/helpdesk: its own virtual environment and database, see bench/helpdesk/README.md;
time_pages.py refuses if the fixed case's ticket is missing) and prints the two side by side:
medians of medians, their ranges, and the ratio helpdesk / SupportDesk.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from cases.models import Case  # noqa: E402
from cases.presence import presence_touch  # noqa: E402
from supportdesk.celery import app as celery_app  # noqa: E402
from tenants.models import AuthorizedContact  # noqa: E402
from tenants.services import api_token_create  # noqa: E402

ENGINEER = "eng@supportdesk.demo"
TRIAGE_LEAD = "lead@supportdesk.demo"
CSM = "csm@supportdesk.demo"
MANAGER = "manager@supportdesk.demo"
PASSWORD = "demo-pass-2026"  # noqa: S105 (the demo data's printed password)
BENCH_PASSWORD = "bench-pass-2026"  # noqa: S105
HELPDESK = Path(__file__).resolve().parent / "helpdesk"
# States load.py maps to helpdesk's OPEN status, so the timed case is open on both sides.
OPEN_ON_BOTH_SIDES = ["new", "in_progress", "awaiting_information"]
# SupportDesk's page ↔ django-helpdesk's: the queue ↔ the ticket list, whose rows come from a
# second request its DataTables script makes (the two are summed, and each shown).
HELPDESK_PAIRS = [
    ("staff queue (admin case list)", "ticket list", ["(page)", "(data request)"]),
    ("staff queue filtered (in progress, P1)", "filtered list", ["(page)", "(data request)"]),
    ("staff case page", "ticket view", [""]),
]


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


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def span(figures: list[float]) -> str:
    """The median of the runs' medians and their range (min–max)."""
    if len(figures) == 1:
        return f"{figures[0]:.1f}"
    return f"{statistics.median(figures):.1f} ({min(figures):.1f}–{max(figures):.1f})"


def time_helpdesk(ticket_id: int, repeats: int) -> dict | None:
    """One run of bench/helpdesk/time_pages.py in django-helpdesk's own virtual environment,
    on the same ticket as ours (it refuses if load.py did not copy it)."""
    python = HELPDESK / ".venv" / "bin" / "python"
    if not python.exists():
        print("django-helpdesk skipped: no bench/helpdesk/.venv; run setup.sh and load.py first")
        return None
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hdproject.settings"}
    command = [str(python), str(HELPDESK / "time_pages.py"), "--repeats", str(repeats)]
    print(f"django-helpdesk run: load average before {load_average()}", flush=True)
    done = subprocess.run(  # noqa: S603 (our own script, our own arguments)
        [*command, "--ticket-id", str(ticket_id)], env=env, stdout=subprocess.PIPE, text=True
    )
    print(f"django-helpdesk run: load average after {load_average()}", flush=True)
    if done.returncode != 0:
        print("django-helpdesk skipped: its timing failed (above); run setup.sh and load.py first")
        return None
    return json.loads(done.stdout)


def compare_with_helpdesk(
    ours: dict[str, list[float]], queries: dict[str, int], theirs_runs: list[dict]
) -> None:
    """Print django-helpdesk's figures beside ours: per page the median of the runs' medians
    and their range, and the ratio of the two medians of medians."""
    print("\ndjango-helpdesk on the same tickets (bench/helpdesk):")
    if not theirs_runs:
        print("skipped (above)")
        return
    first = theirs_runs[0]
    print(
        f"django-helpdesk {first['django_helpdesk']}, {first['tickets']:,} tickets, ticket "
        f"{first['ticket_id']}; {len(theirs_runs)} run(s); ms = median of the runs' medians "
        "(range); ratio = django-helpdesk / SupportDesk"
    )
    print(f"{'page':62} {'SupportDesk ms':>22} {'helpdesk ms':>26} {'ratio':>7} {'queries':>9}")
    for our_name, their_name, parts in HELPDESK_PAIRS:
        names = [f"{their_name} {part}".strip() for part in parts]
        late = any(run["pages"][n].get("timed_out") for run in theirs_runs for n in names)
        # Per run, page + data request summed (a timed-out request counts its 60 s).
        totals = [sum(run["pages"][n]["medians_ms"][-1] for n in names) for run in theirs_runs]
        our = statistics.median(ours[our_name])
        ratio = statistics.median(totals) / our
        their_queries = sum(theirs_runs[-1]["pages"][n]["queries"] for n in names)
        label = f"{our_name} ↔ {their_name}" + (" (page + data)" if len(parts) > 1 else "")
        shown = ("≥" if late else "") + span(totals)
        print(
            f"{label:62} {span(ours[our_name]):>22} {shown:>26} {ratio:7.1f} "
            f"{queries[our_name]:>4}/{their_queries:<4}"
        )
        if len(parts) > 1:
            for part, name in zip(parts, names, strict=True):
                figures = [run["pages"][name]["medians_ms"][-1] for run in theirs_runs]
                print(f"{'  ' + their_name + ' ' + part:62} {'':>22} {span(figures):>26}")
    print("(queries: SupportDesk / django-helpdesk, per request or page + data;")
    print(" ≥: a helpdesk request ran into the 60 s guard and counts 60 s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="repeat the whole timing N times; prints per page the range of the runs' medians "
        "and their median (with --helpdesk, helpdesk is timed after each of our runs)",
    )
    parser.add_argument(
        "--helpdesk",
        action="store_true",
        help="then time django-helpdesk on the same tickets (bench/helpdesk) side by side",
    )
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
    # A FIXED case present on both sides (issue 19): the lowest-id open case of the busiest
    # tenant is a generated one (the API-create step below only adds higher ids), and
    # bench/helpdesk/load.py copied it as the ticket with the same id.
    open_case = (
        Case.objects.filter(tenant_id=tenant_id, state__in=OPEN_ON_BOTH_SIDES)
        .order_by("id")
        .first()
    )
    if open_case is None:
        raise SystemExit("the busiest tenant has no open case: run bench/generate.py first")
    big_case = (
        Case.objects.filter(tenant_id=tenant_id, state="closed").order_by("-created_at").first()
    )
    staff_users = {}
    for username in (ENGINEER, TRIAGE_LEAD, CSM, MANAGER):
        user = get_user_model().objects.get(username=username)
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            # Staff must have a second step (tenants/mfa.py): the demo staff get one.
            TOTP.activate(user, generate_totp_secret())
        staff_users[username] = user
    engineer = staff_users[ENGINEER]

    def staff_client(username: str) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    staff = staff_client(ENGINEER)
    lead, csm, manager = (staff_client(name) for name in (TRIAGE_LEAD, CSM, MANAGER))
    # The engineer owns a few open cases, so "my open cases" on the home page has rows.
    Case.objects.filter(
        pk__in=Case.objects.filter(tenant_id=tenant_id, state="in_progress").values("pk")[:25]
    ).update(owner=engineer)
    # A colleague is on the open case's page and typing, so the case page shows presence.
    presence_touch(open_case, staff_users[TRIAGE_LEAD], typing=True)
    closed_reference = big_case.reference
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

    def since(days: int) -> str:
        return (timezone.localdate() - timedelta(days=days - 1)).isoformat()

    pages: dict[str, Callable[[], object]] = {
        "staff queue (admin case list)": lambda: ok(staff.get("/admin/cases/case/")),
        "staff queue filtered (in progress, P1)": lambda: ok(
            staff.get("/admin/cases/case/?state=in_progress&priority=P1")
        ),
        "staff queue, closed included": lambda: ok(staff.get("/admin/cases/case/?state=all")),
        "staff queue sorted by time received": lambda: ok(staff.get("/admin/cases/case/?o=-11")),
        "staff queue search (one word)": lambda: ok(staff.get("/admin/cases/case/?q=timeout")),
        "staff case page": lambda: ok(staff.get(f"/admin/cases/case/{open_case.id}/change/")),
        "staff case page presence poll": lambda: ok(
            staff.get(f"/admin/cases/case/{open_case.id}/presence/?version={open_case.version}")
        ),
        "staff home (engineer)": lambda: ok(staff.get("/admin/")),
        "staff home (triage lead)": lambda: ok(lead.get("/admin/")),
        "staff home (CSM)": lambda: ok(csm.get("/admin/")),
        "staff home (manager)": lambda: ok(manager.get("/admin/")),
        "staff search, a closed case's reference": lambda: ok(
            staff.get(f"/admin/cases/case/?q={closed_reference}")
        ),
        "staff search, a contact's email": lambda: ok(
            staff.get(f"/admin/cases/case/?q={contact.email}")
        ),
        "staff triage (new, unassigned)": lambda: ok(lead.get("/admin/cases/case/triage/")),
        **{
            f"manager dashboard, {days} days": (
                lambda days=days: ok(manager.get(f"/admin/cases/case/dashboard/?days={days}"))
            )
            for days in (7, 30, 90, 365)
        },
        **{
            f"SLA report by customer, {days} days": (
                lambda days=days: ok(
                    manager.get(f"/admin/cases/case/reports/?by=tenant&start={since(days)}")
                )
            )
            for days in (90, 365)
        },
        "portal dashboard": lambda: ok(portal.get("/")),
        "portal closed cases": lambda: ok(portal.get("/?view=closed")),
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
        f"cases: {total:,}; busiest tenant: {tenant_cases:,} cases; case page: {open_case.id} "
        f"({open_case.reference}); repeats: {args.repeats}; runs: {args.runs}; "
        f"PostgreSQL {connection.pg_version // 10000}"
    )
    case_queries: set[str] = set()
    medians: dict[str, list[float]] = {name: [] for name in pages}
    query_counts: dict[str, int] = {}
    theirs_runs: list[dict] = []
    for run_number in range(1, args.runs + 1):
        print(f"\n== run {run_number}/{args.runs}: load average before {load_average()}")
        print(f"{'what':44} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
        for name, run in pages.items():
            repeats = 1 if name.startswith("task ") else args.repeats
            median, p95, count, queries = measure(run, repeats)
            case_queries |= {
                q for q in queries if '"cases_case"' in q and q.lstrip().startswith("SELECT")
            }
            print(f"{name:44} {median:10.1f} {p95:10.1f} {count:8d}", flush=True)
            medians[name].append(median)
            query_counts[name] = count
        print(f"== run {run_number}/{args.runs}: load average after {load_average()}")
        if args.helpdesk:
            theirs = time_helpdesk(open_case.id, args.repeats)
            if theirs is not None:
                theirs_runs.append(theirs)
    if args.runs > 1:
        print(f"\n{args.runs} runs: per page the median of the runs' medians and their range")
        print(f"{'what':44} {'median of medians':>18} {'range (min–max)':>18} {'queries':>8}")
        for name, figures in medians.items():
            spread = f"{min(figures):.1f}–{max(figures):.1f}"
            print(
                f"{name:44} {statistics.median(figures):18.1f} {spread:>18} {query_counts[name]:8d}"
            )

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
    if args.helpdesk:
        compare_with_helpdesk(medians, query_counts, theirs_runs)


if __name__ == "__main__":
    main()
