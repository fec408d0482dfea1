"""Writing to the outbox: the one way any part of the desk sends email.

Callers write rows inside their own transaction; delivery is enqueued only once that
transaction commits, so a rolled-back change sends nothing and a committed one sends
even if the broker is down at that moment (the re-send sweep picks the rows up).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import make_msgid, parseaddr
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.preferences import users_who_turned_off
from notifications.sealing import SealedPayload
from supportdesk.errors import NotFound, NotPermitted, StateConflict
from supportdesk.redaction import redact
from supportdesk.types import AnyUser
from tenants.roles import Role, has_role

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    """One message for one recipient, before it is written to the outbox.

    `dedup_key` names the message: writing the same key twice keeps the first, so a
    change recorded twice does not send twice. `references` are the Message-IDs this
    message follows (oldest first), for threading in the recipient's mail client.
    What the message says (context, Reply-To, attachments) is left out of its repr, so a
    log line or a traceback that prints one shows no link or token."""

    recipient: str
    event: str
    template: str
    context: Mapping[str, object] = field(repr=False)
    dedup_key: str
    user_id: int | None = None
    case_id: int | None = None
    reply_to: str = field(default="", repr=False)
    references: tuple[str, ...] = ()
    message_id: str = ""
    attachments: tuple[Mapping[str, str], ...] = field(default=(), repr=False)
    """Files to send along, as `notifications.messages.attachment_data` makes them."""


def mail_domain() -> str:
    """The domain our Message-IDs carry: the one of the address we send from."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "supportdesk.invalid"


def new_message_id() -> str:
    return make_msgid(domain=mail_domain())


def outbox_enqueue(
    *,
    recipient: str,
    event: str,
    template: str,
    context: Mapping[str, object],
    dedup_key: str,
    user_id: int | None = None,
    case_id: int | None = None,
    reply_to: str = "",
    references: Iterable[str] = (),
) -> list[int]:
    """Write one message to the outbox; see `outbox_enqueue_many`."""
    return outbox_enqueue_many(
        [
            OutgoingEmail(
                recipient=recipient,
                event=event,
                template=template,
                context=context,
                dedup_key=dedup_key,
                user_id=user_id,
                case_id=case_id,
                reply_to=reply_to,
                references=tuple(references),
            )
        ]
    )


def seal_payload(email: OutgoingEmail) -> SealedPayload:
    """What a message says, encrypted: anything in it may be a secret (a reset, survey or
    invitation link; the reply token of the Reply-To; a meeting link in an invitation)."""
    return SealedPayload.seal(
        {
            "context": dict(email.context),
            "reply_to": email.reply_to,
            "attachments": [dict(attachment) for attachment in email.attachments],
        }
    )


def outbox_enqueue_many(emails: Iterable[OutgoingEmail]) -> list[int]:
    """Write messages to the outbox in the caller's transaction and deliver them once it
    commits. Messages a user has turned off are dropped here, and a key already in the
    outbox is kept as it is. What each message says is sealed before it is written.
    Returns the ids of the rows now waiting to be sent."""
    emails = list(emails)
    muted = users_who_turned_off({(e.user_id, e.event) for e in emails if e.user_id})
    rows = [
        Notification(
            recipient=email.recipient.strip(),
            user_id=email.user_id,
            event=email.event,
            template=email.template,
            case_id=email.case_id,
            dedup_key=email.dedup_key,
            message_id=email.message_id or new_message_id(),
            references=" ".join(email.references),
            payload=seal_payload(email),
        )
        for email in emails
        if email.recipient.strip() and (email.user_id, email.event) not in muted
    ]
    if not rows:
        return []
    # ON CONFLICT DO NOTHING: a duplicate key neither raises nor aborts the caller's
    # transaction, which a savepoint per row would cost on PostgreSQL.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            dedup_key__in=[row.dedup_key for row in rows], status=Notification.Status.PENDING
        ).values_list("id", flat=True)
    )
    if ids:
        transaction.on_commit(partial(outbox_dispatch, ids), robust=True)
    return ids


def outbox_dispatch(ids: list[int]) -> None:
    """Hand committed rows to the workers. A broker that is down only delays them: the
    rows stay pending and the re-send sweep delivers them when it is back."""
    from notifications.tasks import send_notification

    for position, notification_id in enumerate(ids):
        try:
            send_notification.apply_async((notification_id,), retry=False)
        except Exception as error:
            logger.warning(
                "outbox: could not enqueue %d notification(s) (%s: %s); "
                "they stay pending for the re-send sweep",
                len(ids) - position,
                type(error).__name__,
                error,
            )
            return


OUTBOX_READER = Role.MANAGER


def may_read_outbox(user: AnyUser) -> bool:
    """Who sees the outbox (redacted) and retries its messages: support managers and
    superusers. The other roles have no need for what the desk mailed whom."""
    return has_role(user, OUTBOX_READER)


@transaction.atomic
def notification_retry(*, actor: AnyUser, notification_id: int) -> Notification:
    """Staff send a message that failed for good once more (after fixing the address or
    the mail server); it gets a fresh set of attempts. A sent message is never resent."""
    if not may_read_outbox(actor):
        raise NotPermitted("Only support managers handle the outbox.")
    try:
        notification = Notification.objects.select_for_update().get(id=notification_id)
    except Notification.DoesNotExist:
        raise NotFound("No such message.") from None
    if notification.status == Notification.Status.SENT:
        raise StateConflict(f"The message to {notification.recipient} was already sent.")
    if notification.status == Notification.Status.SENDING:
        raise StateConflict(f"The message to {notification.recipient} is being sent right now.")
    if notification.status == Notification.Status.SENT_UNKNOWN:
        raise StateConflict(
            f"The message to {notification.recipient} may have been delivered: mark it "
            "delivered, or send it again now."
        )
    notification.status = Notification.Status.PENDING
    notification.attempts = 0
    notification.next_attempt_at = timezone.now()
    notification.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(partial(outbox_dispatch, [notification.id]), robust=True)
    return notification


def _sent_unknown_for_update(actor: AnyUser, notification_id: int) -> Notification:
    if not may_read_outbox(actor):
        raise NotPermitted("Only support managers handle the outbox.")
    try:
        notification = Notification.objects.select_for_update().get(id=notification_id)
    except Notification.DoesNotExist:
        raise NotFound("No such message.") from None
    if notification.status != Notification.Status.SENT_UNKNOWN:
        raise StateConflict(
            f"The message to {notification.recipient} is {notification.get_status_display()}, "
            "not of unknown outcome."
        )
    return notification


@transaction.atomic
def notification_mark_delivered(*, actor: AnyUser, notification_id: int) -> Notification:
    """A manager found a message of unknown outcome at the mail server (its log, or the
    recipient has it): it is sent, as of its last attempt, and never sent again."""
    notification = _sent_unknown_for_update(actor, notification_id)
    notification.status = Notification.Status.SENT
    notification.sent_at = notification.data_started_at or timezone.now()
    notification.last_error = ""
    notification.save(update_fields=["status", "sent_at", "last_error"])
    logger.info("outbox: %s marked notification %d delivered", actor, notification.id)
    return notification


@transaction.atomic
def notification_resend_now(*, actor: AnyUser, notification_id: int) -> Notification:
    """A manager found a message of unknown outcome missing at the mail server: it goes
    out again now (same Message-ID), flagged as a possible duplicate."""
    notification = _sent_unknown_for_update(actor, notification_id)
    notification.status = Notification.Status.PENDING
    notification.possible_duplicate = True
    notification.next_attempt_at = timezone.now()
    notification.save(update_fields=["status", "possible_duplicate", "next_attempt_at"])
    transaction.on_commit(partial(outbox_dispatch, [notification.id]), robust=True)
    return notification


def notifications_note_bounce(*, message_ids: Iterable[str], subject: str) -> int:
    """Note on the messages a bounce returned that they bounced. The bounce's subject
    often quotes ours; its links and tokens are left out. Returns how many were noted."""
    return Notification.objects.filter(message_id__in=list(message_ids)).update(
        last_error=redact(f"Bounced: {subject}")[:2000]
    )


def outbox_reseal(*, batch_size: int = 500) -> int:
    """Seal every row's payload again under the first of ENCRYPTION_KEYS, so an
    old key can then be removed. Returns how many rows were sealed again."""
    resealed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update()
                .filter(id__gt=last_id)
                .order_by("id")
                .only("id", "payload")[:batch_size]
            )
            if not rows:
                return resealed
            for row in rows:
                row.payload = row.payload.resealed()
            Notification.objects.bulk_update(rows, ["payload"])
        resealed += len(rows)
        last_id = rows[-1].id
