"""Server time and query counts of the desk's main pages, API calls and periodic tasks, on
the data set bench/generate.py loaded; then EXPLAIN of every query that read cases.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_hard_bench \\
     .venv/bin/python bench/bench_pages.py [--repeats 20]

Each page is requested in-process through Django's full middleware stack (the test client,
no network), as the staff engineer, the busiest bench tenant's contact, or with that
contact's API token. Prints median and p95 milliseconds and the number of SQL queries of
each, then every distinct plan over cases_case that is a sequential scan (there should be
none). Figures are server time only: no TLS, no network, no browser.

With --helpdesk it then times django-helpdesk's equivalent pages on the same tickets
(bench/helpdesk: its own virtual environment and database, see bench/helpdesk/README.md) and
prints the two side by side with the ratio helpdesk / SupportDesk.
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


def compare_with_helpdesk(ours: dict[str, tuple[float, int]], ticket_id: int, repeats: int) -> None:
    """Run bench/helpdesk/time_pages.py in django-helpdesk's own virtual environment and print
    its figures beside ours."""
    python = HELPDESK / ".venv" / "bin" / "python"
    print("\ndjango-helpdesk on the same tickets (bench/helpdesk):")
    if not python.exists():
        print("skipped: no bench/helpdesk/.venv; run bench/helpdesk/setup.sh and load.py first")
        return
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hdproject.settings"}
    command = [str(python), str(HELPDESK / "time_pages.py"), "--repeats", str(repeats)]
    done = subprocess.run(  # noqa: S603 (our own script, our own arguments)
        [*command, "--ticket-id", str(ticket_id)], env=env, stdout=subprocess.PIPE, text=True
    )
    if done.returncode != 0:
        print("skipped: its timing failed (above); run bench/helpdesk/setup.sh and load.py first")
        return
    theirs = json.loads(done.stdout)
    pages = theirs["pages"]
    print(
        f"django-helpdesk {theirs['django_helpdesk']}, {theirs['tickets']:,} tickets; "
        "ratio = django-helpdesk / SupportDesk median"
    )
    print(f"{'page':62} {'SupportDesk ms':>14} {'helpdesk ms':>12} {'ratio':>7} {'queries':>9}")

    def ms(value: float | str) -> str:
        return value if isinstance(value, str) else f"{value:.1f}"

    for our_name, their_name, parts in HELPDESK_PAIRS:
        our_ms, our_queries = ours[our_name]
        figures = [pages[f"{their_name} {part}".strip()] for part in parts]
        over = [f["median_ms"] for f in figures if isinstance(f["median_ms"], str)]
        total = over[0] if over else sum(f["median_ms"] for f in figures)
        queries = sum(f["queries"] for f in figures)
        ratio = f">{60000 / our_ms:.0f}" if over else f"{total / our_ms:.1f}"
        label = f"{our_name} ↔ {their_name}" + (" (page + data)" if len(parts) > 1 else "")
        print(f"{label:62} {our_ms:14.1f} {ms(total):>12} {ratio:>7} {our_queries:>4}/{queries:<4}")
        if len(parts) > 1:
            for part, figure in zip(parts, figures, strict=True):
                name = f"  {their_name} {part}"
                print(f"{name:62} {'':14} {ms(figure['median_ms']):>12}")
    print("(queries: SupportDesk / django-helpdesk, per request or page + data)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
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
    open_case = Case.objects.filter(tenant_id=tenant_id).exclude(state="closed").first()
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
        f"cases: {total:,}; busiest tenant: {tenant_cases:,} cases; repeats: {args.repeats}; "
        f"PostgreSQL {connection.pg_version // 10000}"
    )
    print(f"{'what':44} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
    case_queries: set[str] = set()
    medians: dict[str, tuple[float, int]] = {}
    for name, run in pages.items():
        repeats = 1 if name.startswith("task ") else args.repeats
        median, p95, count, queries = measure(run, repeats)
        case_queries |= {
            q for q in queries if '"cases_case"' in q and q.lstrip().startswith("SELECT")
        }
        print(f"{name:44} {median:10.1f} {p95:10.1f} {count:8d}")
        medians[name] = (median, count)

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
        compare_with_helpdesk(medians, open_case.id, args.repeats)


if __name__ == "__main__":
    main()
