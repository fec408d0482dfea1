"""An email backend that puts Django's own mail (password reset and the like) in the
outbox, so it is retried and never lost like every other message the desk sends.

Set as EMAIL_BACKEND; the transport that really sends is EMAIL_DELIVERY_BACKEND. In the
embedded mode (DEBUG) that is DevMailFileBackend: one .eml file per message."""

import logging
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend
from django.utils import timezone

from notifications.events import DJANGO_MAIL
from notifications.messages import message_to_dict
from notifications.outbox import OutgoingEmail, new_message_id, outbox_enqueue_many

logger = logging.getLogger(__name__)


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        emails = []
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            message_id = str(message.extra_headers.get("Message-ID") or new_message_id())
            data = message_to_dict(message)
            data["headers"]["Message-ID"] = message_id
            emails.append(
                OutgoingEmail(
                    recipient=recipients[0],
                    event=DJANGO_MAIL,
                    template="",
                    context={"message": data},
                    dedup_key=f"mail:{uuid.uuid4()}",
                    message_id=message_id,
                )
            )
        try:
            outbox_enqueue_many(emails)
        except Exception:
            if not self.fail_silently:
                raise
            logger.exception("outbox: could not store %d message(s)", len(emails))
            return 0
        return len(emails)


_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9@._+-]")


class DevMailFileBackend(FileEmailBackend):
    """Dev mail: each message in its own file under EMAIL_FILE_PATH, named by time (UTC)
    and first recipient (`20260105-093012-481516-alice@acme.demo.eml`), as a mail client
    opens it. Django's file backend puts a whole sending run in one `.log` file."""

    def open(self) -> bool:
        return False  # no shared stream: each message opens its own file

    def close(self) -> None:
        pass

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            try:
                self.write_message(message)
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

    def write_message(self, message: EmailMessage) -> None:
        recipient = _UNSAFE_IN_FILE_NAME.sub("_", (message.recipients() or ["nobody"])[0])
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        folder = Path(self.file_path)
        path = folder / f"{stamp}-{recipient[:80]}.eml"
        if path.exists():  # the same microsecond and recipient (two workers, say)
            path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}-{recipient[:80]}.eml"
        with path.open("xb") as file:
            file.write(message.message().as_bytes())
