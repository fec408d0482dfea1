"""What an outbox row says is sealed at rest: written sealed by every producer, opened by
delivery only, under keys that rotate."""

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from notifications.models import Notification
from notifications.sealing import SealedPayload
from notifications.services import outbox_enqueue
from notifications.tasks import send_pending_notifications
from supportdesk.encryption import UndecryptableSecret, derived_key
from supportdesk.env import env_fernet_keys

pytestmark = pytest.mark.django_db

SECRET = "https://desk.example.com/invite/zqxSECRETmarker7-abcdef0123456789/"
OUTBOX = "notifications.backends.OutboxEmailBackend"


def _raw_payloads() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Notification._meta.db_table}")  # noqa: S608
        return repr(cursor.fetchall())


def enqueue(key: str = "k1") -> int:
    (notification_id,) = outbox_enqueue(
        recipient="ann@acme.test",
        event="case.support_replied",
        template="case_support_replied",
        context={
            "reference": "ACME-00001",
            "summary": "Export fails",
            "tenant": "Acme",
            "actor_name": "Eve",
            "recipient_name": "Ann",
            "body": f"Open {SECRET}",
            "case_url": SECRET,
        },
        dedup_key=key,
        reply_to="support+1.abcdefghijklmnop@supportdesk.local",
    )
    return notification_id


def test_a_templated_message_is_stored_sealed_and_delivered_as_written():
    enqueue()
    raw = _raw_payloads()
    assert "zqxSECRETmarker7" not in raw
    assert "abcdefghijklmnop" not in raw
    row = Notification.objects.get()
    assert str(row.payload) == "[sealed]"
    assert repr(Notification.objects.values("payload").get()) == "{'payload': [sealed]}"
    send_pending_notifications()
    (sent,) = mail.outbox
    assert SECRET in sent.body
    assert sent.reply_to == ["support+1.abcdefghijklmnop@supportdesk.local"]


def test_django_mail_and_its_attachments_are_stored_sealed(settings):
    settings.EMAIL_BACKEND = OUTBOX
    message = EmailMessage("Invitation", f"Set your password: {SECRET}", to=["new@acme.test"])
    message.attach("invite.ics", f"URL:{SECRET}", "text/calendar")
    message.send()
    assert "zqxSECRETmarker7" not in _raw_payloads()
    send_pending_notifications()
    (sent,) = mail.outbox
    assert SECRET in sent.body
    assert sent.attachments[0][1] == f"URL:{SECRET}"


@pytest.mark.parametrize("plain", ["a secret link", b"bytes", ["a", "list"]])
def test_plain_text_cannot_be_written_to_the_payload(plain):
    enqueue()
    with pytest.raises(TypeError, match="sealed payload"), transaction.atomic():
        Notification.objects.update(payload=plain)
    row = Notification.objects.get()
    row.payload = plain
    with pytest.raises(TypeError, match="sealed payload"), transaction.atomic():
        row.save()
    assert Notification.objects.get().payload.open()["reply_to"]


def test_a_mapping_written_by_any_path_is_sealed():
    enqueue()
    Notification.objects.update(payload={"context": {"note": SECRET}})
    assert "zqxSECRETmarker7" not in _raw_payloads()
    assert Notification.objects.get().payload.open() == {"context": {"note": SECRET}}


def test_keys_rotate_old_rows_open_and_are_resealed_under_the_new_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    enqueue("before")
    settings.ENCRYPTION_KEYS = [new, old]
    enqueue("after")
    before = Notification.objects.get(dedup_key="before").payload
    call_command("outbox_reseal", stdout=open("/dev/null", "w"))  # noqa: SIM115
    resealed = Notification.objects.get(dedup_key="before").payload
    assert resealed != before
    settings.ENCRYPTION_KEYS = [new]
    assert send_pending_notifications()["sent"] == 2
    assert all(SECRET in message.body for message in mail.outbox)


def test_a_message_sealed_under_a_key_no_longer_configured_fails_clearly(settings):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    enqueue()
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(UndecryptableSecret):
        Notification.objects.get().payload.open()
    assert send_pending_notifications()["failed"] == 1
    row = Notification.objects.get()
    assert (row.status, mail.outbox) == (Notification.Status.FAILED, [])
    assert "ENCRYPTION_KEYS" in row.last_error


def test_without_the_setting_the_key_follows_secret_key_and_its_fallbacks(settings):
    settings.ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "the-old-secret-key-" + "x" * 40
    enqueue()
    assert Notification.objects.get().payload.token
    settings.SECRET_KEY = "the-new-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-" + "x" * 40]
    assert send_pending_notifications()["sent"] == 1
    assert derived_key("a") != derived_key("b")
    assert Fernet(derived_key("a"))  # a valid Fernet key


def test_a_wrong_key_in_the_setting_stops_the_start_naming_the_variable(monkeypatch):
    monkeypatch.setenv("ENCRYPTION_KEYS", f"{Fernet.generate_key().decode()},not-a-key")
    with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEYS: key 2"):
        env_fernet_keys("ENCRYPTION_KEYS")
    monkeypatch.setenv("ENCRYPTION_KEYS", "")
    assert env_fernet_keys("ENCRYPTION_KEYS") == []


def test_sealed_payloads_compare_by_token():
    sealed = SealedPayload.seal({"a": 1})
    assert sealed == SealedPayload(sealed.token)
    assert sealed != SealedPayload.seal({"a": 1})  # a fresh IV every time


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_rows_stored_in_plain_text():
    executor = MigrationExecutor(connection)
    plain = [("notifications", "0004_notification_attachments")]
    sealed = [("notifications", "0005_sealed_payload")]
    executor.migrate(plain)
    try:
        executor.loader.build_graph()
        old = executor.loader.project_state(plain).apps.get_model("notifications", "Notification")
        old.objects.create(
            recipient="ann@acme.test",
            event="mail",
            dedup_key="legacy",
            message_id="<legacy@x>",
            reply_to="support+1.abcdefghijklmnop@supportdesk.local",
            context={
                "message": {
                    "subject": "Reset",
                    "body": f"Open {SECRET}",
                    "from_email": "desk@x",
                    "to": ["ann@acme.test"],
                    "cc": [],
                    "bcc": [],
                    "reply_to": [],
                    "headers": {},
                    "alternatives": [],
                    "attachments": [],
                }
            },
        )
        assert "zqxSECRETmarker7" in _raw_payloads()
        executor = MigrationExecutor(connection)
        executor.migrate(sealed)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    raw = _raw_payloads()
    assert "zqxSECRETmarker7" not in raw
    assert "abcdefghijklmnop" not in raw
    payload = Notification.objects.get(dedup_key="legacy").payload.open()
    assert payload["reply_to"] == "support+1.abcdefghijklmnop@supportdesk.local"
    assert SECRET in payload["context"]["message"]["body"]
