"""An email backend that puts Django's own mail (password reset and the like) in the
outbox, so it is retried and never lost like every other message the desk sends.

Set as EMAIL_BACKEND; the transport that really sends is EMAIL_DELIVERY_BACKEND."""

import logging
import uuid
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

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
