"""What staff may see of a message: the words, never a link or a token.

Managers read the outbox to answer "what did we send this customer, and did it go out?";
they never need the password-reset, invitation or survey link in it, the reply token of
its Reply-To, or a meeting link. `redact` takes out every link (whatever it points at,
since a template may put a secret in any of them), the detail of a plus-address, and any
long opaque word that looks like a token; `outbox_preview` is the only reader of a sealed
payload besides delivery, and it returns nothing unredacted.
"""

import re
from dataclasses import dataclass

from django.utils.html import strip_tags

from notifications.messages import build_message
from notifications.models import Notification

LINK_REDACTED = "[link redacted]"
TOKEN_REDACTED = "[token redacted]"  # noqa: S105 (a placeholder, not a password)

_LINK = re.compile(r"""\b(?:[a-z][a-z0-9+.-]*://|mailto:|www\.)[^\s<>"'()]+""", re.I)
_PLUS_DETAIL = re.compile(r"(?<=[\w.%-])\+[^@\s<>\"']+(?=@)")
# A word of 24 or more token characters, with a digit and a letter in it: a signed value,
# a password-reset token, an API key. Prose and case references are far shorter.
_TOKEN = re.compile(r"(?<![\w.:=/+-])(?=[\w.:=/+-]*\d)(?=[\w.:=/+-]*[a-z])[\w.:=/+-]{24,}", re.I)


def redact(text: str) -> str:
    """`text` with links, plus-address details and token-like words replaced."""
    text = _LINK.sub(LINK_REDACTED, text)
    text = _PLUS_DETAIL.sub("+" + TOKEN_REDACTED, text)
    return _TOKEN.sub(TOKEN_REDACTED, text)


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
