"""Seal what each outbox row says (context, Reply-To, attachments) into one encrypted
payload, and drop the plain-text columns that held it."""

from django.db import migrations

import notifications.sealing

BATCH = 500


def seal_existing_rows(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    rows = []
    for row in Notification.objects.only("id", "context", "reply_to", "attachments").iterator(
        chunk_size=BATCH
    ):
        row.payload = {
            "context": row.context or {},
            "reply_to": row.reply_to or "",
            "attachments": row.attachments or [],
        }
        rows.append(row)
        if len(rows) == BATCH:
            Notification.objects.bulk_update(rows, ["payload"])
            rows = []
    Notification.objects.bulk_update(rows, ["payload"])


def open_sealed_rows(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    rows = []
    for row in Notification.objects.only("id", "payload").iterator(chunk_size=BATCH):
        payload = row.payload.open()
        row.context = payload.get("context", {})
        row.reply_to = payload.get("reply_to", "")
        row.attachments = payload.get("attachments", [])
        rows.append(row)
        if len(rows) == BATCH:
            Notification.objects.bulk_update(rows, ["context", "reply_to", "attachments"])
            rows = []
    Notification.objects.bulk_update(rows, ["context", "reply_to", "attachments"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_notification_attachments"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="payload",
            field=notifications.sealing.SealedJSONField(
                default=dict,
                help_text="What the message says, encrypted: {context, reply_to, attachments}. "
                "The context of a templated message, or the whole Django message; the "
                "Reply-To (it carries the case's reply token); files such as a calendar "
                "invitation.",
            ),
        ),
        migrations.RunPython(seal_existing_rows, open_sealed_rows, elidable=True),
        migrations.RemoveField(model_name="notification", name="attachments"),
        migrations.RemoveField(model_name="notification", name="context"),
        migrations.RemoveField(model_name="notification", name="reply_to"),
    ]
