"""The real thing: a Celery worker and the beat as separate processes, on the real Redis
and the test database, keep a follow-up promise without anyone calling a task."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cases.models import CaseEvent, ContactAttempt
from tests.cases.helpers import request_info, taken

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 90

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL.startswith("redis://") or connection.vendor != "postgresql",
        reason="needs a real Redis (REDIS_URL=redis://…) and PostgreSQL (DATABASE_URL), "
        "which the worker and beat processes share with the test",
    ),
]


def _test_database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _start(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "celery", "-A", "supportdesk", *arguments],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def test_worker_and_beat_send_a_due_follow_up(cast, tmp_path):
    # Attempt 1 two weeks ago: attempt 2 has been due for days.
    with time_machine.travel(timezone.now() - timedelta(days=14), tick=False):
        case = request_info(cast, taken(cast))

    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "AUTOMATION_INTERVAL": "1",
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "INFO",
    }
    worker = _start(
        [
            "worker",
            "--loglevel=INFO",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "sla-it@%h",
        ],
        env,
        tmp_path / "worker.log",
    )
    beat = _start(
        [
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
            "--max-interval",
            "1",
        ],
        env,
        tmp_path / "beat.log",
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        # Polls the database the processes write to; no time is simulated here.
        while time.monotonic() < deadline and worker.poll() is None and beat.poll() is None:
            if ContactAttempt.objects.filter(case=case, number=2).exists():
                break
            time.sleep(0.5)
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    logs = "\n".join(
        f"--- {name}\n{(tmp_path / name).read_text()[-3000:]}"
        for name in ("worker.log", "beat.log")
    )
    attempt = ContactAttempt.objects.filter(case=case, number=2).first()
    assert attempt is not None, f"no follow-up within {WAIT_SECONDS}s\n{logs}"
    assert attempt.method == ContactAttempt.Method.FOLLOW_UP
    assert attempt.closure_date is not None
    event = case.events.get(kind=CaseEvent.Kind.CONTACT_ATTEMPT, data__number=2)
    assert event.actor is None
    assert "cases.tasks.send_follow_ups" in logs
