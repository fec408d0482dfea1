"""Sending outbox rows through the real mail backend (EMAIL_DELIVERY_BACKEND).

A row is claimed with one compare-and-swap UPDATE (healthchecks' Flip pattern): only the
worker whose UPDATE matched a due, unsent row sends it. The claim is a lease: a worker
that dies mid-send leaves the row `sending`, and once the lease lapses the sweep takes it
again, so a crash delays a message but does not lose it.
"""

import logging
import smtplib
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F
from django.utils import timezone

from notifications.messages import build_message
from notifications.models import Notification
from supportdesk.redaction import redact

logger = logging.getLogger(__name__)

_UNSENT = [Notification.Status.PENDING, Notification.Status.SENDING]
CLAIM_CHUNK = 100


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    FAILED = "failed"


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
        id__in=notification_ids, status__in=_UNSENT, next_attempt_at__lte=now
    ).update(
        status=Notification.Status.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=settings.OUTBOX_SEND_LEASE_SECONDS),
        claim=token,
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
            status=Notification.Status.FAILED, last_error=message
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
    try:
        connection.send_messages([message])
    except Exception as error:
        outcome = _record_failure(notification, error, permanent=_is_permanent(error))
        if _connection_lost(error):
            raise _ConnectionLost(outcome) from error
        return outcome
    Notification.objects.filter(id=notification.id).update(
        status=Notification.Status.SENT, sent_at=timezone.now(), last_error=""
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
    stuck in `sending` past its lease), oldest first, until the time budget is spent;
    the next run carries on where this one stopped."""
    started = time.monotonic()
    totals = {outcome: 0 for outcome in Outcome}
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
