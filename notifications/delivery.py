"""Sending outbox rows through the real mail backend (EMAIL_DELIVERY_BACKEND).

A row is claimed with one compare-and-swap UPDATE (healthchecks' Flip pattern): only the
worker whose UPDATE matched a due, unsent row sends it. The claim is a lease: a worker
that dies mid-send leaves the row `sending`, and once the lease lapses the sweep takes it
again, so a crash delays a message but does not lose it.

Through SMTP the attempt is recorded in phases, so a crash can only duplicate a message
inside the smallest window SMTP allows: after MAIL and RCPT the row is marked
`data_started_at` (committed) before DATA is sent; the server's answer to DATA (its queue
id) is recorded with `sent` in one UPDATE right after. A lease that lapses before DATA
began is simply sent again; one that lapses after (the answer never recorded) makes the
row `sent_unknown`: the server may have it, so it goes out again only after
OUTBOX_SENT_UNKNOWN_RESEND_AFTER (flagged `possible_duplicate`, the same Message-ID) or
when a manager says so. The promise is "delivered at least once; a duplicate only after a
crash between the server's acceptance and our record, with the same Message-ID".
"""

import contextlib
import logging
import smtplib
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.core.mail.message import sanitize_address
from django.db.models import F, Q
from django.utils import timezone

from notifications.messages import build_message
from notifications.models import Notification
from supportdesk.redaction import redact

logger = logging.getLogger(__name__)

_UNSENT = [Notification.Status.PENDING, Notification.Status.SENDING]
# What a claim may take: a pending row, or one whose lease lapsed before its DATA began.
_CLAIMABLE = Q(status=Notification.Status.PENDING) | Q(
    status=Notification.Status.SENDING, data_started_at__isnull=True
)
CLAIM_CHUNK = 100


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "sent_unknown"


def delivery_connection() -> BaseEmailBackend:
    return get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 1, 2, 4 … minutes after each failed attempt, at most hourly."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def _claim(notification_ids: list[int]) -> list[Notification]:
    """Claim the due, unsent rows among these ids with one compare-and-swap UPDATE and
    return the rows this worker won (those another worker claimed or sent are left out)."""
    token = uuid.uuid4().hex
    now = timezone.now()
    Notification.objects.filter(
        _CLAIMABLE, id__in=notification_ids, next_attempt_at__lte=now
    ).update(
        status=Notification.Status.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=settings.OUTBOX_SEND_LEASE_SECONDS),
        claim=token,
        data_started_at=None,
    )
    won = {row.id: row for row in Notification.objects.filter(id__in=notification_ids, claim=token)}
    return [won[notification_id] for notification_id in notification_ids if notification_id in won]


def _release(notifications: list[Notification]) -> None:
    """Give back rows claimed but not tried (the mail server went away first): they are due
    again at once, and the attempt they were charged is refunded."""
    if notifications:
        Notification.objects.filter(
            id__in=[n.id for n in notifications], status=Notification.Status.SENDING
        ).update(
            status=Notification.Status.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=timezone.now(),
        )


def _is_permanent(error: Exception) -> bool:
    """A refusal that trying again will not change: the recipient's server said 5xx about
    this message or address. Everything else (connection, authentication, 4xx) is the
    kind of outage the outbox waits out."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _record_failure(notification: Notification, error: Exception, permanent: bool) -> Outcome:
    # A mail server's or a template's complaint may quote the message: no link or token
    # of it goes to the row or the log.
    message = redact(f"{type(error).__name__}: {error}")[:2000]
    give_up = permanent or notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    if give_up:
        Notification.objects.filter(id=notification.id).update(
            status=Notification.Status.FAILED, last_error=message, data_started_at=None
        )
        logger.error(
            "outbox: gave up on notification %d (%s to %s) after %d attempt(s): %s",
            notification.id,
            notification.event,
            notification.recipient,
            notification.attempts,
            message,
        )
        return Outcome.FAILED
    delay = retry_delay(notification.attempts)
    Notification.objects.filter(id=notification.id).update(
        status=Notification.Status.PENDING,
        last_error=message,
        next_attempt_at=timezone.now() + delay,
        data_started_at=None,
    )
    logger.warning(
        "outbox: notification %d (%s to %s) failed on attempt %d, retrying in %s: %s",
        notification.id,
        notification.event,
        notification.recipient,
        notification.attempts,
        delay,
        message,
    )
    return Outcome.RETRY


def _connection_lost(error: Exception) -> bool:
    """The mail server went away, as opposed to answering about this one message.
    (Every SMTPException is an OSError too, hence the order of the checks.)"""
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


class _ClaimLost(Exception):
    """Another worker took the row (this one's lease lapsed): it must not send DATA."""


class _OutcomeUnknown(Exception):
    """DATA began and no answer came (the connection broke or timed out): the server may
    have accepted the message."""


def _mark_data_started(notification: Notification) -> None:
    """Commit, before DATA, that this attempt may reach the recipient from now on; a
    compare-and-swap on the claim, so a worker whose lease lapsed stops here."""
    marked = Notification.objects.filter(
        id=notification.id, claim=notification.claim, status=Notification.Status.SENDING
    ).update(data_started_at=timezone.now())
    if not marked:
        raise _ClaimLost


def _smtp_send(backend: SmtpEmailBackend, message: EmailMessage, notification: Notification) -> str:
    """What SMTPBackend.send_messages does, a command at a time (smtplib's `sendmail`
    hides DATA's answer): MAIL, RCPT, the durable mark, DATA. Returns the server's answer
    to DATA ("2.0.0 Ok: queued as 4ZkT9x…"). Raises as `sendmail` would on a refusal."""
    smtp = backend.connection
    if smtp is None:  # opened by notifications_deliver
        raise smtplib.SMTPServerDisconnected("not connected")
    encoding = message.encoding or settings.DEFAULT_CHARSET
    from_email = sanitize_address(message.from_email, encoding)
    recipients = [sanitize_address(address, encoding) for address in message.recipients()]
    content = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
    smtp.ehlo_or_helo_if_needed()
    options = [f"size={len(content)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, reply = smtp.mail(from_email, options)
    if code != 250:
        _reset(smtp)
        raise smtplib.SMTPSenderRefused(code, reply, from_email)
    refused = {}
    for recipient in recipients:
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
    if len(refused) == len(recipients):
        _reset(smtp)
        raise smtplib.SMTPRecipientsRefused(refused)
    try:
        _mark_data_started(notification)
    except _ClaimLost:
        _reset(smtp)
        raise
    try:
        code, reply = smtp.data(content)
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        if isinstance(error, smtplib.SMTPException) and not isinstance(
            error, smtplib.SMTPServerDisconnected
        ):
            raise
        raise _OutcomeUnknown(str(error)) from error
    if code != 250:
        _reset(smtp)
        raise smtplib.SMTPDataError(code, reply)
    return f"{code} {reply.decode('utf-8', 'replace')}"[:500]


def _reset(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):  # SMTPException included
        smtp.rset()


def _record_unknown(notification: Notification, error: Exception) -> Outcome:
    message = redact(f"DATA sent, no answer: {type(error.__cause__ or error).__name__}: {error}")
    Notification.objects.filter(id=notification.id, claim=notification.claim).update(
        status=Notification.Status.SENT_UNKNOWN, last_error=message[:2000]
    )
    logger.warning(
        "outbox: notification %d (%s to %s): the connection broke during DATA; the server "
        "may have it, so it is sent_unknown: %s",
        notification.id,
        notification.event,
        notification.recipient,
        message,
    )
    return Outcome.UNKNOWN


def _deliver_claimed(notification: Notification, connection: BaseEmailBackend) -> Outcome:
    try:
        message = build_message(notification)
    except Exception as error:
        # A template that does not render will not render on the next try either. No
        # traceback: its frames' messages may quote the context.
        logger.error(
            "outbox: notification %d (%s) could not be rendered: %s",
            notification.id,
            notification.event,
            redact(f"{type(error).__name__}: {error}"),
        )
        return _record_failure(notification, error, permanent=True)
    message.connection = connection
    reply = ""
    try:
        if isinstance(connection, SmtpEmailBackend):
            reply = _smtp_send(connection, message, notification)
        else:
            connection.send_messages([message])
    except _ClaimLost:
        return Outcome.SKIPPED
    except _OutcomeUnknown as error:
        raise _ConnectionLost(_record_unknown(notification, error)) from error
    except Exception as error:
        outcome = _record_failure(notification, error, permanent=_is_permanent(error))
        if _connection_lost(error):
            raise _ConnectionLost(outcome) from error
        return outcome
    Notification.objects.filter(id=notification.id).update(
        status=Notification.Status.SENT, sent_at=timezone.now(), last_error="", smtp_reply=reply
    )
    return Outcome.SENT


class _ConnectionLost(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def notifications_deliver(
    notification_ids: Iterable[int], connection: BaseEmailBackend | None = None
) -> dict:
    """Send each row this worker manages to claim, over one connection; returns how many
    ended in each outcome. Rows claimed by someone else, or already sent, are skipped.
    Rows are claimed a chunk at a time, so a claim's lease cannot lapse while it waits.
    When the mail server cannot be reached the batch stops: the rows not yet tried stay
    due for the next sweep instead of each waiting out a timeout now."""
    ids = list(notification_ids)
    counts = {outcome: 0 for outcome in Outcome}
    connection = connection or delivery_connection()
    opened = False
    try:
        for start in range(0, len(ids), CLAIM_CHUNK):
            chunk = ids[start : start + CLAIM_CHUNK]
            claimed = _claim(chunk)
            counts[Outcome.SKIPPED] += len(chunk) - len(claimed)
            for position, notification in enumerate(claimed):
                try:
                    if not opened:
                        try:
                            connection.open()
                        except Exception as error:
                            raise _ConnectionLost(
                                _record_failure(notification, error, permanent=False)
                            ) from error
                        opened = True
                    counts[_deliver_claimed(notification, connection)] += 1
                except _ConnectionLost as lost:
                    counts[lost.outcome] += 1
                    _release(claimed[position + 1 :])
                    return counts
    finally:
        if opened:
            try:
                connection.close()
            except Exception:
                logger.warning("outbox: closing the mail connection failed", exc_info=True)
    return counts


def notifications_deliver_due(*, batch_size: int = 500, time_budget: float = 50.0) -> dict:
    """The re-send sweep: every row that is due (pending and past its retry time, or
    stuck in `sending` past its lease before its DATA began), oldest first, a batch at a
    time until nothing is due or the time budget (under the beat's minute) is spent; the
    next run carries on where this one stopped. Several workers sweep at once safely: each
    row is sent by whichever wins its claim. First, rows whose lease lapsed after DATA
    began become `sent_unknown`, and those past the grace are queued again."""
    started = time.monotonic()
    totals = {outcome: 0 for outcome in Outcome}
    totals[Outcome.UNKNOWN] = notifications_expire_unknown()
    notifications_resend_unknown_due()
    while time.monotonic() - started < time_budget:
        due = list(
            Notification.objects.filter(status__in=_UNSENT, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not due:
            break
        counts = notifications_deliver(due)
        for outcome, count in counts.items():
            totals[outcome] += count
        if counts[Outcome.RETRY] and not counts[Outcome.SENT]:
            # Nothing got through (the mail server is down): wait for the next run.
            break
    return totals


def notifications_expire_unknown() -> int:
    """Rows whose lease lapsed after their DATA began (the worker died before recording
    the answer) become `sent_unknown`: the mail server may have them. Returns how many."""
    expired = Notification.objects.filter(
        status=Notification.Status.SENDING,
        data_started_at__isnull=False,
        next_attempt_at__lte=timezone.now(),
    ).update(
        status=Notification.Status.SENT_UNKNOWN,
        last_error="The attempt stopped after DATA began and before the server's answer was "
        "recorded: the message may have been delivered.",
    )
    if expired:
        logger.warning("outbox: %d message(s) may or may not have been delivered", expired)
    return expired


def _queue_again(rows) -> int:
    return rows.update(
        status=Notification.Status.PENDING,
        possible_duplicate=True,
        next_attempt_at=timezone.now(),
    )


def notifications_resend_unknown_due() -> int:
    """`sent_unknown` rows whose DATA began OUTBOX_SENT_UNKNOWN_RESEND_AFTER ago or more
    are queued again, flagged `possible_duplicate` (0: never; a manager decides)."""
    grace = settings.OUTBOX_SENT_UNKNOWN_RESEND_AFTER
    if grace <= 0:
        return 0
    queued = _queue_again(
        Notification.objects.filter(
            status=Notification.Status.SENT_UNKNOWN,
            data_started_at__lte=timezone.now() - timedelta(seconds=grace),
        )
    )
    if queued:
        logger.warning("outbox: sending %d message(s) of unknown outcome again", queued)
    return queued
