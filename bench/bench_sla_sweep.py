"""One run of each periodic task over many open cases, few of them due: PostgreSQL.

Run: .venv/bin/python bench/bench_sla_sweep.py [--server URL] [--database NAME]
     [--repeats R] [--keep] [--due 1000,10000,100000 | --scenarios OPEN/DUE,...]

Creates its own database (`sd_sla_bench` on the server, dropped at the end unless
--keep), migrates it, and for each scenario fills it with open cases of which a given
number are due for each task (every other open case has its automation times in the
future, so the partial indexes hold them too). Each task's service is timed on its own;
every run is rolled back, so each repeat finds the same due rows. Prints the median
per task and scenario, then EXPLAIN of each task's selecting query.

The claim it checks: a sweep costs what its due rows cost, whatever the number of open
cases (100k open/1k due ≈ 10k open/1k due; 100k open/10k due ≈ 10× as long).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATABASE = "sd_sla_bench"
SCENARIOS = [(100_000, 1_000), (10_000, 1_000), (100_000, 10_000)]
NOW = datetime(2026, 4, 8, 15, 0, tzinfo=UTC)


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one extra run of each sweep and print it"
    )
    parser.add_argument("--database", default=DATABASE, help="the database to create and drop")
    parser.add_argument(
        "--due",
        help="due rows per task, e.g. 1000,10000,100000: each with max(10k, 7×due) open "
        "cases (six tasks' due rows and idle ones); prints cases/s per sweep",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(f"{o}/{d}" for o, d in SCENARIOS),
        help="open/due pairs, e.g. 100000/1000,10000/1000",
    )
    args = parser.parse_args()
    if args.due:
        scenarios = [(max(10_000, 7 * int(d)), int(d)) for d in args.due.split(",")]
    else:
        scenarios = [tuple(int(n) for n in p.split("/")) for p in args.scenarios.split(",")]
    database = args.database

    import psycopg

    server = args.server
    _admin(psycopg, server, f'DROP DATABASE IF EXISTS "{database}"')
    _admin(psycopg, server, f'CREATE DATABASE "{database}"')
    try:
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(server)._replace(path=f"/{database}"))
        os.environ["SUPPORTDESK_VAR_DIR"] = tempfile.mkdtemp(prefix="sd-bench-")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _run(scenarios, args.repeats, profile=args.profile)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _admin(psycopg, server, f'DROP DATABASE IF EXISTS "{database}"')


def _admin(psycopg: object, server: str, sql: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql)


def _run(scenarios: list[tuple[int, int]], repeats: int, *, profile: bool = False) -> None:
    import time_machine

    from cases.services import automation, clocks

    tasks: dict[str, Callable[[], int]] = {
        "send_sla_alerts": lambda: automation.sla_alerts_send(now=NOW),
        "send_follow_ups": lambda: automation.follow_ups_send(now=NOW),
        "close_unanswered_cases": lambda: automation.unanswered_cases_close(now=NOW),
        "send_solution_reminders": lambda: automation.solution_reminders_send(now=NOW),
        "close_silent_solutions": lambda: automation.silent_solutions_close(now=NOW),
        "refresh_stale_clocks": lambda: clocks.clocks_refresh_stale(now=NOW),
    }
    results: dict[tuple[int, int], dict[str, tuple[float, float, int]]] = {}
    with time_machine.travel(NOW, tick=True):
        for open_count, due in scenarios:
            began = time.perf_counter()
            _fill(open_count, due)
            print(
                f"filled {open_count:,} open cases, {due:,} due per task "
                f"({time.perf_counter() - began:.0f} s)",
                flush=True,
            )
            load_before = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            results[(open_count, due)] = {
                name: _time(task, repeats) for name, task in tasks.items()
            }
            print(f"load average before this scenario's runs: {load_before}")
            _print_table(results)
            _print_rates(results[(open_count, due)], open_count, due)
            if profile:
                for name, task in tasks.items():
                    _profile(name, task)
            if len(results) == 1:
                _explain()


def _time(task: Callable[[], int], repeats: int) -> tuple[float, float, int]:
    """Median wall time and median CPU time of this process (the rest is the database
    and waiting), and the rows handled."""
    from django.db import transaction

    walls, cpus, handled = [], [], 0
    for _ in range(repeats):
        try:
            with transaction.atomic():
                began, began_cpu = time.perf_counter(), time.process_time()
                handled = task()
                walls.append(time.perf_counter() - began)
                cpus.append(time.process_time() - began_cpu)
                raise _Rollback
        except _Rollback:
            pass
    return statistics.median(walls), statistics.median(cpus), handled


def _profile(name: str, task: Callable[[], int]) -> None:
    """One more run of the sweep under cProfile (rolled back): where its time goes."""
    import cProfile
    import io
    import pstats

    from django.db import transaction

    profiler = cProfile.Profile()
    try:
        with transaction.atomic():
            profiler.enable()
            task()
            profiler.disable()
            raise _Rollback
    except _Rollback:
        pass
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)
    print(f"-- profile of {name}\n{out.getvalue()}", flush=True)


def _print_table(results: dict[tuple[int, int], dict[str, tuple[float, float, int]]]) -> None:
    scenarios = list(results)
    header = "".join(f"{f'{o // 1000}k open/{d // 1000}k due':>28}" for o, d in scenarios)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nmedian of one run: wall ms / of which Python CPU ms (rows handled); "
        f"load average after {load}\n{'task':<26}{header}"
    )
    for name in next(iter(results.values())):
        cells = "".join(
            "{:>28}".format(
                f"{results[s][name][0] * 1000:.0f} / {results[s][name][1] * 1000:.0f}"
                f" ({results[s][name][2]:,})"
            )
            for s in scenarios
        )
        print(f"{name:<26}{cells}")
    print(flush=True)


def _print_rates(results: dict[str, tuple[float, float, int]], open_count: int, due: int) -> None:
    """Cases handled per second of wall time, per sweep (median of the repeats)."""
    print(f"cases/s at {due:,} due ({open_count:,} open), median of the repeats:")
    for name, (wall, _cpu, handled) in results.items():
        print(f"  {name:<26}{handled / wall if wall else 0:>10,.0f} cases/s ({handled:,} rows)")
    print(flush=True)


def _fill(open_count: int, due: int) -> None:
    """Replace all cases by `open_count` open ones; `due` of them are due for each task,
    the rest have their automation times in the future."""
    from django.db import connection

    from cases.models import Case, CaseEvent, ContactAttempt, State
    from tenants.models import Tenant

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cases_caseevent, cases_contactattempt, cases_attachment, cases_comment, "
            "cases_case RESTART IDENTITY CASCADE"
        )
    tenant, reporter, engineer = _people()
    Tenant.objects.filter(id=tenant.id).update(last_case_number=open_count)

    past = NOW - timedelta(minutes=5)
    purposes = ["alerts", "follow_up", "auto_close", "reminder", "silence", "stale"]
    plan: list[str] = []
    for purpose in purposes:
        plan += [purpose] * due
    plan += ["idle"] * (open_count - len(plan))
    if len(plan) > open_count:
        raise SystemExit(f"{open_count} open cases cannot hold {due} due for six tasks")

    batch: list[Case] = []
    for number, purpose in enumerate(plan, start=1):
        values: dict[str, object] = {
            "state": State.IN_PROGRESS,
            # Every open case has an alert pending; only the due ones are in the past.
            "next_sla_alert_at": NOW + timedelta(hours=1 + number % 200),
            "sla_alerts": [_alert(NOW + timedelta(hours=1 + number % 200))],
        }
        waiting = {"state": State.AWAITING_INFORMATION, "next_sla_alert_at": None, "sla_alerts": []}
        proposed = {"state": State.SOLUTION_PROPOSED, "next_sla_alert_at": None, "sla_alerts": []}
        if purpose == "alerts":
            values.update(
                next_sla_alert_at=past, sla_alerts=[_alert(past), _alert(NOW + timedelta(days=2))]
            )
        elif purpose == "follow_up":
            values.update(waiting, follow_up_due_at=past)
        elif purpose == "auto_close":
            values.update(waiting, auto_close_at=past)
        elif purpose == "reminder":
            values.update(
                proposed, solution_reminder_at=past, solution_close_at=NOW + timedelta(days=4)
            )
        elif purpose == "silence":
            values.update(proposed, solution_close_at=past)
        elif purpose == "stale":
            values.update(clocks_stale_at=past)
        elif number % 10 == 0:
            # Idle cases waiting on the customer: their follow-ups fall due later.
            values.update(waiting, follow_up_due_at=NOW + timedelta(hours=number % 72 + 1))
        elif number % 10 == 1:
            values.update(
                proposed,
                solution_reminder_at=NOW + timedelta(hours=number % 72 + 1),
                solution_close_at=NOW + timedelta(days=5),
            )
        case = Case(
            tenant=tenant,
            number=number,
            reference=f"BENCH-{number:06d}",
            summary=f"Bench case {number}",
            category="bug",
            priority="P3",
            priority_rank=3,
            environment_access="granted",
            reporter=reporter,
            owner=engineer,
            first_responded_at=NOW - timedelta(days=3),
            next_update_due=NOW + timedelta(days=1 + number % 9),
            next_due_at=NOW + timedelta(days=1 + number % 9),
            **values,
        )
        batch.append(case)
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)

    # Timelines: receipt, the first reply, and the wait on the customer where there is one.
    received = NOW - timedelta(days=4)
    rows = Case.objects.values_list("id", "state", "auto_close_at")
    events: list[CaseEvent] = []
    attempts: list[ContactAttempt] = []
    for case_id, state, auto_close in rows.iterator(chunk_size=5000):
        events.append(
            CaseEvent(case_id=case_id, kind="created", data={"priority": "P3"}, actor=None)
        )
        if state == State.AWAITING_INFORMATION:
            events.append(
                CaseEvent(
                    case_id=case_id,
                    kind="contact_attempt",
                    from_state=State.IN_PROGRESS,
                    to_state=State.AWAITING_INFORMATION,
                    data={"round": 1, "number": 1},
                )
            )
            attempts.append(
                ContactAttempt(case_id=case_id, round=1, number=1, method="request_info")
            )
            if auto_close is not None:
                attempts.append(
                    ContactAttempt(
                        case_id=case_id, round=1, number=2, method="follow_up", closure_date=past
                    )
                )
        if len(events) >= 10000:
            CaseEvent.objects.bulk_create(events)
            events = []
    CaseEvent.objects.bulk_create(events)
    ContactAttempt.objects.bulk_create(attempts, batch_size=10000)
    CaseEvent.objects.filter(kind="created").update(created_at=received)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _alert(at: datetime) -> dict[str, str]:
    due = (at + timedelta(hours=2)).isoformat()
    return {
        "at": at.isoformat(),
        "kind": "sla_at_risk",
        "metric": "next_update",
        "due": due,
        "due_text": due,
    }


def _people() -> tuple:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from sla.models import Calendar
    from tenants.models import AuthorizedContact, PlanPriority, SupportPlan, Tenant
    from tenants.roles import Role
    from tenants.services import plan_categories_offer

    users = get_user_model()
    calendar, _ = Calendar.objects.get_or_create(
        name="US business hours",
        defaults={"time_zone": "America/New_York", "holiday_country": "US"},
    )
    plan, created = SupportPlan.objects.get_or_create(name="Bench", defaults={"calendar": calendar})
    if created:
        plan_categories_offer(plan_id=plan.id)
        for rank, (code, response, update) in enumerate(
            [("P1", "1h", "1h"), ("P2", "nbd", "2bd"), ("P3", "nbd", "5bd")], start=1
        ):
            PlanPriority.objects.create(
                plan=plan,
                code=code,
                name=code,
                definition=code,
                rank=rank,
                initial_response=response,
                update_interval=update,
            )
    tenant, _ = Tenant.objects.get_or_create(
        reference_prefix="BENCH", defaults={"name": "Bench Corp", "plan": plan}
    )
    reporter, _ = users.objects.get_or_create(username="ann@bench.test")
    AuthorizedContact.objects.get_or_create(
        tenant=tenant, user=reporter, defaults={"certification": "Certified"}
    )
    engineer, created = users.objects.get_or_create(
        username="eve@support.test", defaults={"is_staff": True}
    )
    if created:
        engineer.groups.add(Group.objects.get_or_create(name=Role.ENGINEER.value)[0])
    return tenant, reporter, engineer


def _explain() -> None:
    from django.db import transaction

    from cases.models import Case

    print("EXPLAIN of each sweep's selecting query (as the sweep runs it)")
    for column in (
        "next_sla_alert_at",
        "follow_up_due_at",
        "auto_close_at",
        "solution_reminder_at",
        "solution_close_at",
        "clocks_stale_at",
    ):
        query = (
            Case.objects.filter(**{f"{column}__lte": NOW})
            .order_by(column)
            .select_for_update(skip_locked=True, of=("self",))[:200]
        )
        with transaction.atomic():
            plan = query.explain(analyze=True)
        print(f"-- {column}\n{plan}\n")


if __name__ == "__main__":
    main()
