"""Keeping inbound mail: every message is stored as it arrived before anything is done
with it, and handed to routing at most once at a time.

`cases.services.inbound` decides what a message means for a case; this module only records,
claims and closes the record, so a crash or a bad message never loses mail.
"""

import hashlib
import logging
import uuid

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.inbound import InboundMessage
from notifications.models import InboundEmail
from supportdesk.errors import NotFound, StateConflict

logger = logging.getLogger(__name__)

_CLAIMABLE = [InboundEmail.Status.RECEIVED, InboundEmail.Status.FAILED]


def fingerprint(raw: bytes, parsed: InboundMessage) -> str:
    """The Message-ID, or a digest of the bytes for the mail that carries none."""
    if parsed.message_id:
        return parsed.message_id[:300]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def inbound_store(raw: bytes, *, source: str, parsed: InboundMessage) -> tuple[InboundEmail, bool]:
    """Record a received message (raw bytes on file storage, the facts in the row).
    Returns the record and whether it is new; the same message received again returns
    the first record."""
    key = fingerprint(raw, parsed)
    existing = InboundEmail.objects.filter(fingerprint=key).first()
    if existing is not None:
        return existing, False
    record = InboundEmail(
        fingerprint=key,
        source=source,
        size=len(raw),
        sender=parsed.sender_email[:254],
        subject=parsed.subject[:300],
        message_id=parsed.message_id[:300],
    )
    record.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # Received twice at the same moment (two pollers): keep the first record.
        record.raw.delete(save=False)
        return InboundEmail.objects.get(fingerprint=key), False
    return record, True


def inbound_claim(record: InboundEmail) -> bool:
    """Take the record for routing (compare-and-swap): only one process routes a message,
    and a message already handled is never handled again."""
    return bool(
        InboundEmail.objects.filter(id=record.id, status__in=_CLAIMABLE).update(
            status=InboundEmail.Status.PROCESSING
        )
    )


def inbound_finish(
    record: InboundEmail,
    *,
    status: str,
    outcome: str,
    case_id: int | None = None,
    error: str = "",
    authentication: str = "",
    authentication_reason: str = "",
) -> InboundEmail:
    record.status = status
    record.outcome = outcome[:500]
    record.case_id = case_id
    record.error = error
    record.processed_at = timezone.now()
    fields = ["status", "outcome", "case", "error", "processed_at"]
    if authentication:
        record.authentication = authentication
        record.authentication_reason = authentication_reason[:300]
        fields += ["authentication", "authentication_reason"]
    record.save(update_fields=fields)
    log = logger.warning if status in {"rejected", "failed"} else logger.info
    log(
        "inbound mail %s from %s: %s — %s",
        record.message_id or f"#{record.id}",
        record.sender or "(no sender)",
        status,
        outcome,
    )
    return record


def inbound_reopen(*, inbound_id: int) -> InboundEmail:
    """Staff ask for a message to be routed again, e.g. after adding its sender as a
    contact or fixing what made it fail. A message that already changed a case is not
    routed twice."""
    try:
        record = InboundEmail.objects.get(id=inbound_id)
    except InboundEmail.DoesNotExist:
        raise NotFound("No such message.") from None
    if record.status == InboundEmail.Status.PROCESSED:
        raise StateConflict("This message was already added to a case.")
    InboundEmail.objects.filter(id=inbound_id).exclude(status=InboundEmail.Status.PROCESSED).update(
        status=InboundEmail.Status.RECEIVED
    )
    record.refresh_from_db()
    return record


def read_raw(record: InboundEmail) -> bytes:
    with record.raw.open("rb") as stored:
        return stored.read()
