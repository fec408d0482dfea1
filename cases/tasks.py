"""Celery tasks that act on cases, scheduled by the one beat (`CELERY_BEAT_SCHEDULE`).

Thin: each calls one service. The sweeps of `cases.services.automation` (and `clocks`)
claim their due rows under `select_for_update(skip_locked=True)` and can run twice, or
on two workers at once, without sending or closing anything twice. They take no
arguments, so a run that was missed is simply caught up by the next.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from cases.services import automation, clocks, inbound_receive
from cases.services.customer_escalations import escalations_rise_due
from cases.services.sla_cycles import sla_rollups_refresh
from notifications.imap import FetchedMessage, MailboxError, poll_imap
from notifications.models import InboundEmail

logger = logging.getLogger(__name__)


def _store_and_route(message: FetchedMessage) -> None:
    inbound_receive(
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


@shared_task
def send_sla_alerts() -> int:
    return automation.sla_alerts_send(now=timezone.now())


@shared_task
def send_follow_ups() -> int:
    return automation.follow_ups_send(now=timezone.now())


@shared_task
def close_unanswered_cases() -> int:
    return automation.unanswered_cases_close(now=timezone.now())


@shared_task
def send_solution_reminders() -> int:
    return automation.solution_reminders_send(now=timezone.now())


@shared_task
def close_silent_solutions() -> int:
    return automation.silent_solutions_close(now=timezone.now())


@shared_task
def refresh_stale_clocks() -> int:
    return clocks.clocks_refresh_stale(now=timezone.now())


@shared_task(ignore_result=True)
def rise_customer_escalations() -> int:
    """Beat, every minute: customer escalations left unacknowledged past their level's
    time rise to the next level (see `cases.services.customer_escalations`)."""
    return escalations_rise_due()


@shared_task
def refresh_sla_rollups() -> int:
    """Beat: rebuild the report rollups of recent SLA cycles and today's case counts."""
    return sla_rollups_refresh(now=timezone.now())
