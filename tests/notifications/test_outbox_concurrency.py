"""Two re-send sweeps (two Celery workers) draining one backlog at once: each row goes out
once, whichever sweep wins its claim. Row-level races need PostgreSQL."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from notifications.models import Notification
from notifications.services import notifications_deliver_due
from tests.notifications.test_outbox import enqueue

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
]


def _sweep() -> dict:
    try:
        return notifications_deliver_due(batch_size=50, time_budget=600)
    finally:
        connection.close()


def test_two_sweeps_at_once_send_every_row_of_a_backlog_exactly_once(smtp_sink):
    for n in range(300):
        enqueue(f"backlog:{n}", recipient=f"user{n}@acme.test")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: _sweep(), range(2)))
    assert sum(result["sent"] for result in results) == 300
    assert all(result["sent"] for result in results), results  # both did some of the work
    received = Counter(message["Message-ID"] for message in smtp_sink.messages)
    assert len(received) == 300
    assert set(received.values()) == {1}
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(received) == sorted(Notification.objects.values_list("message_id", flat=True))
