"""Apply the pending migrations to a copy of the benchmark database and check nothing was lost.

Run (after bench/generate.py has built sd_hard_bench at an older commit):
    .venv/bin/python bench/bench_migrations.py [--source sd_hard_bench] [--keep]

Makes `<source>_migrate` as a copy of the source (CREATE DATABASE … TEMPLATE), reads what
the contract data says before (cases per category code, each plan's SLA categories and
contact limit, the phone rule, account roles), applies every pending migration timing
each one, then reads the same facts through the new models and prints both side by side.
Exits non-zero when a fact changed. The copy is dropped afterwards unless `--keep`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ.setdefault("HTTPS", "false")

SERVER = "postgres://postgres@127.0.0.1:5432"


def copy_database(source: str, target: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    return time.perf_counter() - started


def drop_database(name: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def facts_before(url: str) -> dict[str, object]:
    """Read with plain SQL: the models of this checkout describe the schema after."""
    with psycopg.connect(url) as conn:
        per_category = dict(
            conn.execute("SELECT category, count(*) FROM cases_case GROUP BY category")
        )
        plans = {
            name: {
                "sla_categories": sorted(sla or []),
                "max_portal_contacts": limit,
                "phone_for_critical": phone_rule,
                "support_phone": phone,
            }
            for name, sla, limit, phone_rule, phone in conn.execute(
                "SELECT name, sla_categories, max_portal_contacts, phone_for_critical, "
                "support_phone FROM tenants_supportplan"
            )
        }
        roles = dict(
            conn.execute("SELECT role, count(*) FROM tenants_accountteammember GROUP BY role")
        )
        cases = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
    return {"cases": cases, "per_category": per_category, "plans": plans, "roles": roles}


def facts_after() -> dict[str, object]:
    from django.db.models import Count

    from cases.models import Case
    from tenants.models import AccountTeamMember, SupportPlan

    per_category = dict(
        Case.objects.values_list("category").annotate(n=Count("id")).values_list("category", "n")
    )
    plans = {}
    related = ("plan_categories__category", "priorities", "phones")
    for plan in SupportPlan.objects.prefetch_related(*related):
        top = min(plan.priorities.all(), key=lambda p: p.rank, default=None)
        phones = [phone.number for phone in plan.phones.all()]
        plans[plan.name] = {
            "sla_categories": sorted(
                link.category.code for link in plan.plan_categories.all() if link.sla_applies
            ),
            "max_portal_contacts": plan.max_portal_contacts,
            "phone_for_critical": top is not None and top.channel_rule != "portal",
            "support_phone": phones[0] if phones else "",
        }
    roles = dict(
        AccountTeamMember.objects.values_list("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    return {
        "cases": Case.objects.count(),
        "per_category": per_category,
        "plans": plans,
        "roles": roles,
    }


def migrate_timed() -> list[tuple[str, float]]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    timings: list[tuple[str, float]] = []
    started: dict[str, float] = {}

    def progress(action: str, migration=None, fake: bool = False) -> None:
        if migration is None:
            return
        key = f"{migration.app_label}.{migration.name}"
        if action == "apply_start":
            started[key] = time.perf_counter()
        elif action == "apply_success":
            timings.append((key, time.perf_counter() - started[key]))

    executor.progress_callback = progress
    executor.migrate(targets, plan=plan)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="sd_hard_bench")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    target = f"{args.source}_migrate"
    url = f"{SERVER}/{target}"
    print(f"copying {args.source} to {target} … {copy_database(args.source, target):.1f} s")
    before = facts_before(url)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    timings = migrate_timed()
    for name, seconds in timings:
        print(f"  {name:<60} {seconds * 1000:>9.0f} ms")
    print(f"  {'all pending migrations':<60} {sum(s for _, s in timings) * 1000:>9.0f} ms")
    after = facts_after()
    from django.db import connections

    connections.close_all()
    changed = [key for key in before if before[key] != after[key]]
    for key in before:
        mark = "same" if key not in changed else "CHANGED"
        print(f"{key}: {mark}")
        if key in changed:
            print(f"  before: {before[key]}\n  after:  {after[key]}")
    if not args.keep:
        drop_database(target)
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
