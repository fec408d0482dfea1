"""A chaos run of the production topology on loopback (issue 20): faults on a schedule, then
the promises checked.

Run: .venv/bin/python bench/chaos.py [--duration 600] [--short] [--keep]

It starts, all on 127.0.0.1 and all its own: a fresh PostgreSQL database (`sd_chaos_…`,
migrated and loaded with the demo data), a redis-server on a spare port without
persistence, gunicorn with 2 workers, two Celery workers and one beat (sweeps every
AUTOMATION_INTERVAL=5 s), and an SMTP sink (tests/mailserver.py) that the outbox delivers
to. Threads then file and list cases through the API with a contact's token, file cases
through the portal (signed in as alice@acme.demo) and send pairs of engineers to take the
same case at the same version. Meanwhile it kills a Celery worker with SIGKILL (and
restarts it), takes both workers down, kills Redis for a while (and restarts it empty),
kills a gunicorn worker, and terminates every PostgreSQL connection to its database once.
When the workload ends it waits (bounded) for the sweeps to catch up and prints a table of
invariants; the exit status is 1 when one failed.

PostgreSQL comes from DATABASE_URL when it names a postgres server (its host, user and
password; the database name is the run's own), else postgres://postgres@127.0.0.1:5432.
It stops by itself (an overall timeout) and kills only the processes it started (each in
its own process group), on any exit. The database is dropped unless --keep.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import contextlib
import dataclasses
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mailserver import SmtpSink, free_port  # noqa: E402

AUTOMATION_INTERVAL = 5
# A send claim lapses after this; the default (600 s) would outlast the catch-up wait.
OUTBOX_LEASE = 30
# How long after pg_terminate_backend a 5xx still counts as the database outage: each
# process finds its persistent connection dead on its next query.
DB_OUTAGE_SECONDS = 10
LOG = print


# --- What the run started, and how it is stopped --------------------------------------


class Processes:
    """Every process the run starts, each in its own process group; only these are killed."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}
        self.specs: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.lock = threading.Lock()
        self.closed = False

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        with self.lock:
            if self.closed:  # stopping: a fault's restart must not outlive the run
                raise RuntimeError(f"not starting {name}: the run is stopping")
            self.specs[name] = (argv, env)
            log = (self.logs / f"{name}.log").open("a")
            process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            self.running[name] = process
            return process

    def restart(self, name: str) -> subprocess.Popen:
        argv, env = self.specs[name]
        return self.start(name, argv, env)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group the process leads (a worker's pool children too)."""
        with self.lock:
            process = self.running.pop(name, None)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def stop_all(self) -> None:
        with self.lock:
            self.closed = True
            names = list(self.running)
        for name in names:
            process = self.running.get(name)
            if process is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name in names:
            process = self.running.get(name)
            if process is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Whatever is left of the group (a pool child that ignored TERM).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            self.running.pop(name, None)

    def children(self, name: str) -> list[int]:
        process = self.running[name]
        out = subprocess.run(  # noqa: S603
            ["/usr/bin/pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in out.stdout.split()]


# --- Recording every answer -----------------------------------------------------------


@dataclasses.dataclass
class Answer:
    at: float  # seconds since the workload started
    kind: str  # api-create, api-list, portal-file, staff-read, staff-take
    status: int  # 0: no answer (connection refused or reset, timeout)
    ms: float


@dataclasses.dataclass
class Window:
    name: str
    start: float
    end: float
    database: bool = False


class Record:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.answers: list[Answer] = []
        self.created: list[str] = []  # references answered 201 (API) or 302 (portal)
        self.pairs: list[dict] = []
        self.windows: list[Window] = []
        self.lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def call(self, kind: str, send: Callable[[], requests.Response]) -> requests.Response | None:
        start = self.now()
        try:
            response = send()
        except requests.RequestException:
            response = None
        answer = Answer(
            start,
            kind,
            response.status_code if response is not None else 0,
            (self.now() - start) * 1000,
        )
        with self.lock:
            self.answers.append(answer)
        return response


# --- The topology ---------------------------------------------------------------------


def postgres_server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return "postgres://postgres@127.0.0.1:5432"


def admin_sql(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def redis_up(port: int) -> bool:
    import redis

    return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())


class Desk:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scratch = Path(tempfile.mkdtemp(prefix="sd-chaos-"))
        (self.scratch / "logs").mkdir()
        self.procs = Processes(self.scratch / "logs")
        self.server = postgres_server_url()
        self.db_name = f"sd_chaos_{os.getpid()}_{int(time.time())}"
        self.db_url = f"{self.server}/{self.db_name}"
        self.db_created = False
        self.redis_port = free_port()
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.sink = SmtpSink()
        self.sink_started = False
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.scratch)),
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": self.db_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DEBUG": "false",
            "HTTPS": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PORT": str(self.web_port),
            "SUPPORTDESK_VAR_DIR": str(self.scratch / "var"),
            "AUTOMATION_INTERVAL": str(AUTOMATION_INTERVAL),
            "OUTBOX_SEND_LEASE_SECONDS": str(OUTBOX_LEASE),
            "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.sink.port),
            "EMAIL_TIMEOUT": "10",
            # The workload is one client address and one token: budgets it cannot reach,
            # so every answer is about the faults (the throttles still run, in the cache).
            "API_RATE_PER_TOKEN": "100000/minute",
            "API_RATE_PER_ADDRESS": "100000/minute",
            "LOG_LEVEL": "WARNING",
        }
        self.stopped = False

    # Each part of the topology ----------------------------------------------------------

    def start_redis(self) -> None:
        self.procs.start(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.scratch),
            ],
            {"PATH": self.env["PATH"]},
        )
        wait_for(lambda: redis_up(self.redis_port), 15, "redis-server")

    def manage(self, *arguments: str) -> None:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def static_files(self) -> None:
        """Production serves collected, hashed and compressed files (minutes to make on a
        busy machine): they are made once into var/chaos-static and reused while no file
        under a static/ folder of the checkout is newer (delete the folder after upgrading
        packages that ship static files)."""
        cache = ROOT / "var" / "chaos-static"
        manifest = cache / "staticfiles.json"
        folders = [ROOT / "static", *ROOT.glob("*/static")]
        sources = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
        newest = max((p.stat().st_mtime for p in sources), default=0.0)
        if not manifest.exists() or manifest.stat().st_mtime < newest:
            shutil.rmtree(cache, ignore_errors=True)
            cache.parent.mkdir(parents=True, exist_ok=True)
            self.manage("collectstatic", "--noinput")
            shutil.move(str(self.scratch / "var" / "static"), cache)
        (self.scratch / "var").mkdir(exist_ok=True)
        (self.scratch / "var" / "static").symlink_to(cache)

    def start_web(self) -> None:
        self.procs.start(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "supportdesk.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            self.env,
        )
        wait_for(
            lambda: requests.get(f"{self.base}/sign-in/", timeout=2).status_code == 200,
            60,
            "gunicorn",
        )

    def start_worker(self, number: int) -> None:
        self.procs.start(
            f"worker{number}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "supportdesk",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"chaos{number}-{os.getpid()}@%h",
            ],
            self.env,
        )

    def start_beat(self) -> None:
        self.procs.start(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "supportdesk",
                "beat",
                "--loglevel=WARNING",
                "--schedule",
                str(self.scratch / "celerybeat-schedule"),
            ],
            self.env,
        )

    def up(self) -> None:
        LOG(f"chaos: scratch {self.scratch}, database {self.db_name}")
        admin_sql(self.server, f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        self.start_redis()
        self.sink.start()
        self.sink_started = True
        started = time.monotonic()
        self.manage("migrate", "--noinput")
        self.manage("seed_demo")
        self.static_files()
        LOG(f"chaos: migrated, seeded, static collected in {time.monotonic() - started:.0f} s")
        self.start_web()
        self.start_worker(1)
        self.start_worker(2)
        self.start_beat()
        LOG(f"chaos: desk at {self.base}, redis :{self.redis_port}, smtp :{self.sink.port}")

    def down(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.procs.stop_all()
        if self.sink_started:
            self.sink.stop()
        if self.db_created and not self.args.keep:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: S110 - Django may not be set up yet
                pass
            try:
                admin_sql(self.server, f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except Exception as error:
                LOG(f"chaos: could not drop {self.db_name}: {error}")
        elif self.db_created:
            LOG(f"chaos: kept the database {self.db_name} ({self.db_url})")
        if self.args.keep:
            LOG(f"chaos: logs kept in {self.scratch / 'logs'}")
        else:
            shutil.rmtree(self.scratch, ignore_errors=True)


# --- In-process Django, on the run's database: set-up and the checks --------------------


def django_setup(desk: Desk) -> None:
    os.environ.update(desk.env)
    import django

    django.setup()


@dataclasses.dataclass
class People:
    token: str
    category: str
    engineers: list[tuple[str, str]]  # (username, session cookie)
    session_cookie: str
    csrf_cookie: str
    form_choices: dict[str, str]


def prepare_people() -> People:
    """A contact's API token (made by the token service, as the portal's page does), and
    two engineers with an authenticator app (staff must have one) and a signed-in session.
    The script does not drive the second step of a staff sign-in; it signs them in as the
    test client does (django.contrib.auth.login, the session stamps included)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from cases.models import BusinessImpact
    from tenants.api_tokens import api_token_create
    from tenants.models import EnvironmentKind

    users = get_user_model().objects
    alice = users.get(username="alice@acme.demo")
    token = api_token_create(actor=alice, name="Chaos run").secret
    from tenants.access import tenants_for

    tenant = tenants_for(alice).get(reference_prefix="ACME")
    category = tenant.plan.plan_categories.order_by("order").first().category.code
    engineers = []
    for username in ("eng@supportdesk.demo", "sam@supportdesk.demo"):
        user = users.get(username=username)
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
        client = Client()
        client.force_login(user)
        engineers.append((username, client.cookies[settings.SESSION_COOKIE_NAME].value))
    return People(
        token=token,
        category=category,
        engineers=engineers,
        session_cookie=settings.SESSION_COOKIE_NAME,
        csrf_cookie=settings.CSRF_COOKIE_NAME,
        form_choices={
            "business_impact": str(BusinessImpact.MEDIUM.value),
            "environment": str(EnvironmentKind.PRODUCTION.value),
        },
    )


# --- The workload ---------------------------------------------------------------------

CASE_URL = re.compile(r"/cases/([A-Z0-9]+-\d+)/")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Workload:
    def __init__(self, desk: Desk, people: People, record: Record, until: float) -> None:
        self.desk = desk
        self.people = people
        self.record = record
        self.until = until
        self.stop = threading.Event()
        self.base = desk.base
        self.api_refs: list[str] = []
        self.refs_lock = threading.Lock()

    def running(self) -> bool:
        return not self.stop.is_set() and self.record.now() < self.until

    def api_session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.people.token}"
        return session

    def api(self, number: int) -> None:
        session = self.api_session()
        rng = random.Random(number)
        n = 0
        while self.running():
            n += 1
            if rng.random() < 0.4:
                body = {
                    "summary": f"Chaos {number}-{n}: the nightly export stalls",
                    "category": self.people.category,
                    "environment_access": "granted",
                    "description": "Filed by bench/chaos.py.",
                }
                response = self.record.call(
                    "api-create",
                    lambda body=body: session.post(
                        f"{self.base}/api/v1/cases/", json=body, timeout=20
                    ),
                )
                if response is not None and response.status_code == 201:
                    reference = response.json()["reference"]
                    with self.refs_lock:
                        self.record.created.append(reference)
                        self.api_refs.append(reference)
                elif response is not None and response.status_code == 400 and n < 5:
                    LOG(f"chaos: API create refused: {response.text[:300]}")
            else:
                self.record.call(
                    "api-list",
                    lambda: session.get(f"{self.base}/api/v1/cases/?page_size=10", timeout=20),
                )
            time.sleep(rng.uniform(0.05, 0.25))

    def portal_sign_in(self) -> requests.Session | None:
        session = requests.Session()
        page = self.record.call(
            "portal-sign-in", lambda: session.get(f"{self.base}/sign-in/", timeout=20)
        )
        if page is None or page.status_code != 200:
            return None
        token = CSRF_INPUT.search(page.text)
        form = {
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "username": "alice@acme.demo",
            "password": "demo-pass-2026",
        }
        answer = self.record.call(
            "portal-sign-in",
            lambda: session.post(
                f"{self.base}/sign-in/",
                data=form,
                headers={"Referer": f"{self.base}/sign-in/"},
                allow_redirects=False,
                timeout=20,
            ),
        )
        if answer is None or answer.status_code != 302:
            if answer is not None and answer.status_code < 500:
                LOG(f"chaos: portal sign-in answered {answer.status_code}")
            return None
        return session

    def portal(self) -> None:
        rng = random.Random(99)
        session = None
        n = 0
        while self.running():
            if session is None:
                session = self.portal_sign_in()
                if session is None:
                    time.sleep(1)
                    continue
            n += 1
            page = self.record.call(
                "portal-page",
                lambda session=session: session.get(f"{self.base}/cases/new/", timeout=20),
            )
            if page is None or page.status_code != 200:
                if page is not None and page.status_code in (302, 403):
                    session = None
                time.sleep(0.5)
                continue
            token = CSRF_INPUT.search(page.text)
            form = {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "summary": f"Chaos portal {n}: reports time out",
                "category": self.people.category,
                "environment_access": "granted",
                **self.people.form_choices,
                "description": "Filed through the portal by bench/chaos.py.",
            }
            answer = self.record.call(
                "portal-file",
                lambda form=form, session=session: session.post(
                    f"{self.base}/cases/new/",
                    data=form,
                    headers={"Referer": f"{self.base}/cases/new/"},
                    allow_redirects=False,
                    timeout=20,
                ),
            )
            filed = CASE_URL.search(answer.headers.get("Location", "")) if answer else None
            if answer is not None and answer.status_code == 302 and filed:
                with self.refs_lock:
                    self.record.created.append(filed.group(1))
            elif answer is not None and answer.status_code == 302:
                session = None  # sent to sign in again
            elif answer is not None and answer.status_code in (200, 400) and n < 3:
                errors = re.findall(r"errorlist[^>]*>\s*<li>([^<]+)", answer.text)
                LOG(f"chaos: portal filing refused: {errors[:5]}")
            time.sleep(rng.uniform(0.2, 0.6))

    def staff_session(self, cookie: str) -> requests.Session:
        session = requests.Session()
        csrf = secrets.token_hex(16)
        session.cookies.set(self.people.session_cookie, cookie, domain="127.0.0.1")
        session.cookies.set(self.people.csrf_cookie, csrf, domain="127.0.0.1")
        session.headers.update({"X-CSRFToken": csrf, "Referer": f"{self.base}/admin/"})
        return session

    def pairs(self) -> None:
        """Two engineers take the same case at the same version at once: one wins."""
        sessions = [(name, self.staff_session(cookie)) for name, cookie in self.people.engineers]
        used: set[str] = set()
        while self.running():
            with self.refs_lock:
                fresh = [ref for ref in self.api_refs if ref not in used]
            if not fresh:
                time.sleep(0.5)
                continue
            reference = fresh[-1]
            used.add(reference)
            read = self.record.call(
                "staff-read",
                lambda reference=reference: sessions[0][1].get(
                    f"{self.base}/api/v1/cases/{reference}/", timeout=20
                ),
            )
            if read is None or read.status_code != 200:
                time.sleep(0.5)
                continue
            etag = read.headers.get("ETag", "")
            answers: dict[str, int] = {}
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(
                    target=self.take, args=(name, session, reference, etag, barrier, answers)
                )
                for name, session in sessions
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            with self.record.lock:
                self.record.pairs.append(
                    {"reference": reference, "version": etag, "answers": answers}
                )
            time.sleep(0.3)

    def take(
        self,
        name: str,
        session: requests.Session,
        reference: str,
        etag: str,
        barrier: threading.Barrier,
        answers: dict[str, int],
    ) -> None:
        barrier.wait()
        response = self.record.call(
            "staff-take",
            lambda: session.post(
                f"{self.base}/api/v1/cases/{reference}/take/",
                json={},
                headers={"If-Match": etag},
                timeout=20,
            ),
        )
        answers[name] = response.status_code if response is not None else 0

    def run(self, api_threads: int) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.api, args=(n,), daemon=True) for n in range(api_threads)
        ]
        threads.append(threading.Thread(target=self.portal, daemon=True))
        threads.append(threading.Thread(target=self.pairs, daemon=True))
        for thread in threads:
            thread.start()
        return threads


# --- The faults -----------------------------------------------------------------------


def schedule(duration: float, short: bool) -> list[tuple[float, str, float]]:
    """(when, fault, how long) in seconds after the workload starts."""
    if short:
        return [
            (0.15 * duration, "kill-worker", 0),
            (0.35 * duration, "redis-down", 10),
            (0.65 * duration, "db-terminate", 0),
            (0.80 * duration, "kill-gunicorn-worker", 0),
        ]
    return [
        (0.08 * duration, "kill-worker", 0),
        (0.18 * duration, "workers-down", 40),
        (0.33 * duration, "redis-down", 35),
        (0.48 * duration, "kill-gunicorn-worker", 0),
        (0.58 * duration, "db-terminate", 0),
        (0.68 * duration, "redis-down", 60),
        (0.85 * duration, "kill-worker", 0),
    ]


def terminate_connections(desk: Desk) -> int:
    import psycopg

    with psycopg.connect(f"{desk.server}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [desk.db_name],
        ).fetchall()
    return len(rows)


def inject(desk: Desk, record: Record, plan: list[tuple[float, str, float]], stop: threading.Event):
    for when, fault, length in plan:
        while record.now() < when:
            if stop.wait(0.2):
                return
        start = record.now()
        if fault == "kill-worker":
            # A worker mid-work: its pool children die with it (the whole group).
            victim = random.choice(["worker1", "worker2"])
            desk.procs.kill(victim)
            time.sleep(2)
            desk.start_worker(int(victim[-1]))
            detail = victim
        elif fault == "workers-down":
            desk.procs.kill("worker1")
            desk.procs.kill("worker2")
            stop.wait(length)
            desk.start_worker(1)
            desk.start_worker(2)
            detail = f"{length:.0f} s"
        elif fault == "redis-down":
            desk.procs.kill("redis")
            stop.wait(length)
            desk.start_redis()
            detail = f"{length:.0f} s"
        elif fault == "kill-gunicorn-worker":
            children = desk.procs.children("gunicorn")
            if children:
                os.kill(random.choice(children), signal.SIGKILL)
            detail = f"1 of {len(children)}"
        elif fault == "db-terminate":
            detail = f"{terminate_connections(desk)} connections"
        else:
            raise ValueError(fault)
        end = record.now()
        database = fault == "db-terminate"
        if database:
            end = start + DB_OUTAGE_SECONDS
        with record.lock:
            record.windows.append(Window(f"{fault} ({detail})", start, end, database))
        LOG(f"chaos: {start:6.1f} s  {fault} ({detail})")


# --- Catching up, and the invariants --------------------------------------------------


def unsent_count() -> int:
    from django.db import connection

    from notifications.models import Notification

    connection.close()
    done = {"sent", "sent_unknown"}
    return Notification.objects.exclude(status__in=done).count()


def wait_for_catch_up(desk: Desk, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if unsent_count() == 0:
                # The sink has what was marked sent (DATA answered before the row update).
                time.sleep(2)
                break
        except Exception as error:
            LOG(f"chaos: catch-up check failed: {error}")
        time.sleep(2)
    return time.monotonic() - start


def check(desk: Desk, record: Record) -> list[tuple[str, str, str, bool]]:
    from django.db import connection
    from django.db.models import Count

    from cases.models import Case, CaseEvent, ContactAttempt
    from notifications.models import Notification

    connection.close()
    rows: list[tuple[str, str, str, bool]] = []

    # 1. Every success answer to a filing has its case.
    created = set(record.created)
    found = set(Case.objects.filter(reference__in=created).values_list("reference", flat=True))
    rows.append(
        (
            "every API 201 / portal filing has its case",
            f"{len(created)}",
            f"{len(found)}",
            found == created,
        )
    )

    # 2. The outbox: every row sent, and at the sink once (or a recorded duplicate).
    fields = {field.name for field in Notification._meta.get_fields()}
    flag = "possible_duplicate" if "possible_duplicate" in fields else None
    values = ["status", "message_id", *([flag] if flag else [])]
    outbox = list(Notification.objects.values(*values))
    by_status = collections.Counter(row["status"] for row in outbox)
    unsent = sum(n for status, n in by_status.items() if status not in ("sent", "sent_unknown"))
    rows.append(
        (
            "every outbox row sent",
            f"{len(outbox)} sent",
            ", ".join(f"{n} {status}" for status, n in sorted(by_status.items())),
            unsent == 0,
        )
    )
    with desk.sink.lock:
        contents = [item.content for item in desk.sink.delivered]
    received = collections.Counter()
    for content in contents:
        match = re.search(rb"^Message-ID:\s*(\S+)", content, re.MULTILINE | re.IGNORECASE)
        received[match.group(1).decode() if match else "?"] += 1
    missing = duplicated = recorded = 0
    for row in outbox:
        if row["status"] not in ("sent", "sent_unknown"):
            continue
        count = received.get(row["message_id"], 0)
        if count == 0:
            missing += 1
        elif count > 1:
            if (flag and row[flag]) or row["status"] == "sent_unknown":
                recorded += 1
            else:
                duplicated += 1
    known = {row["message_id"] for row in outbox}
    strangers = sum(n for mid, n in received.items() if mid not in known)
    rows.append(
        (
            "every sent row received by the sink",
            "0 missing",
            f"{missing} missing ({len(contents)} messages at the sink)",
            missing == 0,
        )
    )
    rows.append(
        (
            "no unrecorded duplicate (by Message-ID)",
            "0",
            f"{duplicated} ({recorded} recorded, {strangers} unknown ids)",
            duplicated == 0 and strangers == 0,
        )
    )

    # 3. Unique contact attempts, SLA alerts and closures.
    attempts = (
        ContactAttempt.objects.values("case", "round", "number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    rows.append(("duplicate contact attempts", "0", str(attempts), attempts == 0))
    alert_kinds = [
        CaseEvent.Kind.SLA_AT_RISK,
        CaseEvent.Kind.SLA_BREACHED,
        CaseEvent.Kind.ESCALATED,
        CaseEvent.Kind.UPDATE_REMINDER,
    ]
    alerts = CaseEvent.objects.filter(kind__in=alert_kinds)
    by_key = (
        alerts.exclude(dedupe_key="")
        .values("case", "dedupe_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    by_data = alerts.values("case", "kind", "data").annotate(n=Count("id")).filter(n__gt=1).count()
    rows.append(
        (
            "duplicate SLA alerts",
            "0",
            f"{by_key + by_data} (of {alerts.count()})",
            by_key + by_data == 0,
        )
    )
    closures = 0
    last: dict[int, str] = {}
    for case_id, kind in (
        CaseEvent.objects.filter(kind__in=[CaseEvent.Kind.CLOSED, CaseEvent.Kind.REOPENED])
        .order_by("case_id", "created_at", "id")
        .values_list("case_id", "kind")
    ):
        if kind == CaseEvent.Kind.CLOSED and last.get(case_id) == CaseEvent.Kind.CLOSED:
            closures += 1
        last[case_id] = kind
    rows.append(("duplicate closures (closed twice, no reopen)", "0", str(closures), closures == 0))

    # 4. One winner per conflicting pair, and the winner owns the case.
    decided = [pair for pair in record.pairs if set(pair["answers"].values()) <= {200, 409, 412}]
    wrong = [pair for pair in decided if list(pair["answers"].values()).count(200) != 1]
    owners = dict(
        Case.objects.filter(reference__in=[p["reference"] for p in decided]).values_list(
            "reference", "owner__username"
        )
    )
    lost = [
        pair
        for pair in decided
        if pair not in wrong
        and owners.get(pair["reference"])
        != next(name for name, status in pair["answers"].items() if status == 200)
    ]
    rows.append(
        (
            "one winner per conflicting pair",
            f"{len(decided)} pairs",
            f"{len(decided) - len(wrong)} one winner, {len(wrong)} not, {len(lost)} lost updates"
            f" ({len(record.pairs) - len(decided)} pairs cut by a fault)",
            not wrong and not lost and bool(decided),
        )
    )

    # 5. 5xx only inside a database outage.
    database = [w for w in record.windows if w.database]
    outside = [
        a
        for a in record.answers
        if a.status >= 500 and not any(w.start - 1 <= a.at <= w.end for w in database)
    ]
    api_outside = [a for a in outside if a.kind.startswith("api")]
    rows.append(("API 5xx outside a database outage", "0", str(len(api_outside)), not api_outside))
    if outside:
        LOG("5xx outside a database outage (seconds after start, kind):")
        LOG("  " + ", ".join(f"{a.at:.1f} {a.kind}" for a in outside[:40]))
    rows.append(
        (
            "portal/staff 5xx outside a database outage",
            "0",
            str(len(outside) - len(api_outside)),
            len(outside) == len(api_outside),
        )
    )

    # 6. The sweeps caught up.
    from django.utils import timezone

    late = timezone.now() - __import__("datetime").timedelta(seconds=6 * AUTOMATION_INTERVAL)
    behind = sum(
        Case.objects.filter(**{f"{field}__lt": late}).count()
        for field in ("next_sla_alert_at", "follow_up_due_at", "auto_close_at")
    )
    rows.append(("sweeps caught up (nothing due 30 s ago)", "0", str(behind), behind == 0))
    return rows


def print_answers(record: Record) -> None:
    by_kind: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for a in record.answers:
        by_kind[a.kind][a.status] += 1
    LOG("\nAnswers by kind (status: count; 0 = no answer):")
    for kind, counts in sorted(by_kind.items()):
        LOG(f"  {kind:<16} " + ", ".join(f"{s}: {n}" for s, n in sorted(counts.items())))
    LOG("\nFault windows (answers started inside, 5xx, no answer, median ms):")
    windows = [*record.windows]
    for w in windows:
        inside = [a for a in record.answers if w.start - 1 <= a.at <= max(w.end, w.start + 5)]
        errors = sum(1 for a in inside if a.status >= 500)
        none = sum(1 for a in inside if a.status == 0)
        ms = sorted(a.ms for a in inside) or [0.0]
        LOG(
            f"  {w.start:6.1f}–{max(w.end, w.start + 5):6.1f} s  {w.name:<40} {len(inside):>5}"
            f"  5xx {errors:>4}  none {none:>3}  {ms[len(ms) // 2]:7.0f} ms"
        )
    quiet = [
        a
        for a in record.answers
        if not any(w.start - 1 <= a.at <= max(w.end, w.start + 5) for w in windows)
    ]
    ms = sorted(a.ms for a in quiet) or [0.0]
    LOG(
        f"  outside any fault                               {len(quiet):>5}"
        f"  5xx {sum(1 for a in quiet if a.status >= 500):>4}"
        f"  none {sum(1 for a in quiet if a.status == 0):>3}  {ms[len(ms) // 2]:7.0f} ms"
    )


def print_table(rows: list[tuple[str, str, str, bool]]) -> None:
    LOG("\n| invariant | expected | observed | result |")
    LOG("|---|---|---|---|")
    for name, expected, observed, ok in rows:
        LOG(f"| {name} | {expected} | {observed} | {'pass' if ok else 'FAIL'} |")
    failed = sum(1 for *_, ok in rows if not ok)
    LOG(f"\nchaos: {len(rows) - failed} of {len(rows)} invariants passed")


# --- Main -----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="workload seconds")
    parser.add_argument("--short", action="store_true", help="about 60 s, four faults")
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    parser.add_argument("--api-threads", type=int, default=3)
    parser.add_argument("--catch-up", type=float, default=None, help="max seconds to wait")
    args = parser.parse_args()
    duration = 60.0 if args.short else args.duration
    catch_up = args.catch_up or (150.0 if args.short else 240.0)
    # Set-up (migrate, seed, collectstatic) takes a minute or two on a busy machine.
    overall = duration + catch_up + 600

    desk = Desk(args)
    atexit.register(desk.down)

    def on_signal(number: int, _frame: object) -> None:
        desk.down()
        sys.exit(128 + number)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, on_signal)

    def overall_timeout() -> None:
        LOG(f"chaos: overall timeout ({overall:.0f} s) reached; stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Timer(overall, overall_timeout)
    timer.daemon = True
    timer.start()
    try:
        desk.up()
        django_setup(desk)
        people = prepare_people()
        record = Record()
        workload = Workload(desk, people, record, duration)
        threads = workload.run(args.api_threads)
        stop = threading.Event()
        plan = schedule(duration, args.short)
        injector = threading.Thread(target=inject, args=(desk, record, plan, stop), daemon=True)
        injector.start()
        for thread in threads:
            thread.join(timeout=duration + 120)
        workload.stop.set()
        injector.join(timeout=120)
        stop.set()
        LOG(f"chaos: workload done at {record.now():.0f} s: {len(record.answers)} answers")
        waited = wait_for_catch_up(desk, catch_up)
        LOG(f"chaos: caught up in {waited:.0f} s (bound {catch_up:.0f} s)")
        print_answers(record)
        rows = check(desk, record)
        rows.insert(
            0,
            (
                "outbox caught up within the bound",
                f"<= {catch_up:.0f} s",
                f"{waited:.0f} s",
                waited < catch_up,
            ),
        )
        print_table(rows)
        summary = {
            "answers": len(record.answers),
            "created": len(record.created),
            "pairs": len(record.pairs),
            "faults": [dataclasses.asdict(w) for w in record.windows],
        }
        LOG("chaos: " + json.dumps(summary))
        return 0 if all(ok for *_, ok in rows) else 1
    finally:
        timer.cancel()
        desk.down()


if __name__ == "__main__":
    sys.exit(main())
