"""At-least-once mail (issue 20): through SMTP an attempt is marked before DATA and the
server's answer recorded with `sent` right after, so a worker killed between the server's
acceptance and our record leaves the row `sent_unknown` (not resent before the grace),
while one killed before DATA is simply sent again. Every attempt has the same Message-ID.
Against the real loopback SMTP sink (tests/mailserver.py)."""

import datetime as dt
import smtplib

import pytest
import time_machine

from notifications import delivery
from notifications.models import Notification
from notifications.services import (
    notification_mark_delivered,
    notification_resend_now,
    notification_retry,
)
from notifications.tasks import send_pending_notifications
from supportdesk.errors import NotPermitted, StateConflict
from tests.notifications.test_outbox import START, enqueue

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What `kill -9` does to a worker, as far as the row can tell: nothing after it runs
    (no `except Exception` catches it)."""


def _crash_after(monkeypatch, command: str) -> None:
    """The worker dies right after the server answered `command` (e.g. DATA accepted)."""
    original = getattr(smtplib.SMTP, command)

    def then_die(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise WorkerKilled

    monkeypatch.setattr(smtplib.SMTP, command, then_die)


def _row() -> Notification:
    return Notification.objects.get()


def _message_ids(sink) -> list[str]:
    return [message["Message-ID"] for message in sink.messages]


def test_smtp_delivery_records_the_servers_queue_id_with_sent(smtp_sink):
    enqueue()
    assert send_pending_notifications()["sent"] == 1
    row = _row()
    (delivered,) = smtp_sink.delivered
    assert row.status == Notification.Status.SENT
    assert row.smtp_reply == f"250 2.0.0 Ok: queued as {delivered.queue_id}"
    assert row.data_started_at is not None
    assert row.possible_duplicate is False


def test_crash_after_data_accepted_is_sent_unknown_after_the_lease_and_resent_only_after_grace(
    smtp_sink, monkeypatch, settings
):
    settings.OUTBOX_SENT_UNKNOWN_RESEND_AFTER = 1800
    with time_machine.travel(START, tick=False) as traveller:
        enqueue()
        _crash_after(monkeypatch, "data")
        with pytest.raises(WorkerKilled):
            send_pending_notifications()
        monkeypatch.undo()
        row = _row()
        assert (row.status, row.data_started_at, row.smtp_reply) == ("sending", START, "")
        assert len(smtp_sink.delivered) == 1

        traveller.shift(dt.timedelta(seconds=settings.OUTBOX_SEND_LEASE_SECONDS))
        assert send_pending_notifications()["sent_unknown"] == 1
        assert _row().status == Notification.Status.SENT_UNKNOWN
        assert len(smtp_sink.delivered) == 1

        traveller.move_to(START + dt.timedelta(seconds=1799))
        send_pending_notifications()
        assert _row().status == Notification.Status.SENT_UNKNOWN
        assert len(smtp_sink.delivered) == 1

        traveller.move_to(START + dt.timedelta(seconds=1800))
        assert send_pending_notifications()["sent"] == 1
    row = _row()
    assert (row.status, row.attempts, row.possible_duplicate) == ("sent", 2, True)
    assert row.smtp_reply.endswith(smtp_sink.delivered[1].queue_id)
    assert _message_ids(smtp_sink) == [row.message_id, row.message_id]


def test_sent_unknown_is_never_resent_by_the_sweep_when_the_grace_is_zero(
    smtp_sink, monkeypatch, settings
):
    settings.OUTBOX_SENT_UNKNOWN_RESEND_AFTER = 0
    with time_machine.travel(START, tick=False) as traveller:
        enqueue()
        _crash_after(monkeypatch, "data")
        with pytest.raises(WorkerKilled):
            send_pending_notifications()
        monkeypatch.undo()
        traveller.shift(dt.timedelta(days=30))
        send_pending_notifications()
        send_pending_notifications()
    assert _row().status == Notification.Status.SENT_UNKNOWN
    assert len(smtp_sink.delivered) == 1


def test_crash_before_data_is_sent_again_once_after_the_lease_with_the_same_message_id(
    smtp_sink, monkeypatch, settings
):
    with time_machine.travel(START, tick=False) as traveller:
        enqueue()
        _crash_after(monkeypatch, "rcpt")
        with pytest.raises(WorkerKilled):
            send_pending_notifications()
        monkeypatch.undo()
        row = _row()
        assert (row.status, row.data_started_at) == ("sending", None)
        assert smtp_sink.delivered == []

        traveller.shift(dt.timedelta(seconds=settings.OUTBOX_SEND_LEASE_SECONDS))
        assert send_pending_notifications()["sent"] == 1
        assert send_pending_notifications()["sent"] == 0
    row = _row()
    assert (row.status, row.attempts, row.possible_duplicate) == ("sent", 2, False)
    assert _message_ids(smtp_sink) == [row.message_id]


def test_every_attempt_of_a_row_carries_the_same_message_id(smtp_sink, monkeypatch):
    """A 4xx answer to DATA, then a retry: both attempts reach the server's DATA phase
    (the sink records the message before answering) with the row's one Message-ID."""
    original = smtplib.SMTP.data

    def busy_once(self, msg):
        monkeypatch.setattr(smtplib.SMTP, "data", original)
        original(self, msg)
        return 451, b"4.3.0 Try again later"

    monkeypatch.setattr(smtplib.SMTP, "data", busy_once)
    with time_machine.travel(START, tick=False) as traveller:
        enqueue()
        assert send_pending_notifications()["retry"] == 1
        row = _row()
        assert (row.status, row.data_started_at) == ("pending", None)
        traveller.shift(dt.timedelta(minutes=1))
        assert send_pending_notifications()["sent"] == 1
    assert _message_ids(smtp_sink) == [_row().message_id] * 2


def test_connection_broken_during_data_makes_the_row_sent_unknown_at_once(smtp_sink, monkeypatch):
    original = smtplib.SMTP.data

    def cut(self, msg):
        original(self, msg)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(smtplib.SMTP, "data", cut)
    enqueue()
    assert send_pending_notifications()["sent_unknown"] == 1
    row = _row()
    assert row.status == Notification.Status.SENT_UNKNOWN
    assert "DATA sent, no answer" in row.last_error


def test_a_worker_whose_lease_lapsed_stops_before_data(smtp_sink, settings):
    with time_machine.travel(START, tick=False) as traveller:
        (notification_id,) = enqueue()
        (slow,) = delivery._claim([notification_id])
        traveller.shift(dt.timedelta(seconds=settings.OUTBOX_SEND_LEASE_SECONDS))
        assert send_pending_notifications()["sent"] == 1  # another worker took it over
        connection = delivery.delivery_connection()
        connection.open()
        try:
            assert delivery._deliver_claimed(slow, connection) == delivery.Outcome.SKIPPED
        finally:
            connection.close()
    assert len(smtp_sink.delivered) == 1


def _unknown(settings) -> Notification:
    (notification_id,) = enqueue()
    Notification.objects.filter(id=notification_id).update(
        status=Notification.Status.SENT_UNKNOWN, data_started_at=START, attempts=1
    )
    return Notification.objects.get(id=notification_id)


def test_manager_marks_a_message_of_unknown_outcome_delivered_and_it_is_never_sent(
    cast, settings, smtp_sink
):
    row = _unknown(settings)
    notification_mark_delivered(actor=cast.manager, notification_id=row.id)
    row.refresh_from_db()
    assert (row.status, row.sent_at, row.possible_duplicate) == ("sent", START, False)
    send_pending_notifications()
    assert smtp_sink.delivered == []


def test_manager_sends_a_message_of_unknown_outcome_again_now_flagged_as_possible_duplicate(
    cast, settings, smtp_sink, django_capture_on_commit_callbacks
):
    settings.OUTBOX_SENT_UNKNOWN_RESEND_AFTER = 0
    row = _unknown(settings)
    with django_capture_on_commit_callbacks(execute=False):
        notification_resend_now(actor=cast.manager, notification_id=row.id)
    send_pending_notifications()
    row.refresh_from_db()
    assert (row.status, row.possible_duplicate) == ("sent", True)
    assert _message_ids(smtp_sink) == [row.message_id]


def test_unknown_outcome_actions_refuse_other_roles_and_other_states(cast, settings):
    row = _unknown(settings)
    for service in (notification_mark_delivered, notification_resend_now):
        with pytest.raises(NotPermitted):
            service(actor=cast.engineer, notification_id=row.id)
    with pytest.raises(StateConflict, match="may have been delivered"):
        notification_retry(actor=cast.manager, notification_id=row.id)
    assert Notification.objects.get(id=row.id).status == Notification.Status.SENT_UNKNOWN
    Notification.objects.filter(id=row.id).update(status=Notification.Status.FAILED)
    for service in (notification_mark_delivered, notification_resend_now):
        with pytest.raises(StateConflict, match="not of unknown outcome"):
            service(actor=cast.manager, notification_id=row.id)
    assert Notification.objects.get(id=row.id).status == Notification.Status.FAILED
