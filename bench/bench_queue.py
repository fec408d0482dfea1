"""Server time of the staff queue pages on PostgreSQL with a realistic desk.

Run: .venv/bin/python bench/bench_queue.py [--cases 100000] [--tenants 200] [--repeats 40]
                                           [--explain] [--keep]
     .venv/bin/python bench/bench_queue.py --depth 500 [--repeats 20]
         (BENCH_DATABASE_URL naming a database bench/generate.py filled; nothing is
         created or dropped): the queue's first page against page 500, reached by the old
         `?p=500` (OFFSET) and by following Next (keyset cursors), in each order offered.

Creates its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/sd_queue_bench), migrates it, loads the cases with
bulk_create, and drops it again at the end (unless --keep). About 20% of the cases are
open, as on a desk that has run for a year; every case has a timeline.

Each page is requested through Django's test client as a signed-in support engineer;
the figure is the time from request to rendered response inside the process (no
network), after a few warm-up requests. Prints the median and the 95th percentile over
the repeats, and the queries per request. --explain prints PostgreSQL's plan for the
largest queries of each page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Run as a plain script from anywhere: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sd_queue_bench"
BATCH = 5000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--explain", action="store_true", help="print query plans")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--depth",
        type=int,
        default=0,
        help="on an existing bench/generate.py database: page 1 against this page",
    )
    return parser.parse_args()


def admin_database(url: str, statement: str) -> None:
    """Run CREATE/DROP DATABASE through the server's maintenance database."""
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(statement)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"
    os.environ["HTTPS"] = "false"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    import django

    django.setup()
    from django.test.utils import override_settings

    # Production serves collected static files; the benchmark renders without collecting.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()


def load(args: argparse.Namespace) -> dict:
    """The desk: plans, tenants, contacts, staff, known issues, cases with timelines."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from cases.models import (
        Case,
        CaseEvent,
        Channel,
        CloseReason,
        Comment,
        EnvironmentAccess,
        State,
    )
    from knowledge.models import KnownIssue
    from sla.models import Calendar
    from tenants.models import AuthorizedContact, PlanPriority, SupportPlan, Tenant
    from tenants.roles import Role
    from tenants.services import DEFAULT_CATEGORIES, plan_categories_offer

    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    user_model = get_user_model()

    calendar = Calendar.objects.create(name="Office", time_zone="America/New_York")
    plans = []
    for name in ("Standard", "High Priority", "Business Critical", "Premier"):
        plan = SupportPlan.objects.create(name=name, calendar=calendar)
        plan_categories_offer(plan_id=plan.id)
        PlanPriority.objects.bulk_create(
            PlanPriority(
                plan=plan,
                code=f"P{rank}",
                name=label,
                rank=rank,
                definition=label,
                initial_response=response,
                update_interval="2bd",
            )
            for rank, label, response in [
                (1, "Critical", "1h"),
                (2, "High", "4h"),
                (3, "Normal", "nbd"),
                (4, "Low", "2bd"),
            ]
        )
        plans.append(plan)
    tenants = Tenant.objects.bulk_create(
        Tenant(name=f"Customer {i:03d}", reference_prefix=f"T{i:03d}", plan=plans[i % len(plans)])
        for i in range(args.tenants)
    )

    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    staff = user_model.objects.bulk_create(
        user_model(
            username=f"engineer{i}@support.bench",
            email=f"engineer{i}@support.bench",
            first_name="Engineer",
            last_name=f"{i:02d}",
            is_staff=True,
        )
        for i in range(30)
    )
    for person in staff:
        person.groups.add(groups[Role.ENGINEER])
    lead = user_model.objects.create(username="lead@support.bench", is_staff=True)
    lead.groups.add(groups[Role.TRIAGE_LEAD])
    manager = user_model.objects.create(username="manager@support.bench", is_staff=True)
    manager.groups.add(groups[Role.MANAGER])

    contacts = user_model.objects.bulk_create(
        user_model(
            username=f"contact{i}@{tenant.reference_prefix.lower()}.bench",
            email=f"contact{i}@{tenant.reference_prefix.lower()}.bench",
        )
        for tenant in tenants
        for i in range(2)
    )
    AuthorizedContact.objects.bulk_create(
        AuthorizedContact(tenant=tenants[n // 2], user=user, certification="Certified")
        for n, user in enumerate(contacts)
    )
    issues = KnownIssue.objects.bulk_create(
        KnownIssue(title=f"Known defect {i}", public_summary="Symptoms and workaround.")
        for i in range(40)
    )

    steps = "1. Sign in\n2. Open the page\n3. Click Export"
    words = [
        "export",
        "invoice",
        "login",
        "timeout",
        "dashboard",
        "report",
        "sync",
        "webhook",
        "api",
        "sso",
        "billing",
        "upload",
        "search",
        "slow",
        "error",
        "crash",
        "permission",
        "email",
        "calendar",
        "mobile",
    ]
    open_states = [
        (State.NEW, 0.05),
        (State.IN_PROGRESS, 0.08),
        (State.AWAITING_INFORMATION, 0.04),
        (State.SOLUTION_PROPOSED, 0.03),
    ]
    numbers = dict.fromkeys((t.id for t in tenants), 0)
    reporter_of = {tenant.id: contacts[i * 2] for i, tenant in enumerate(tenants)}
    # Receipt times spread over a year: let bulk_create keep the ones we give.
    Case._meta.get_field("created_at").auto_now_add = False
    started = time.perf_counter()
    made = 0
    while made < args.cases:
        batch = []
        for _ in range(min(BATCH, args.cases - made)):
            tenant = rng.choice(tenants)
            numbers[tenant.id] += 1
            number = numbers[tenant.id]
            created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            roll, state = rng.random(), State.CLOSED
            for candidate, share in open_states:
                if roll < share:
                    state = candidate
                    break
                roll -= share
            priority = rng.choices(["P1", "P2", "P3", "P4"], [5, 20, 50, 25])[0]
            clocked = rng.random() < 0.8
            due = created + timedelta(hours=rng.choice([1, 4, 8, 24, 48]))
            responded = (
                None
                if state == State.NEW
                else created + timedelta(minutes=rng.randrange(1, 60 * 30))
            )
            case = Case(
                tenant=tenant,
                number=number,
                reference=f"{tenant.reference_prefix}-{number:05d}",
                summary=" ".join(rng.sample(words, 5)).capitalize(),
                description="The customer describes what happens. " * 5,
                steps_to_reproduce=steps if rng.random() < 0.7 else "",
                category=rng.choice(list(DEFAULT_CATEGORIES)),
                priority=priority,
                priority_rank=int(priority[1:]),  # the plans above rank P<n> as n
                business_impact=rng.randint(1, 4),
                environment=rng.choices([1, 2, 3], [70, 15, 15])[0],
                environment_access=EnvironmentAccess.GRANTED,
                channel=rng.choice(Channel.values),
                state=state,
                reporter=reporter_of[tenant.id],
                owner=None if state == State.NEW else rng.choice(staff),
                known_issue=rng.choice(issues) if rng.random() < 0.03 else None,
                initial_response_due=due if clocked else None,
                first_responded_at=responded,
                next_due_at=(
                    now + timedelta(minutes=rng.randrange(-3 * 24 * 60, 5 * 24 * 60))
                    if clocked and state in (State.NEW, State.IN_PROGRESS)
                    else None
                ),
                close_reason=CloseReason.RESOLVED if state == State.CLOSED else "",
                closed_at=created + timedelta(days=rng.randint(1, 20))
                if state == State.CLOSED
                else None,
            )
            batch.append((case, created))
        for case, created in batch:
            case.created_at = created
        cases = Case.objects.bulk_create([case for case, _ in batch], batch_size=BATCH)
        comments = Comment.objects.bulk_create(
            [
                Comment(
                    case=case,
                    author=case.owner,
                    body="We are looking into this and will update you shortly.",
                    by_staff=True,
                )
                for case in cases
                if case.owner_id
            ],
            batch_size=BATCH,
        )
        comment_of = {comment.case_id: comment for comment in comments}
        events = []
        for case in cases:
            events.append(CaseEvent(case=case, actor=case.reporter, kind="created"))
            if case.owner_id:
                events.append(CaseEvent(case=case, actor=case.owner, kind="owner_changed"))
                events.append(
                    CaseEvent(
                        case=case,
                        actor=case.owner,
                        kind="commented",
                        comment=comment_of[case.id],
                    )
                )
            if case.state == State.CLOSED:
                events.append(CaseEvent(case=case, actor=case.owner, kind="closed"))
        CaseEvent.objects.bulk_create(events, batch_size=BATCH)
        made += len(cases)
        print(f"\r  {made:,} cases", end="", flush=True)
    for tenant in tenants:
        tenant.last_case_number = numbers[tenant.id]
    Tenant.objects.bulk_update(tenants, ["last_case_number"])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f" loaded in {time.perf_counter() - started:.0f} s")

    sample = Case.objects.filter(state=State.IN_PROGRESS, tenant=tenants[7]).order_by("id").first()
    return {
        "engineer": staff[0],
        "lead": lead,
        "manager": manager,
        "tenant": tenants[7],
        "case": sample,
    }


def measure(client: object, url: str, repeats: int) -> tuple[float, float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Read now: the next request resets the connection's query log.
    query_count = len(queries.captured_queries)
    timings, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    assert response.status_code == 200, url
    p95 = statistics.quantiles(timings, n=20)[18]
    size = len(response.content)
    return statistics.median(timings), p95, statistics.median(cpu), query_count, size


def explain(client: object, url: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    slowest = sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:2]
    for query in slowest:
        print(f"\n--- {url}  ({float(query['time']) * 1000:.1f} ms)\n{query['sql'][:400]}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            for (line,) in cursor.fetchall():
                print("   ", line)


def slowest_query_ms(client: object, url: str, runs: int = 5) -> float:
    """PostgreSQL's own time for the query of the page's rows (EXPLAIN ANALYZE, median of
    `runs`): the part of the page that OFFSET makes grow with depth."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # The page's rows: the longest query that reads cases in an order (the joins of the
    # columns make it the longest; timing the queries here would pick noise).
    slowest = max(
        (
            q["sql"]
            for q in queries.captured_queries
            if "ORDER BY" in q["sql"] and not q["sql"].startswith("EXPLAIN")
        ),
        key=len,
    )
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + slowest)
            times.append(float(cursor.fetchone()[0][0]["Execution Time"]))
    return statistics.median(times)


def depth(args: argparse.Namespace, url: str) -> None:
    """Page 1 against page `args.depth` of the queue in each offered order, by OFFSET
    (`?p=`) and by cursor (the Next link followed that many times)."""
    setup_django(url)
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib import admin
    from django.contrib.admin.options import IncorrectLookupParameters
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.urls import reverse

    from cases.models import Case
    from supportdesk.keyset import encode_cursor, order_keys, row_values
    from tenants.roles import Role, has_role

    engineer = next(
        user
        for user in get_user_model().objects.filter(is_staff=True, is_active=True).order_by("id")
        if has_role(user, Role.ENGINEER)
    )
    if not Authenticator.objects.filter(user=engineer, type=Authenticator.Type.TOTP).exists():
        # Staff must have a second step (tenants/mfa.py), as bench/bench_pages.py gives them.
        TOTP.activate(engineer, generate_totp_secret())
    client = Client()
    client.force_login(engineer)
    queue = reverse("admin:cases_case_changelist")
    case_admin = admin.site._registry[Case]
    from cases import services
    from cases.models import SavedQueueView

    views = {}
    for order in (SavedQueueView.Order.TIME_LEFT, SavedQueueView.Order.NEWEST):
        view = SavedQueueView.objects.filter(owner=engineer, name=f"bench {order}").first()
        views[order] = view or services.saved_view_create(
            actor=engineer, name=f"bench {order}", order=order
        )
    # o= counts the change list's columns: 0 is the checkbox, 6 time left, 9 received.
    orders = [
        ("contract order", "state=open"),
        ("contract order, closed included", "state=all"),
        ("time left (column), closed incl.", "state=all&o=6"),
        ("received (column, newest), all", "state=all&o=-9"),
        (
            "view: least time left, all",
            f"state=all&_view={views[SavedQueueView.Order.TIME_LEFT].id}",
        ),
        ("view: newest first, all", f"state=all&_view={views[SavedQueueView.Order.NEWEST].id}"),
    ]
    print(
        f"PostgreSQL {connection.cursor().connection.info.server_version}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.repeats} "
        f"requests per page after 3 warm-ups; server time in ms; 'sql' is PostgreSQL's "
        "execution time of the page's rows query (EXPLAIN ANALYZE, median of 5)\n"
    )
    print(f"{'order':32} {'page':18} {'median':>8} {'p95':>8} {'sql':>8} {'queries':>8}")
    for label, query in orders:
        first = f"{queue}?{query}"
        # The cursor page 500's Next link would carry: the last row of page 499 (read
        # through `?p=`, which is quicker than following Next 499 times).
        request = RequestFactory().get(f"{first}&p={args.depth - 1}")
        request.user = engineer
        try:
            before = case_admin.get_changelist_instance(request)
        except IncorrectLookupParameters:
            print(f"{label:32} shorter than {args.depth} pages")
            continue
        keys = order_keys(before.queryset)
        last = list(before.result_list)[-1]
        page = f"{first}&after={encode_cursor(keys, row_values(keys, last))}"
        for name, address in [
            ("1", first),
            (f"{args.depth} (?p=, OFFSET)", f"{first}&p={args.depth}"),
            (f"{args.depth} (cursor)", page),
        ]:
            median, p95, _cpu, count, _size = measure(client, address, args.repeats)
            sql = slowest_query_ms(client, address)
            print(f"{label:32} {name:18} {median:8.1f} {p95:8.1f} {sql:8.2f} {count:8d}")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


def main() -> None:
    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if args.depth:
        depth(args, url)
        return
    name = urlsplit(url).path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing to create a database named {name!r}.")
    admin_database(url, f'DROP DATABASE IF EXISTS "{name}"')
    admin_database(url, f'CREATE DATABASE "{name}"')
    try:
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        call_command("migrate", verbosity=0)
        print(f"Loading {args.cases:,} cases over {args.tenants} tenants into {name} …")
        people = load(args)
        case = people["case"]
        queue = reverse("admin:cases_case_changelist")
        pages = [
            ("queue (open cases, first page)", queue),
            ("filtered: P1, unassigned", f"{queue}?priority=P1&owner=unassigned"),
            ("filtered: one tenant", f"{queue}?tenant__id__exact={people['tenant'].id}"),
            ("filtered: my cases, SLA breached", f"{queue}?owner=mine&sla=breached"),
            ("filtered: due within 4 hours", f"{queue}?due_within=4"),
            ("search: a reference", f"{queue}?q={case.reference}"),
            ("search: two words of the summary", f"{queue}?q=timeout+export"),
            ("case page", reverse("admin:cases_case_change", args=[case.id])),
        ]
        client = Client()
        client.force_login(people["engineer"])
        lead = Client()
        lead.force_login(people["lead"])
        manager = Client()
        manager.force_login(people["manager"])
        extra = [
            ("triage (triage lead)", lead, reverse("admin:cases_case_triage")),
            ("dashboard, 30 days (manager)", manager, reverse("admin:cases_case_dashboard")),
            (
                "dashboard, 90 days (manager)",
                manager,
                reverse("admin:cases_case_dashboard") + "?days=90",
            ),
        ]
        print(
            f"\nPostgreSQL {connection.cursor().connection.info.server_version}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
            f"{args.repeats} requests per page after 3 warm-ups. Server time in ms "
            "(wall clock; 'cpu' is this process's own CPU time, without PostgreSQL's)\n"
        )
        print(f"{'page':36} {'median':>8} {'p95':>8} {'cpu':>6} {'queries':>8} {'KiB':>6}")
        for label, who, page in [(label, client, page) for label, page in pages] + extra:
            median, p95, cpu, count, size = measure(who, page, args.repeats)
            print(f"{label:36} {median:8.1f} {p95:8.1f} {cpu:6.1f} {count:8d} {size / 1024:6.0f}")
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
        if args.explain:
            for _, page in pages:
                explain(client, page)
            explain(manager, extra[1][2])
        connection.close()
    finally:
        if not args.keep:
            admin_database(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
