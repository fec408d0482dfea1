"""The outbox: rows written with the change, delivered once, retried with backoff."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import delivery
from notifications.models import Notification, NotificationPreference
from notifications.services import outbox_enqueue
from notifications.tasks import send_notification, send_pending_notifications
from tests.factories import UserFactory
from tests.mailserver import free_port

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def enqueue(key: str = "k1", recipient: str = "ann@acme.test", **overrides) -> list[int]:
    data = {
        "recipient": recipient,
        "event": "case.support_replied",
        "template": "case_support_replied",
        "context": {
            "reference": "ACME-00001",
            "summary": "Export <fails>",
            "tenant": "Acme",
            "actor_name": "Eve",
            "recipient_name": "Ann",
            "body": "Try <b>this</b> & that.",
            "case_url": "http://testserver/cases/ACME-00001/",
        },
        "dedup_key": key,
    }
    data.update(overrides)
    return outbox_enqueue(**data)


def test_rows_are_enqueued_for_delivery_only_when_the_transaction_commits(
    django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        ids = enqueue()
        assert published == []
    assert published == ids
    assert Notification.objects.get().status == Notification.Status.PENDING


def test_rolled_back_change_leaves_no_message_and_enqueues_nothing(
    django_capture_on_commit_callbacks, published
):
    def failing_change() -> None:
        with transaction.atomic():
            enqueue()
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_change()
    assert not Notification.objects.exists()
    assert published == []


def test_same_key_twice_writes_one_message_and_sends_it_once():
    first = enqueue("same")
    second = enqueue("same")
    assert first == second
    assert Notification.objects.count() == 1
    send_notification(first[0])
    send_notification(first[0])
    assert len(mail.outbox) == 1


def test_double_delivery_attempts_send_once():
    (notification_id,) = enqueue()
    delivery.notifications_deliver([notification_id])
    delivery.notifications_deliver([notification_id])
    send_notification(notification_id)
    send_pending_notifications()
    assert len(mail.outbox) == 1
    row = Notification.objects.get()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 1)
    assert row.sent_at is not None


def test_a_row_claimed_by_another_worker_is_skipped():
    (notification_id,) = enqueue()
    assert delivery._claim([notification_id])
    assert delivery.notifications_deliver([notification_id])[delivery.Outcome.SKIPPED] == 1
    assert mail.outbox == []


def test_rendered_email_escapes_html_but_not_plain_text_and_threads_the_case():
    (notification_id,) = enqueue(
        reply_to="support+token@supportdesk.local", references=["<case.acme-00001@x>"]
    )
    send_notification(notification_id)
    (message,) = mail.outbox
    row = Notification.objects.get()
    assert message.subject == "[ACME-00001] Export <fails>"
    assert "Try <b>this</b> & that." in message.body
    html = message.alternatives[0][0]
    assert "Try &lt;b&gt;this&lt;/b&gt; &amp; that." in html
    assert message.extra_headers["Message-ID"] == row.message_id
    assert message.extra_headers["In-Reply-To"] == "<case.acme-00001@x>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.reply_to == ["support+token@supportdesk.local"]


def test_turned_off_event_writes_no_message():
    user = UserFactory(username="ann@acme.test")
    NotificationPreference.objects.create(user=user, event="case.support_replied", enabled=False)
    assert enqueue(user_id=user.id) == []
    assert enqueue("other", recipient="list@acme.test") != []
    assert list(Notification.objects.values_list("recipient", flat=True)) == ["list@acme.test"]


def test_unreachable_mail_server_leaves_message_pending_with_error_and_backoff(settings):
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with time_machine.travel(START, tick=False):
        (notification_id,) = enqueue()
        assert send_notification(notification_id) == "retry"
    row = Notification.objects.get()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == START + dt.timedelta(minutes=1)

    with time_machine.travel(START + dt.timedelta(seconds=30), tick=False):
        assert send_pending_notifications()["retry"] == 0  # not due yet
    with time_machine.travel(START + dt.timedelta(minutes=1), tick=False):
        send_pending_notifications()
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at == START + dt.timedelta(minutes=3)  # then 2 minutes later


def test_backoff_doubles_up_to_the_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 60, 3600
    delays = [delivery.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_message_fails_for_good_after_the_last_attempt(settings):
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.OUTBOX_MAX_ATTEMPTS = 2
    with time_machine.travel(START, tick=False) as traveller:
        enqueue()
        send_pending_notifications()
        traveller.shift(dt.timedelta(hours=1))
        send_pending_notifications()
        traveller.shift(dt.timedelta(hours=1))
        send_pending_notifications()
    row = Notification.objects.get()
    assert (row.status, row.attempts) == (Notification.Status.FAILED, 2)


def test_recipient_refused_by_the_server_fails_without_retrying(smtp_sink):
    smtp_sink.refused.add("gone@acme.test")
    enqueue("a", recipient="gone@acme.test")
    enqueue("b", recipient="ann@acme.test")
    send_pending_notifications()
    statuses = dict(Notification.objects.values_list("recipient", "status"))
    assert statuses == {"gone@acme.test": "failed", "ann@acme.test": "sent"}
    assert "550" in Notification.objects.get(recipient="gone@acme.test").last_error
    assert [d.rcpt_tos for d in smtp_sink.delivered] == [["ann@acme.test"]]


def test_template_that_cannot_render_fails_at_once_with_the_error():
    (notification_id,) = enqueue(template="no_such_email")
    assert send_notification(notification_id) == "failed"
    row = Notification.objects.get()
    assert row.status == Notification.Status.FAILED
    assert "TemplateDoesNotExist" in row.last_error


def test_message_stuck_in_sending_is_taken_again_once_its_lease_lapses(settings):
    with time_machine.travel(START, tick=False) as traveller:
        (notification_id,) = enqueue()
        assert delivery._claim([notification_id])  # a worker that then died
        assert send_pending_notifications()["sent"] == 0
        traveller.shift(dt.timedelta(seconds=settings.OUTBOX_SEND_LEASE_SECONDS))
        assert send_pending_notifications()["sent"] == 1
    assert len(mail.outbox) == 1
    assert Notification.objects.get().attempts == 2


def test_sweep_delivers_rows_whose_enqueue_never_reached_a_worker(smtp_sink):
    for n in range(5):
        enqueue(f"k{n}", recipient=f"user{n}@acme.test")
    assert send_pending_notifications()["sent"] == 5
    assert sorted(d.rcpt_tos[0] for d in smtp_sink.delivered) == [
        f"user{n}@acme.test" for n in range(5)
    ]
    assert send_pending_notifications()["sent"] == 0


def test_broker_down_on_commit_is_logged_and_the_row_stays_for_the_sweep(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker at 127.0.0.1:6379 refused")

    monkeypatch.setattr(send_notification, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue()
    assert "stay pending for the re-send sweep" in caplog.text
    assert Notification.objects.get().status == Notification.Status.PENDING
    send_pending_notifications()
    assert len(mail.outbox) == 1


def test_due_rows_are_read_oldest_first(settings):
    with time_machine.travel(START, tick=False) as traveller:
        enqueue("older", recipient="first@acme.test")
        traveller.shift(dt.timedelta(seconds=5))
        enqueue("newer", recipient="second@acme.test")
        send_pending_notifications()
    assert [m.to for m in mail.outbox] == [["first@acme.test"], ["second@acme.test"]]
    assert all(row.sent_at <= timezone.now() for row in Notification.objects.all())
