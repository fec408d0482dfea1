"""No link or token of a message reaches a staff page, a stored error or a log line."""

import logging
import sys

import pytest
from django.core import mail

from notifications import messages
from notifications.models import Notification
from notifications.redaction import outbox_preview
from notifications.services import notification_retry, notifications_note_bounce, outbox_enqueue
from notifications.tasks import send_notification
from supportdesk.errors import NotPermitted
from supportdesk.redaction import RedactingFormatter, redact

pytestmark = pytest.mark.django_db

RESET = "https://desk.example.com/password-reset/MQ/cz8lpl-2ad58e4c5f3b31e69f7ca6905f/"
SURVEY = (
    "/survey/eyJjYXNlIjoxLCJjbG9zZWQiOiIyMDI2LTEyLTAzVDA3OjQ2OjI1In0:1xZ1WL:"
    "zuu9myCw0eg2YJIk2V6TWa4cPqkw85XV-z7pMJ6z_fw/"
)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"Open {RESET} within a day.", "Open [link redacted] within a day."),
        (
            "Not Found: /password-reset/MQ/cz8lpl-2ad58e4c5f3b31e69f7ca6905f/",
            "Not Found: /password-reset/MQ/[token redacted]/",
        ),
        (f"GET {SURVEY}", "GET /survey/[token redacted]/"),
        (
            "Reply-To: support+1.sj66fc7ywyctsvft@supportdesk.local",
            "Reply-To: support+[token redacted]@supportdesk.local",
        ),
        (
            "Write to mailto:support@x.test or www.x.test/a",
            "Write to [link redacted] or [link redacted]",
        ),
        ("token sdk_abcdefgh1234567890ABCDEFGHIJKLMNOPQRSTUVW", "token [token redacted]"),
    ],
)
def test_links_tokens_and_plus_address_details_are_redacted(text, redacted):
    assert redact(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "Case ACME-00001 is now closed (Duplicate). Thu 03 Dec 2026, 10:00 EST",
        "inbound mail <179628398550.15255.13795493768570780526@supportdesk.local> processed",
        "outbox: notification 12 (case.closed to ann@acme.test) failed on attempt 3",
    ],
)
def test_prose_references_and_message_ids_are_left_alone(text):
    assert redact(text) == text


def test_log_lines_and_their_tracebacks_are_redacted():
    formatter = RedactingFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError(f"could not render {RESET}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "see %s", (RESET,), sys.exc_info()
        )
    line = formatter.format(record)
    assert "cz8lpl" not in line
    assert line.startswith("ERROR see [link redacted]")
    assert "ValueError: could not render [link redacted]" in line


def _enqueue(**overrides) -> int:
    data = {
        "recipient": "ann@acme.test",
        "event": "case.closed",
        "template": "case_closed",
        "context": {
            "reference": "ACME-00001",
            "summary": "Export fails",
            "tenant": "Acme",
            "recipient_name": "Ann",
            "reason": "Resolved",
            "survey_url": f"https://desk.example.com{SURVEY}",
            "case_url": "https://desk.example.com/cases/ACME-00001/",
            "reopen_days": 14,
        },
        "dedup_key": "k",
        "reply_to": "support+1.sj66fc7ywyctsvft@supportdesk.local",
    }
    data.update(overrides)
    (notification_id,) = outbox_enqueue(**data)
    return notification_id


def test_the_preview_shows_the_words_and_no_link_or_token():
    preview = outbox_preview(Notification.objects.get(id=_enqueue()))
    assert preview.subject.startswith("[ACME-00001]")
    assert "Case ACME-00001 is now closed (Resolved)." in preview.body
    assert "[link redacted]" in preview.body
    assert "zuu9my" not in preview.body
    assert preview.reply_to == "support+[token redacted]@supportdesk.local"


def test_a_template_that_fails_leaves_no_link_in_the_error_or_the_log(caplog, monkeypatch):
    def broken(template, context):
        raise ValueError(f"cannot render {context['survey_url']}")

    monkeypatch.setattr(messages, "render_email", broken)
    notification_id = _enqueue()
    caplog.set_level(logging.DEBUG)
    assert send_notification(notification_id) == "failed"
    row = Notification.objects.get()
    assert row.last_error == "ValueError: cannot render [link redacted]"
    assert "zuu9my" not in caplog.text
    assert "cannot render [link redacted]" in caplog.text
    assert outbox_preview(row).problem == "ValueError: cannot render [link redacted]"
    assert mail.outbox == []


def test_a_bounce_notes_its_subject_without_links():
    row = Notification.objects.get(id=_enqueue())
    notifications_note_bounce(message_ids=[row.message_id], subject=f"Undeliverable: {RESET}")
    row.refresh_from_db()
    assert row.last_error == "Bounced: Undeliverable: [link redacted]"


def test_only_a_manager_may_retry_a_message(cast):
    row = Notification.objects.get(id=_enqueue())
    Notification.objects.filter(id=row.id).update(status=Notification.Status.FAILED)
    for refused in (cast.engineer, cast.triage_lead):
        with pytest.raises(NotPermitted):
            notification_retry(actor=refused, notification_id=row.id)
    assert Notification.objects.get(id=row.id).status == Notification.Status.FAILED
    notification_retry(actor=cast.manager, notification_id=row.id)
    assert Notification.objects.get(id=row.id).status == Notification.Status.PENDING
