"""What staff may see of a message: the words, never a link or a token.

Managers read the outbox to answer "what did we send this customer, and did it go out?";
they never need the password-reset, invitation or survey link in it, the reply token of
its Reply-To, or a meeting link. `outbox_preview` is the only reader of a sealed payload
besides delivery, and it returns nothing that `supportdesk.redaction.redact` left in.
"""

from dataclasses import dataclass

from django.utils.html import strip_tags

from notifications.messages import build_message
from notifications.models import Notification
from supportdesk.redaction import redact


@dataclass(frozen=True)
class OutboxPreview:
    subject: str = ""
    body: str = ""
    reply_to: str = ""
    attachments: tuple[str, ...] = ()
    problem: str = ""


def outbox_preview(notification: Notification) -> OutboxPreview:
    """The message as its recipient reads it, redacted, for the outbox's staff page."""
    try:
        message = build_message(notification)
    except Exception as error:
        return OutboxPreview(problem=redact(f"{type(error).__name__}: {error}"))
    body = str(message.body)
    if message.content_subtype == "html":
        body = strip_tags(body)
    return OutboxPreview(
        subject=redact(str(message.subject)),
        body=redact(body),
        reply_to=redact(", ".join(message.reply_to)),
        attachments=tuple(redact(str(attachment[0])) for attachment in message.attachments),
    )
