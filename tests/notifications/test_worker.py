"""The outbox with a real Celery worker and real concurrency (transactions commit here)."""

import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker

from cases import services
from notifications import delivery
from notifications.models import Notification
from notifications.services import outbox_enqueue
from supportdesk.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, seconds: float = 20.0) -> bool:
    """Poll for work a worker thread does asynchronously (not a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_committed_change_is_delivered_by_a_celery_worker(cast, smtp_sink):
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        case = services.case_create(
            actor=cast.contact_a,
            tenant_id=cast.tenant_a.id,
            summary="Delivered by the worker",
            category="bug",
            priority="P2",
            environment_access="granted",
        )
        assert wait_for(lambda: len(smtp_sink.delivered) == 1)
    (message,) = smtp_sink.messages
    assert message["To"] == "ann@acme.test"
    assert message["Subject"] == f"[{case.reference}] Delivered by the worker"
    assert Notification.objects.get().status == Notification.Status.SENT


def test_two_senders_racing_over_the_same_rows_send_each_once(smtp_sink):
    ids = [
        outbox_enqueue(
            recipient=f"user{n}@acme.test",
            event="case.support_replied",
            template="case_support_replied",
            context={"reference": f"ACME-{n:05d}", "summary": "Race", "body": "Hi"},
            dedup_key=f"race-{n}",
        )[0]
        for n in range(40)
    ]
    start = threading.Barrier(4)
    results = []

    def sender() -> None:
        from django.db import connection

        start.wait()
        try:
            results.append(delivery.notifications_deliver(ids))
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["sent"] for r in results) == 40
    assert sorted(d.rcpt_tos[0] for d in smtp_sink.delivered) == sorted(
        f"user{n}@acme.test" for n in range(40)
    )
