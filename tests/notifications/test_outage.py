"""Done means: an outage of the mail server (and of the broker) mid-run delays mail, loses
none and sends none twice."""

import collections
import datetime as dt

import pytest
import time_machine

from cases import services
from notifications.models import Notification
from notifications.tasks import send_notification, send_pending_notifications
from tests.cases.helpers import file_case

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)


def worker_runs(ids: list[int]) -> None:
    """What a worker does with the tasks the broker hands it."""
    for notification_id in ids:
        send_notification(notification_id)
    ids.clear()


def test_mail_server_and_broker_outage_delays_mail_but_delivers_each_exactly_once(
    cast, smtp_sink, published, django_capture_on_commit_callbacks, monkeypatch
):
    def file(summary: str):
        with django_capture_on_commit_callbacks(execute=True):
            case = file_case(cast, summary)
        with django_capture_on_commit_callbacks(execute=True):
            services.case_assign(case_id=case.id, actor=cast.triage_lead, owner=cast.engineer)
        with django_capture_on_commit_callbacks(execute=True):
            services.case_comment(case_id=case.id, actor=cast.engineer, body=f"On it: {summary}")
        return case

    with time_machine.travel(START, tick=False) as clock:
        # All is well: every change's mail goes out as the worker takes the tasks.
        file("Before the outage")
        all_ids = list(published)
        worker_runs(published)
        assert len(smtp_sink.delivered) == 3

        # The mail server goes down mid-run: the worker's attempts fail and wait.
        smtp_sink.stop()
        file("During the mail outage")
        all_ids += published
        worker_runs(published)
        waiting = Notification.objects.exclude(status=Notification.Status.SENT)
        assert waiting.count() == 3
        assert all("ConnectionRefusedError" in row.last_error for row in waiting)

        # The broker goes down too: changes still commit, their mail waits in the outbox.
        real_apply_async = send_notification.apply_async

        def broker_down(*args, **kwargs):
            raise ConnectionRefusedError("redis://127.0.0.1:6379 refused the connection")

        monkeypatch.setattr(send_notification, "apply_async", broker_down)
        file("During the broker outage")
        monkeypatch.setattr(send_notification, "apply_async", real_apply_async)
        assert Notification.objects.exclude(status=Notification.Status.SENT).count() == 6

        # Both come back; the periodic re-send picks up everything still due.
        smtp_sink.start()
        clock.shift(dt.timedelta(minutes=1))
        send_pending_notifications()
        # A late duplicate of every task and a second sweep change nothing.
        worker_runs(all_ids)
        send_pending_notifications()

    rows = Notification.objects.all()
    assert rows.count() == 9
    assert set(rows.values_list("status", flat=True)) == {Notification.Status.SENT}
    received = collections.Counter(message["Message-ID"] for message in smtp_sink.messages)
    assert received == collections.Counter(rows.values_list("message_id", flat=True))
    assert set(received.values()) == {1}
    summaries = collections.Counter(
        message["Subject"].split("] ", 1)[1] for message in smtp_sink.messages
    )
    assert summaries == {
        "Before the outage": 3,
        "During the mail outage": 3,
        "During the broker outage": 3,
    }
