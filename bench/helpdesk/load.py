"""Load SupportDesk's bench data set into a django-helpdesk 2.6.1 database, for issue 8.

Run with the helpdesk virtual environment (bash bench/helpdesk/setup.sh makes it):

    bench/helpdesk/.venv/bin/python bench/helpdesk/load.py [--drop] [--with-contacts]

Reads SOURCE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sd_hard_bench, built by
bench/generate.py) and writes HELPDESK_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/sd_helpdesk_bench; only names starting with
sd_helpdesk_bench are touched). Creates the database if missing (--drop starts over), migrates
it, loads django-helpdesk's e-mail templates as its install docs say, creates the staff
superuser bench-staff / bench-pass-2026, then copies the data:

- staff users (auth_user rows with is_staff) keep their ids, usernames and e-mails, with
  unusable passwords; --with-contacts copies the 20,000 customer contacts as well;
- one Queue per SupportDesk tenant, made through the ORM so that each gets its permission row
  as Queue.save() makes it (title = tenant name, slug = lower-case reference prefix);
- one Ticket per case and one FollowUp per comment, with PostgreSQL COPY: the mapping is done
  by the SELECT on the source, whose COPY TO STDOUT is streamed unchanged into COPY FROM STDIN
  on the target. Tickets and follow-ups keep the case and comment ids.

Then the id sequences are reset, the tables ANALYZEd, and the ticket count is checked against
the source's case count.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")

TARGET_DEFAULT = "postgres://postgres@127.0.0.1:5432/sd_helpdesk_bench"
SOURCE_DEFAULT = "postgres://postgres@127.0.0.1:5432/sd_hard_bench"
STAFF_USERNAME = "bench-staff"
STAFF_PASSWORD = "bench-pass-2026"  # noqa: S105 (a benchmark login, printed for the user)

# django-helpdesk's default statuses: 1 open, 2 reopened, 3 resolved, 4 closed, 5 duplicate.
# SupportDesk has no reopened state and closes duplicates as closed; a case awaiting the
# customer's information is open and on hold (helpdesk's way of saying "the clock stands").
TICKET_COLUMNS = [
    "id",
    "title",
    "queue_id",
    "created",
    "modified",
    "submitter_email",
    "assigned_to_id",
    "status",
    "on_hold",
    "description",
    "resolution",
    "priority",
    "due_date",
    "last_escalation",
    "secret_key",
    "kbitem_id",
    "merged_to_id",
]
TICKET_SELECT = """
SELECT c.id, left(c.summary, 200), m.queue_id, c.created_at, c.updated_at, r.email,
       c.owner_id,
       CASE c.state WHEN 'new' THEN 1 WHEN 'in_progress' THEN 1
                    WHEN 'awaiting_information' THEN 1
                    WHEN 'solution_proposed' THEN 3 WHEN 'closed' THEN 4 END,
       c.state = 'awaiting_information', c.description,
       nullif(c.close_reason, ''), substr(c.priority, 2)::int, c.next_due_at, NULL,
       gen_random_uuid()::text, NULL, NULL
FROM cases_case c
JOIN auth_user r ON r.id = c.reporter_id
JOIN unnest(%(tenants)s::bigint[], %(queues)s::int[]) AS m(tenant_id, queue_id)
  ON m.tenant_id = c.tenant_id
ORDER BY c.id
"""

FOLLOWUP_COLUMNS = [
    "id",
    "ticket_id",
    "date",
    "title",
    "comment",
    "public",
    "user_id",
    "new_status",
    "message_id",
    "time_spent",
    "email_recipients",
]
FOLLOWUP_SELECT = """
SELECT k.id, k.case_id, k.created_at, 'Comment', k.body, k.public,
       CASE WHEN %(contacts)s OR a.is_staff THEN k.author_id END, NULL, NULL, NULL, NULL
FROM cases_comment k
LEFT JOIN auth_user a ON a.id = k.author_id
ORDER BY k.id
"""

USER_COLUMNS = [
    "id",
    "password",
    "last_login",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
]
USER_SELECT = """
SELECT id, '!bench-unusable', NULL, false, username, first_name, last_name, email, is_staff,
       is_active, date_joined
FROM auth_user WHERE is_staff OR %(contacts)s ORDER BY id
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_database(url: str, drop: bool) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("sd_helpdesk_bench"):
        raise SystemExit(
            f"refusing to touch {name!r}: the helpdesk bench database is sd_helpdesk_bench*"
        )
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")


def check_not_null_covered(target: psycopg.Connection, table: str, columns: list[str]) -> None:
    """COPY bypasses Django's defaults: every NOT NULL column without a database default must
    be in the column list, or the load would fail half-way (or a new release added one)."""
    missing = target.execute(
        """SELECT column_name FROM information_schema.columns
           WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL
             AND is_identity = 'NO' AND NOT (column_name = ANY(%s))""",
        [table, columns],
    ).fetchall()
    if missing:
        raise SystemExit(f"{table}: NOT NULL columns left out of the COPY: {missing}")


def stream(
    source: psycopg.Connection,
    target: psycopg.Connection,
    select: str,
    params: dict,
    table: str,
    columns: list[str],
    label: str,
) -> float:
    """COPY (select) TO STDOUT on the source, piped block by block into COPY table FROM STDIN
    on the target: the text format is the same at both ends, so no row is decoded here."""
    check_not_null_covered(target, table, columns)
    started = time.perf_counter()
    query = f"COPY ({psycopg.ClientCursor(source).mogrify(select, params)}) TO STDOUT"
    into = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
    written = 0
    last = started
    with (
        source.cursor().copy(query) as out,
        target.cursor().copy(into) as into_copy,
    ):
        for block in out:
            into_copy.write(block)
            written += len(block)
            now = time.perf_counter()
            if now - last > 10:
                log(f"  {label}: {written / 2**20:,.0f} MiB copied, {now - started:,.0f} s")
                last = now
    return time.perf_counter() - started


def reset_sequence(target: psycopg.Connection, table: str) -> None:
    target.execute(
        sql.SQL(
            "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
            "coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        ).format(name=sql.Literal(table), table=sql.Identifier(table))
    )


def commit(target: psycopg.Connection) -> str:
    """Commit; django-helpdesk's foreign keys are DEFERRABLE INITIALLY DEFERRED, so this is
    where PostgreSQL checks every copied row's references."""
    started = time.perf_counter()
    target.commit()
    return f"committed (foreign keys checked) in {time.perf_counter() - started:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drop", action="store_true", help="drop and recreate the database")
    parser.add_argument(
        "--with-contacts",
        action="store_true",
        help="also copy the customer contacts into auth_user (by default only staff users)",
    )
    args = parser.parse_args()
    target_url = os.environ.setdefault("HELPDESK_DATABASE_URL", TARGET_DEFAULT)
    source_url = os.environ.get("SOURCE_DATABASE_URL", SOURCE_DEFAULT)
    started = time.perf_counter()
    ensure_database(target_url, args.drop)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from helpdesk.models import EmailTemplate, FollowUp, Queue, Ticket, UserSettings

    log("migrating")
    call_command("migrate", verbosity=0)
    if not EmailTemplate.objects.exists():
        call_command("loaddata", "emailtemplate.json", verbosity=0)
    log(f"migrated, e-mail templates loaded: {time.perf_counter() - started:.1f} s")
    if Ticket.objects.exists():
        raise SystemExit("tickets already loaded; pass --drop to start over")

    with psycopg.connect(source_url) as source, psycopg.connect(target_url) as target:
        source_cases = source.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        if not source_cases:
            raise SystemExit(f"no cases in {source_url}: run bench/generate.py first")
        log(f"source: {source_cases:,} cases")

        contacts = {"contacts": args.with_contacts}
        seconds = stream(source, target, USER_SELECT, contacts, "auth_user", USER_COLUMNS, "users")
        reset_sequence(target, "auth_user")
        target.commit()
        users = target.execute("SELECT count(*) FROM auth_user").fetchone()[0]
        log(f"users: {users:,} in {seconds:.1f} s")

        # What helpdesk's post_save signal gives every user that is saved through the ORM.
        user_model = get_user_model()
        UserSettings.objects.bulk_create(
            UserSettings(user=user)
            for user in user_model.objects.filter(usersettings_helpdesk__isnull=True)
        )
        if not user_model.objects.filter(username=STAFF_USERNAME).exists():
            user_model.objects.create_superuser(
                STAFF_USERNAME, "bench-staff@bench.test", STAFF_PASSWORD
            )

        queue_started = time.perf_counter()
        tenant_ids, queue_ids = [], []
        for tenant_id, name, prefix in source.execute(
            "SELECT id, name, reference_prefix FROM tenants_tenant ORDER BY id"
        ):
            queue = Queue.objects.create(title=name[:100], slug=prefix.lower())
            tenant_ids.append(tenant_id)
            queue_ids.append(queue.id)
        log(f"queues: {len(queue_ids):,} in {time.perf_counter() - queue_started:.1f} s")

        tenants = {"tenants": tenant_ids, "queues": queue_ids}
        seconds = stream(
            source, target, TICKET_SELECT, tenants, Ticket._meta.db_table, TICKET_COLUMNS, "tickets"
        )
        log(f"tickets: copied in {seconds:.1f} s; {commit(target)}")
        seconds = stream(
            source,
            target,
            FOLLOWUP_SELECT,
            contacts,
            FollowUp._meta.db_table,
            FOLLOWUP_COLUMNS,
            "follow-ups",
        )
        for model in (Ticket, FollowUp):
            reset_sequence(target, model._meta.db_table)
        log(f"follow-ups: copied in {seconds:.1f} s; {commit(target)}")

    with connection.cursor() as cursor:
        analyze_started = time.perf_counter()
        cursor.execute("ANALYZE")
        log(f"ANALYZE in {time.perf_counter() - analyze_started:.1f} s")

    tickets = Ticket.objects.count()
    followups = FollowUp.objects.count()
    total = time.perf_counter() - started
    log(
        f"loaded {tickets:,} tickets, {followups:,} follow-ups, "
        f"{Queue.objects.count():,} queues in {total:.0f} s"
    )
    log(f"staff login: {STAFF_USERNAME} / {STAFF_PASSWORD}")
    if tickets != source_cases:
        raise SystemExit(f"ticket count {tickets:,} != source case count {source_cases:,}")
    print(f"ok: {tickets:,} tickets = {source_cases:,} cases; {total:.0f} s")


if __name__ == "__main__":
    main()
