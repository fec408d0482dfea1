"""Load a desk-sized data set into PostgreSQL: tenants, contacts, cases, comments, events.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_hard_bench \\
     .venv/bin/python bench/generate.py [--tenants 1000] [--contacts 20000] [--cases 1000000]

Creates the database if it does not exist, migrates it, loads the demo data (plans, staff,
the demo tenants and their logins, so the pages can be signed into), then writes the bulk
with PostgreSQL COPY: tenants on the demo plans, contacts (users with one shared password
hash, `bench-pass-2026`), and cases spread over three years with a realistic mix: most
closed, the rest new, in progress, awaiting information or with a proposed solution;
priorities weighted to P3; each with 0–4 comments and 2–4 events. `--drop` starts over.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ.setdefault("HTTPS", "false")

STATES = [  # (state, weight): a desk that has run for years is mostly closed cases
    ("closed", 86),
    ("new", 3),
    ("in_progress", 5),
    ("awaiting_information", 3),
    ("solution_proposed", 3),
]
PRIORITIES = [("P1", 3), ("P2", 17), ("P3", 50), ("P4", 30)]
CATEGORIES = ["bug", "question", "functionality_issue", "outage", "performance_issue"]
CLOSE_REASONS = ["resolved"] * 8 + ["no_response", "cancelled", "duplicate"]
WORDS = [
    *("export", "import", "invoice", "report", "timeout", "login", "password", "sync"),
    *("connector", "dashboard", "api", "webhook", "upload", "latency", "error", "crash"),
    *("slow", "permission", "sandbox", "billing", "mail"),
]
PASSWORD = "bench-pass-2026"  # noqa: S105 (a benchmark login, printed for the user)
YEARS = 3


def ensure_database(url: str, drop: bool) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith(("sd_hard_bench", "sd_w_")):
        raise SystemExit(f"refusing to touch {name!r}: bench DBs are sd_hard_bench* or sd_w_*")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def weighted(choices: list[tuple[str, int]], count: int, rng: random.Random) -> list[str]:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights, k=count)


def copy_rows(model: type, rows: Iterable[dict], total: int, label: str) -> int:
    """COPY dict rows into the model's table; a column a row leaves out gets the model
    field's default. Returns the number of rows written."""
    from django.db import connection
    from psycopg.types.json import Jsonb
    from tqdm import tqdm

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {}
    for field in fields:
        default = field.get_default()
        defaults[field.attname] = (
            Jsonb(default) if field.get_internal_type() == "JSONField" else default
        )
    columns = ", ".join(f'"{f.column}"' for f in fields)
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    written = 0
    with connection.cursor() as cursor, tqdm(total=total, desc=label, unit="row") as bar:
        raw = cursor.cursor
        with raw.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = []
                for field in fields:
                    if field.attname in row:
                        value = row[field.attname]
                        if field.attname in json_fields:
                            value = Jsonb(value)
                    else:
                        value = defaults[field.attname]
                    values.append(value)
                copy.write_row(values)
                written += 1
                if written % 5000 == 0:
                    bar.update(5000)
        bar.update(written % 5000)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--drop", action="store_true", help="drop and recreate the database")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database named sd_hard_bench*")
    ensure_database(url, args.drop)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.models import Case, CaseEvent, Comment
    from tenants.models import AuthorizedContact, SupportPlan, Tenant
    from tenants.roles import Role, has_role

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    if Tenant.objects.filter(reference_prefix__startswith="B0").exists():
        raise SystemExit("bench data already loaded; pass --drop to start over")
    rng = random.Random(args.seed)
    now = timezone.now()
    user_model = get_user_model()
    staff = [u for u in user_model.objects.filter(is_staff=True) if has_role(u, Role.ENGINEER)]
    # Bench tenants go on the demo plans that offer P1..P4 (the policy plans call their
    # priorities otherwise); ranks are read from the plans all the same, as the services do.
    wanted = {code for code, _ in PRIORITIES}
    plans = [
        plan
        for plan in SupportPlan.objects.prefetch_related("priorities").order_by("id")
        if wanted <= {p.code for p in plan.priorities.all()}
    ]
    rank_of = {(plan.id, p.code): p.rank for plan in plans for p in plan.priorities.all()}
    password = make_password(PASSWORD)

    with transaction.atomic():
        copy_rows(
            Tenant,
            (
                {
                    "name": f"Bench Customer {i:05d}",
                    "reference_prefix": f"B{i:05d}",
                    "plan_id": plans[i % len(plans)].id,
                    "time_zone": rng.choice(["UTC", "America/New_York", "Europe/Berlin"]),
                    "is_active": True,
                    "last_case_number": 0,
                    "created_at": now - dt.timedelta(days=365 * YEARS),
                }
                for i in range(args.tenants)
            ),
            args.tenants,
            "tenants",
        )
        tenants = list(
            Tenant.objects.filter(reference_prefix__startswith="B0")
            .order_by("id")
            .values_list("id", "reference_prefix", "plan_id")
        )
        copy_rows(
            user_model,
            (
                {
                    "username": f"contact{i:06d}@bench.test",
                    "email": f"contact{i:06d}@bench.test",
                    "first_name": "Contact",
                    "last_name": f"{i:06d}",
                    "password": password,
                    "is_active": True,
                    "is_staff": False,
                    "is_superuser": False,
                    "date_joined": now,
                }
                for i in range(args.contacts)
            ),
            args.contacts,
            "users",
        )
        users = list(
            user_model.objects.filter(username__endswith="@bench.test")
            .order_by("id")
            .values_list("id", flat=True)
        )
        contact_of = {}  # tenant id -> its contact user ids
        rows = []
        for i, user_id in enumerate(users):
            tenant_id = tenants[i % len(tenants)][0]
            contact_of.setdefault(tenant_id, []).append(user_id)
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "user_id": user_id,
                    "certification": "Bench certification",
                    "effective_from": now.date() - dt.timedelta(days=365),
                    "is_active": True,
                    "created_at": now,
                }
            )
        copy_rows(AuthorizedContact, rows, len(rows), "contacts")

    # Cases: a few large tenants and a long tail (Zipf-like), numbered per tenant.
    tenant_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(tenants))]
    owners = [u.id for u in staff]
    numbers: dict[int, int] = {}
    span = dt.timedelta(days=365 * YEARS).total_seconds()

    def cases() -> Iterator[dict]:
        chunk = 10000
        for start in range(0, args.cases, chunk):
            size = min(chunk, args.cases - start)
            picks = rng.choices(tenants, weights=tenant_weights, k=size)
            states = weighted(STATES, size, rng)
            priorities = weighted(PRIORITIES, size, rng)
            for (tenant_id, prefix, plan_id), state, priority in zip(
                picks, states, priorities, strict=True
            ):
                number = numbers[tenant_id] = numbers.get(tenant_id, 0) + 1
                created = now - dt.timedelta(seconds=rng.random() * span)
                closed = state == "closed"
                if not closed:  # open cases are recent
                    created = now - dt.timedelta(hours=rng.random() * 24 * 60)
                closed_at = (
                    created + dt.timedelta(hours=rng.expovariate(1 / 72)) if closed else None
                )
                owner = rng.choice(owners) if state != "new" else None
                due = None if closed else created + dt.timedelta(hours=rng.choice([4, 8, 24, 72]))
                yield {
                    "tenant_id": tenant_id,
                    "number": number,
                    "reference": f"{prefix}-{number:05d}",
                    "summary": f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} "
                    f"fails with {rng.choice(WORDS)} error",
                    "description": "Generated for the benchmark.",
                    "category": rng.choice(CATEGORIES),
                    "priority": priority,
                    "priority_rank": rank_of[plan_id, priority],
                    "environment_access": "granted",
                    "channel": "portal",
                    "state": state,
                    "close_reason": rng.choice(CLOSE_REASONS) if closed else "",
                    "closed_at": closed_at,
                    "reporter_id": rng.choice(contact_of.get(tenant_id) or users),
                    "owner_id": owner,
                    "initial_response_due": created + dt.timedelta(hours=4),
                    "first_responded_at": None
                    if state == "new"
                    else created + dt.timedelta(hours=1),
                    "next_update_due": due,
                    "next_due_at": due,
                    "created_at": created,
                    "updated_at": closed_at or created,
                }

    with transaction.atomic():
        copy_rows(Case, cases(), args.cases, "cases")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tenants_tenant t SET last_case_number = c.n FROM "
                "(SELECT tenant_id, max(number) n FROM cases_case GROUP BY tenant_id) c "
                "WHERE t.id = c.tenant_id"
            )

    # Read before writing: one connection cannot read while a COPY is under way.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, created_at, reporter_id, state, priority FROM cases_case "
            "WHERE tenant_id IN (SELECT id FROM tenants_tenant WHERE reference_prefix LIKE 'B0%%')"
        )
        all_cases = cursor.fetchall()

    def case_rows() -> Iterator[tuple[int, dt.datetime, int, str, str]]:
        return iter(all_cases)

    with transaction.atomic():
        copy_rows(
            Comment,
            (
                {
                    "case_id": case_id,
                    "author_id": rng.choice(owners) if k % 2 else reporter,
                    "body": f"Comment {k + 1}: the {rng.choice(WORDS)} {rng.choice(WORDS)} "
                    "was checked; logs attached in the next update.",
                    "public": True,
                    "by_staff": bool(k % 2),
                    "channel": "portal",
                    "created_at": created + dt.timedelta(hours=k + 1),
                }
                for case_id, created, reporter, _state, _priority in case_rows()
                for k in range(rng.randint(0, 4))
            ),
            args.cases * 2,
            "comments",
        )
        copy_rows(
            CaseEvent,
            (
                {
                    "case_id": case_id,
                    "actor_id": reporter,
                    "kind": kind,
                    "public": True,
                    "from_state": "",
                    "to_state": to_state,
                    "message": "",
                    # The clocks read a case's priority from its first event, as the
                    # services write it.
                    "data": {"priority": priority} if kind == "created" else {},
                    "dedupe_key": "",
                    "created_at": created + dt.timedelta(minutes=k),
                }
                for case_id, created, reporter, state, priority in case_rows()
                for k, (kind, to_state) in enumerate(
                    [("created", "new"), ("owner_changed", ""), ("state_changed", "in_progress")]
                    + ([("closed", "closed")] if state == "closed" else [])
                )
            ),
            args.cases * 4,
            "events",
        )
    # A desk's tables have been vacuumed by autovacuum long before a million cases; a fresh
    # COPY has not (and autovacuum may be off), so set the visibility map and statistics.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(
        json.dumps(
            {
                "tenants": args.tenants,
                "contacts": args.contacts,
                "cases": Case.objects.count(),
                "comments": Comment.objects.count(),
                "events": CaseEvent.objects.count(),
                "seconds": round(time.perf_counter() - started, 1),
                "bench login": f"contact000000@bench.test / {PASSWORD}",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
