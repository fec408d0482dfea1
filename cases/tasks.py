"""Celery tasks that act on cases; thin wrappers around services."""

import logging

from celery import shared_task
from django.conf import settings

from cases.inbound import receive_email
from cases.services.escalations import escalations_rise_due
from notifications.imap import FetchedMessage, MailboxError, poll_imap
from notifications.models import InboundEmail

logger = logging.getLogger(__name__)


def _store_and_route(message: FetchedMessage) -> None:
    receive_email(
        message.raw,
        source=InboundEmail.Source.IMAP,
        complete=message.complete,
        size=message.size,
    )


@shared_task(ignore_result=True)
def poll_mailbox() -> int:
    """Beat, every minute: read new mail from the support mailbox (when configured)."""
    if not settings.INBOUND_IMAP_HOST:
        return 0
    try:
        return poll_imap(_store_and_route)
    except (MailboxError, OSError) as error:
        logger.warning("inbound mail: the mailbox could not be read (%s); next run retries", error)
        return 0


@shared_task(ignore_result=True)
def rise_customer_escalations() -> int:
    """Beat, every minute: customer escalations left unacknowledged past their level's
    time rise to the next level (see `cases.services.escalations`)."""
    return escalations_rise_due()
