"""The plain result of parsing inbound mail: what routing needs, with no email objects."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class InboundAttachment:
    """A file to store with the case. ``inline`` images belong in the HTML body."""

    filename: str
    content_type: str
    content: bytes = field(repr=False)
    inline: bool = False
    content_id: str = ""  # without angle brackets, as HTML refers to it: src="cid:<content_id>"

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class InboundMessage:
    """One parsed inbound message; every text field is NUL-free.

    Addresses are lower-cased addr-specs; Message-IDs keep their angle brackets.
    ``is_auto_reply`` and ``is_bounce`` are exclusive; ``classification_reason`` says which
    signal decided. ``problems`` lists what was odd or repaired, for logs and quarantine.
    """

    sender_email: str = ""
    sender_name: str = ""
    # Every address in From (a sender is only unambiguous when there is exactly one) and
    # the Sender header's, when present.
    from_addresses: list[str] = field(default_factory=list)
    sender_header: str = ""
    # Authentication-Results header values, topmost (added last, by our MTA) first.
    authentication_results: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    subject: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    # X-Forwarded-Message-Id: Thunderbird also puts the forwarded mail in In-Reply-To.
    forwarded_message_ids: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    new_text: str = ""
    html: str = ""
    attachments: list[InboundAttachment] = field(default_factory=list)
    is_auto_reply: bool = False
    is_bounce: bool = False
    is_list_mail: bool = False
    should_auto_acknowledge: bool = False
    classification_reason: str = ""
    bounced_message_ids: list[str] = field(default_factory=list)
    reply_token: str | None = None  # shape-checked only: verify with read_reply_token()
    size: int = 0
    truncated: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[InboundAttachment]:
        """Attachments the user sent as files (not images shown inside the HTML body)."""
        return [attachment for attachment in self.attachments if not attachment.inline]

    @property
    def inline_images(self) -> list[InboundAttachment]:
        return [attachment for attachment in self.attachments if attachment.inline]

    @property
    def thread_message_ids(self) -> list[str]:
        """Ids this message answers, closest first: In-Reply-To, then References newest first.

        A forwarded message is not a conversation the forward belongs to, so its id is left out.
        """
        ordered = [self.in_reply_to, *reversed(self.references)]
        skip = set(self.forwarded_message_ids)
        return list(dict.fromkeys(mid for mid in ordered if mid and mid not in skip))
