"""A real PostgreSQL streaming replica on loopback: lag, what the stale-read pages read from
it, and the replica going away mid-run.

Run (as root or as the postgres OS user; PostgreSQL itself runs as `postgres`):
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_w_replica
    export REDIS_URL=redis://127.0.0.1:6379/14
    .venv/bin/python bench/generate.py --cases 20000 --tenants 50 --contacts 500
    .venv/bin/python bench/replica.py [--port 5433] [--lag-samples 50] [--requests 20]

The primary must accept replication connections from 127.0.0.1 (pg_hba.conf):
    host    replication     postgres        127.0.0.1/32            trust
then `SELECT pg_reload_conf()`. The script says so and stops if it does not.

1. `pg_basebackup -R -X stream` of the primary (the whole cluster: every database on it)
   into a temporary directory, a minimal postgresql.conf, and a second server started
   there on `--port` as a hot standby. Only this server is ever stopped.
2. Lag: a row written on the primary (autocommit), polled on the replica until visible;
   median and range over `--lag-samples`, and `pg_last_xact_replay_timestamp()`'s view.
3. Pages with `DATABASE_REPLICA_URL` set: the manager dashboard, the SLA reports, the queue
   with a search and the API case list, in-process through the whole middleware stack;
   queries counted per database alias, and median ms (replica vs. primary only).
4. The replica stops (`pg_ctl stop -m immediate`) while a thread keeps requesting the
   pages: every answer must be 200 and the queries move to the primary. Then it starts
   again and, after REPLICA_RETRY_SECONDS, reads return to it.
5. Clean-up: the replica server stopped, its directory deleted, the probe table dropped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

PG_BIN = Path("/usr/lib/postgresql/15/bin")
HBA_LINE = "host    replication     postgres        127.0.0.1/32            trust"


def as_postgres(args: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    command = [*prefix, *args]  # our own fixed binaries and paths, no outside input
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)  # noqa: S603


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def spread(values: list[float]) -> str:
    p95 = sorted(values)[max(0, round(len(values) * 0.95) - 1)]
    return (
        f"median {statistics.median(values):.1f} ms, p95 {p95:.1f} "
        f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
    )


class Replica:
    def __init__(self, primary_url: str, port: int) -> None:
        parts = urlsplit(primary_url)
        self.host = parts.hostname or "127.0.0.1"
        self.primary_port = parts.port or 5432
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="sd_replica_"))
        self.data = self.directory / "data"
        self.started = False
        # A physical slot keeps the primary's WAL until the standby has it (busy primary).
        self.slot = f"sd_bench_replica_{os.getpid()}"
        self.admin = f"postgresql://postgres@{self.host}:{self.primary_port}/postgres"

    def create(self) -> float:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            rules = conn.execute(
                "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
                "AND auth_method = 'trust'"
            ).fetchone()[0]
            limits = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in (
                    "max_connections",
                    "max_worker_processes",
                    "max_wal_senders",
                    "max_prepared_transactions",
                    "max_locks_per_transaction",
                )
            }
            size = conn.execute(
                "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database"
            ).fetchone()[0]
        if not rules:
            raise SystemExit(
                "The primary refuses replication connections. Add to its pg_hba.conf:\n"
                f"    {HBA_LINE}\nthen run SELECT pg_reload_conf(); and start again."
            )
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        started = time.perf_counter()
        as_postgres(
            [
                str(PG_BIN / "pg_basebackup"),
                *("-h", self.host, "-p", str(self.primary_port), "-U", "postgres"),
                *("-D", str(self.data), "-R", "-X", "stream", "-c", "fast"),
                *("-C", "-S", self.slot),
            ]
        )
        seconds = time.perf_counter() - started
        print(f"pg_basebackup of the primary cluster ({size}): {seconds:.1f} s")
        settings = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.directory}'",
            "hba_file": f"'{self.data / 'pg_hba.conf'}'",
            "hot_standby": "on",
            "shared_buffers": "'64MB'",
            "fsync": "off",
            **limits,
        }
        config = "".join(f"{name} = {value}\n" for name, value in settings.items())
        (self.data / "postgresql.conf").write_text(config)
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        if os.geteuid() == 0:
            for path in (self.data / "postgresql.conf", self.data / "pg_hba.conf"):
                shutil.chown(path, "postgres", "postgres")
        return seconds

    def start(self) -> None:
        self.started = True  # even a start that times out may leave a server to stop
        try:
            as_postgres(
                [
                    *(str(PG_BIN / "pg_ctl"), "-D", str(self.data)),
                    *("-l", str(self.directory / "log"), "-w", "-t", "300", "start"),
                ]
            )
        except subprocess.CalledProcessError as error:
            log = self.directory / "log"
            print(error.stdout, error.stderr, log.read_text()[-3000:] if log.exists() else "")
            raise

    def stop(self, mode: str = "fast") -> None:
        if self.started and (self.data / "postmaster.pid").exists():
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
        self.started = False

    def remove(self) -> None:
        import psycopg

        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    "WHERE slot_name = %s",
                    [self.slot],
                )


def measure_lag(primary_url: str, replica_url: str, samples: int) -> None:
    import psycopg

    with (
        psycopg.connect(primary_url, autocommit=True) as primary,
        psycopg.connect(replica_url, autocommit=True) as replica,
    ):
        primary.execute(
            "CREATE TABLE IF NOT EXISTS bench_replica_probe (id bigserial PRIMARY KEY, "
            "written_at timestamptz NOT NULL DEFAULT now())"
        )
        started = time.monotonic()
        while not replica.execute("SELECT to_regclass('bench_replica_probe')").fetchone()[0]:
            if time.monotonic() - started > 900:
                raise SystemExit("the replica did not catch up within 900 s")
            time.sleep(0.05)
        print(
            f"the replica caught up with the primary {time.monotonic() - started:.1f} s "
            "after it started (replaying what was written during the base backup)"
        )
        visible = []
        waits = 0
        for sample in range(samples + 1):  # the first one, not counted, warms the path
            started = time.perf_counter()
            row_id = primary.execute(
                "INSERT INTO bench_replica_probe DEFAULT VALUES RETURNING id"
            ).fetchone()[0]
            while True:
                found = replica.execute(
                    "SELECT 1 FROM bench_replica_probe WHERE id = %s", [row_id]
                ).fetchone()
                if found:
                    break
                waits += 1
                time.sleep(0.0005)
                if time.perf_counter() - started > 30:
                    raise SystemExit("a write was not visible on the replica after 30 s")
            if sample:
                visible.append((time.perf_counter() - started) * 1000)
        replay = replica.execute(
            "SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), "
            "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000"
        ).fetchone()
        primary.execute("DROP TABLE bench_replica_probe")
    print(
        f"Write on the primary to visible on the replica: {spread(visible)}; "
        f"{waits} polls found it not yet there"
    )
    print(
        f"  replica caught up: {replay[0]}; last replayed transaction {float(replay[1]):.0f} ms "
        "old (the age of the last write, not a lag, once caught up)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--lag-samples", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="per page and phase")
    args = parser.parse_args()
    primary_url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(primary_url)
    name = parts.path.lstrip("/")
    if not primary_url.startswith("postgres") or name == "sd_hard_bench":
        raise SystemExit("set DATABASE_URL to your own PostgreSQL bench database")
    replica_url = parts._replace(netloc=f"postgres@127.0.0.1:{args.port}").geturl()
    os.environ["DATABASE_REPLICA_URL"] = replica_url
    os.environ.setdefault("REPLICA_RETRY_SECONDS", "3")
    os.environ.setdefault("REPLICA_CONNECT_TIMEOUT", "2")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    os.environ.setdefault("HTTPS", "false")
    os.environ.setdefault("LOG_LEVEL", "CRITICAL")
    print(f"load average before: {load()}")
    replica = Replica(primary_url, args.port)
    try:
        replica.create()
        replica.start()
        print(f"replica started on 127.0.0.1:{args.port} in {replica.data}")
        measure_lag(primary_url, replica_url, args.lag_samples)
        pages(replica, args.requests)
    finally:
        replica.remove()
        print(f"replica stopped and {replica.directory} deleted; load average after: {load()}")


def pages(replica: Replica, repeats: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client
    from django.test.utils import setup_test_environment

    from supportdesk import db_router

    setup_test_environment()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    manager = get_user_model().objects.get(username="manager@supportdesk.demo")
    if not Authenticator.objects.filter(user=manager, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(manager, generate_totp_secret())
    client = Client()
    client.force_login(manager)
    urls = {
        "dashboard (30 days)": "/admin/cases/case/dashboard/",
        "SLA reports": "/admin/cases/case/reports/",
        "queue search": "/admin/cases/case/?q=export",
        "API case list": "/api/v1/cases/",
    }
    for alias in ("default", "replica"):
        connections[alias].force_debug_cursor = True

    def request(url: str) -> tuple[int, Counter, float]:
        started = time.perf_counter()
        status = client.get(url).status_code
        ms = (time.perf_counter() - started) * 1000
        counts = Counter({alias: len(connections[alias].queries_log) for alias in connections})
        return status, counts, ms

    print(f"Pages as the manager, {repeats} requests each (queries per request by alias):")
    for label, url in urls.items():
        request(url)  # warm
        timings: dict[str, list[float]] = {"replica": [], "primary only": []}
        counts: Counter = Counter()
        for _ in range(repeats):
            status, seen, ms = request(url)
            assert status == 200, (label, status)
            counts += seen
            timings["replica"].append(ms)
        for _ in range(repeats):
            db_router.health.down_until = time.monotonic() + 3600  # primary only
            status, _, ms = request(url)
            assert status == 200
            timings["primary only"].append(ms)
        db_router.health.reset()
        print(
            f"  {label}: {counts['replica'] / repeats:.0f} queries on the replica, "
            f"{counts['default'] / repeats:.0f} on the primary (session, user, groups, MFA: "
            f"before the view); with replica {spread(timings['replica'])}; primary only "
            f"{spread(timings['primary only'])}"
        )

    # The replica goes away while the pages are being read.
    statuses: Counter = Counter()
    by_alias: Counter = Counter()
    errors: list[str] = []
    stop_at = 1.0
    stopped = threading.Event()

    def stopper() -> None:
        time.sleep(stop_at)
        replica.stop("immediate")
        stopped.set()

    downs: list[str] = []
    mark_down = db_router.mark_replica_down

    def counted_mark_down(reason: object = "") -> None:
        downs.append(str(reason).strip().splitlines()[0][:110] if str(reason) else "")
        mark_down(reason)

    db_router.mark_replica_down = counted_mark_down  # type: ignore[assignment]
    thread = threading.Thread(target=stopper)
    started = time.monotonic()
    thread.start()
    phase_counts = {"before the stop": Counter(), "after the stop": Counter()}
    while time.monotonic() - started < stop_at + 4:
        for url in urls.values():
            phase = "after the stop" if stopped.is_set() else "before the stop"
            try:
                status, seen, _ = request(url)
            except Exception as error:  # counted and printed: must stay zero
                errors.append(repr(error))
                continue
            statuses[status] += 1
            by_alias += seen
            phase_counts[phase] += seen
    thread.join()
    print(
        f"Replica stopped (immediate) {stop_at:.0f} s into a stream of page requests: "
        f"{sum(statuses.values())} answers {dict(statuses)}, {len(errors)} errors"
    )
    for phase, seen in phase_counts.items():
        print(f"  queries {phase}: replica {seen['replica']}, primary {seen['default']}")
    for error in errors[:5]:
        print(f"  error: {error}")
    for reason, times in Counter(downs).items():
        print(f"  replica marked down {times}x: {reason}")
    db_router.mark_replica_down = mark_down  # type: ignore[assignment]

    replica.start()
    time.sleep(settings.REPLICA_RETRY_SECONDS + 0.5)
    status, seen, _ = request(urls["dashboard (30 days)"])
    print(
        f"Replica started again; after REPLICA_RETRY_SECONDS ({settings.REPLICA_RETRY_SECONDS}"
        f" s) the dashboard answers {status} with {seen['replica']} queries on the replica"
    )
    for alias in ("default", "replica"):
        connections[alias].close()


if __name__ == "__main__":
    main()
