"""Messages per second through the outbox to a local SMTP sink (aiosmtpd on 127.0.0.1).

Run: .venv/bin/python bench/bench_outbox.py [--count N] [--repeats R] [--workers W]

Each run writes N case-reply messages to the outbox (in one transaction, as a burst of
case events would) and then delivers them with the re-send sweep: claim each row with its
compare-and-swap UPDATE, render the text and HTML templates, send over one SMTP
connection, mark it sent. With --workers W, W senders sweep at once (as W Celery workers
would), each with its own database and SMTP connection. The sink runs in its own process,
as a real MTA would. Uses DATABASE_URL when set (e.g. PostgreSQL), otherwise a throwaway
SQLite file. Prints the median of the repeats.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_scratch = tempfile.mkdtemp(prefix="bench-outbox-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_scratch}/bench.sqlite3")
os.environ.setdefault("SUPPORTDESK_VAR_DIR", _scratch)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from notifications.models import Notification  # noqa: E402
from notifications.outbox import OutgoingEmail  # noqa: E402
from notifications.services import notifications_deliver_due, outbox_enqueue_many  # noqa: E402
from tests.mailserver import free_port  # noqa: E402


def start_sink(port: int) -> subprocess.Popen:
    """The test SMTP sink (tests/mailserver.py) in its own process, as a real MTA would
    be: accepts, answers with a queue id as Postfix does, keeps nothing."""
    sink = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "tests.mailserver", str(port)],
        cwd=Path(__file__).resolve().parent.parent,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.05)
    sink.kill()
    raise SystemExit("the SMTP sink did not start")


def _sweep() -> dict:
    """One worker's sweep, on its own database connection and SMTP connection."""
    try:
        return notifications_deliver_due(batch_size=500, time_budget=3600)
    finally:
        connection.close()


def one_run(count: int, run: int, workers: int) -> tuple[float, float]:
    emails = [
        OutgoingEmail(
            recipient=f"customer{n}@acme.test",
            event="case.support_replied",
            template="case_support_replied",
            context={
                "reference": f"ACME-{n:05d}",
                "summary": "Invoices export fails with a timeout",
                "tenant": "Acme Corp",
                "actor_name": "Eve Engineer",
                "recipient_name": "Ann Customer",
                "body": "We raised the export timeout; please try again.\n" * 5,
                "case_url": f"https://desk.example.com/cases/ACME-{n:05d}/",
            },
            dedup_key=f"bench:{run}:{n}",
            reply_to="support+1.abcdefghijklmnop@desk.example.com",
            references=(f"<case.acme-{n:05d}@desk.example.com>",),
        )
        for n in range(count)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        outbox_enqueue_many(emails)
    written = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda _: _sweep(), range(workers)))
    finished = time.perf_counter()
    assert sum(totals["sent"] for totals in results) == count, results
    sent = Notification.objects.filter(dedup_key__startswith=f"bench:{run}:", status="sent")
    assert sent.count() == count
    # Each row was accepted once, with its own queue id recorded.
    assert sent.values("smtp_reply").distinct().count() == count
    return count / (written - started), count / (finished - written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=1, help="concurrent senders (Celery workers)"
    )
    args = parser.parse_args()

    setup_test_environment()
    call_command("migrate", verbosity=0)
    # Nothing in this process publishes to the broker: on-commit callbacks are not run
    # outside a request, and the sweep delivers in-process.
    transaction.on_commit = lambda *a, **k: None
    port = free_port()
    sink = start_sink(port)
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    Notification.objects.filter(dedup_key__startswith="bench:").delete()
    try:
        one_run(min(args.count, 200), -1, args.workers)  # warm up templates and connections
        writes, sends = [], []
        for run in range(args.repeats):
            write_rate, send_rate = one_run(args.count, run, args.workers)
            writes.append(write_rate)
            sends.append(send_rate)
    finally:
        sink.terminate()
        sink.wait()
        Notification.objects.filter(dedup_key__startswith="bench:").delete()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"outbox benchmark: {args.count} messages x {args.repeats} runs, "
        f"{args.workers} sender(s), database {engine}"
    )
    print(
        f"  written to the outbox:        {statistics.median(writes):10,.0f} messages/s"
        f"  (range {min(writes):,.0f}–{max(writes):,.0f})"
    )
    print(
        f"  delivered to the SMTP sink:   {statistics.median(sends):10,.0f} messages/s"
        f"  (range {min(sends):,.0f}–{max(sends):,.0f})"
    )
    print("  load average (1, 5, 15 min):  {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
