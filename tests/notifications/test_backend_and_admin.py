"""Django's own mail through the outbox, preferences, and the staff pages of both."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.forms import PasswordResetForm
from django.core import mail
from django.core.mail import EmailMultiAlternatives, send_mail
from django.urls import reverse

from cases.inbound import receive_email
from notifications.events import Audience, kinds_for
from notifications.models import InboundEmail, Notification, NotificationPreference
from notifications.preferences import notification_preferences_set, users_who_turned_off
from notifications.tasks import send_pending_notifications
from supportdesk.errors import InvalidInput
from tests.factories import PASSWORD, ContactFactory, UserFactory
from tests.inbound_mail import from_our_mta

pytestmark = pytest.mark.django_db

OUTBOX = "notifications.backends.OutboxEmailBackend"


def test_django_mail_waits_in_the_outbox_and_is_delivered_as_it_was_written(settings):
    settings.EMAIL_BACKEND = OUTBOX
    message = EmailMultiAlternatives(
        "Weekly digest", "Plain text", "desk@example.com", ["a@acme.test"], cc=["b@acme.test"]
    )
    message.attach_alternative("<p>HTML</p>", "text/html")
    message.attach("report.csv", "a,b\n1,2\n", "text/csv")
    assert message.send() == 1
    assert mail.outbox == []
    row = Notification.objects.get()
    assert (row.event, row.recipient, row.template) == ("mail", "a@acme.test", "")
    send_pending_notifications()
    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.from_email) == (
        "Weekly digest",
        "Plain text",
        "desk@example.com",
    )
    assert (sent.to, sent.cc) == (["a@acme.test"], ["b@acme.test"])
    assert sent.alternatives[0][0] == "<p>HTML</p>"
    assert sent.attachments[0][0] == "report.csv"
    assert sent.extra_headers["Message-ID"] == row.message_id


def test_dev_mode_delivers_to_files_under_var_mail_not_to_a_log(tmp_path):
    env = {"PATH": os.environ["PATH"], "DEBUG": "true", "SUPPORTDESK_VAR_DIR": str(tmp_path)}
    shown = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--verbosity=0",
            "-c",
            "from django.conf import settings as s; "
            "print(s.EMAIL_DELIVERY_BACKEND); print(s.EMAIL_FILE_PATH)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == ["notifications.backends.DevMailFileBackend", str(tmp_path / "mail")]


@pytest.mark.urls("tests.notifications.auth_urls")
def test_dev_mail_files_hold_the_message_and_the_logs_do_not(settings, cast, tmp_path, capsys):
    settings.EMAIL_BACKEND = OUTBOX
    settings.EMAIL_DELIVERY_BACKEND = "notifications.backends.DevMailFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    form = PasswordResetForm({"email": cast.contact_a.email})
    assert form.is_valid()
    form.save(domain_override="desk.example.com", use_https=True)
    assert send_pending_notifications()["sent"] == 1
    (written,) = (tmp_path / "mail").iterdir()
    assert written.name.endswith(f"-{cast.contact_a.email}.eml")
    assert "https://desk.example.com/accounts/reset/" in written.read_text()
    assert "/accounts/reset/" not in capsys.readouterr().out


def test_dev_mail_is_one_file_per_message_even_when_sent_in_one_run(settings, tmp_path):
    settings.EMAIL_BACKEND = OUTBOX
    settings.EMAIL_DELIVERY_BACKEND = "notifications.backends.DevMailFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    for recipient in ["a@acme.test", "a@acme.test", "../b/@acme.test"]:
        send_mail("Hello", f"Body for {recipient}", None, [recipient])
    assert send_pending_notifications()["sent"] == 3
    written = sorted((tmp_path / "mail").iterdir())
    assert len(written) == 3
    assert all(path.suffix == ".eml" and path.parent == tmp_path / "mail" for path in written)
    assert sorted(path.read_text().count("Subject: Hello") for path in written) == [1, 1, 1]


@pytest.mark.urls("tests.notifications.auth_urls")
def test_password_reset_email_goes_through_the_outbox(settings, cast):
    settings.EMAIL_BACKEND = OUTBOX
    form = PasswordResetForm({"email": cast.contact_a.email})
    assert form.is_valid()
    form.save(domain_override="desk.example.com", use_https=True)
    assert Notification.objects.get().recipient == cast.contact_a.email
    send_pending_notifications()
    (sent,) = mail.outbox
    assert "https://desk.example.com/accounts/reset/" in sent.body


def test_send_mail_without_recipients_writes_nothing(settings):
    settings.EMAIL_BACKEND = OUTBOX
    assert send_mail("Nobody", "Body", None, []) == 0
    assert not Notification.objects.exists()


def test_preferences_default_on_and_mandatory_emails_cannot_be_turned_off(cast):
    user_id = cast.contact_a.pk
    every = {(user_id, kind.name) for kind in kinds_for(Audience.CUSTOMER)}
    assert users_who_turned_off(every) == set()
    notification_preferences_set(user=cast.contact_a, choices={"case.closed": False})
    assert users_who_turned_off(every) == {(user_id, "case.closed")}
    with pytest.raises(InvalidInput, match="cannot be turned off"):
        notification_preferences_set(user=cast.contact_a, choices={"case.follow_up": False})
    with pytest.raises(InvalidInput, match="Unknown kinds of email"):
        notification_preferences_set(user=cast.contact_a, choices={"case.gossip": False})


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:notifications_inboundemail_changelist",
        "admin:notifications_notificationpreference_changelist",
        "admin:notifications_notificationpreference_add",
    ],
)
def test_staff_pages_of_mail_open_for_an_engineer(client, cast, url_name):
    client.login(username=cast.engineer.username, password=PASSWORD)
    assert client.get(reverse(url_name)).status_code == 200


def test_the_outbox_opens_for_a_manager_and_is_refused_to_an_engineer(client, cast):
    outbox = reverse("admin:notifications_notification_changelist")
    client.login(username=cast.manager.username, password=PASSWORD)
    assert client.get(outbox).status_code == 200
    client.login(username=cast.engineer.username, password=PASSWORD)
    assert client.get(outbox).status_code == 403


def test_customers_cannot_see_the_outbox(client, cast):
    client.login(username=cast.contact_a.username, password=PASSWORD)
    response = client.get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 302


def test_failed_message_can_be_sent_again_but_a_sent_one_cannot(client, cast, settings):
    failed = Notification.objects.create(
        recipient="a@acme.test",
        event="mail",
        template="",
        dedup_key="f",
        message_id="<f@x>",
        status=Notification.Status.FAILED,
        attempts=48,
        payload={
            "context": {
                "message": {
                    "subject": "S",
                    "body": "B",
                    "from_email": "d@x",
                    "to": ["a@acme.test"],
                    "cc": [],
                    "bcc": [],
                    "reply_to": [],
                    "headers": {},
                    "alternatives": [],
                    "attachments": [],
                }
            }
        },
    )
    sent = Notification.objects.create(
        recipient="b@acme.test",
        event="mail",
        dedup_key="s",
        message_id="<s@x>",
        status=Notification.Status.SENT,
    )
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": "retry", "_selected_action": [failed.id, sent.id]},
        follow=True,
    )
    assert "was already sent" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Notification.Status.PENDING, 0)
    send_pending_notifications()
    assert [m.to for m in mail.outbox] == [["a@acme.test"]]


def test_rejected_mail_is_processed_again_once_its_sender_is_a_contact(client, cast):
    raw = (
        b"From: New Person <new@acme.test>\nTo: support@supportdesk.local\n"
        b"Subject: Reports are empty\nMessage-ID: <np-1@acme.test>\n\nAll reports are empty.\n"
    )
    record = receive_email(from_our_mta(raw), source=InboundEmail.Source.PIPE)
    assert record.status == InboundEmail.Status.REJECTED
    ContactFactory(tenant=cast.tenant_a, user=UserFactory(username="new@acme.test"))
    client.login(username=cast.engineer.username, password=PASSWORD)
    client.post(
        reverse("admin:notifications_inboundemail_changelist"),
        {"action": "process_again", "_selected_action": [record.id]},
    )
    record.refresh_from_db()
    assert record.status == InboundEmail.Status.PROCESSED
    assert record.case.summary == "Reports are empty"


def test_staff_choose_their_own_staff_emails_in_the_admin(client, cast):
    NotificationPreference.objects.create(user=cast.manager, event="case.assigned", enabled=False)
    client.login(username=cast.engineer.username, password=PASSWORD)
    response = client.post(
        reverse("admin:notifications_notificationpreference_add"),
        {"event": "case.update_reminder", "enabled": ""},
    )
    assert response.status_code == 302
    mine = NotificationPreference.objects.get(user=cast.engineer)
    assert (mine.event, mine.enabled) == ("case.update_reminder", False)
    listing = client.get(reverse("admin:notifications_notificationpreference_changelist"))
    assert "case.assigned" not in listing.content.decode()
