"""Periodic tasks (scheduled by the one beat, `CELERY_BEAT_SCHEDULE` in settings).

Thin: each calls one service of `cases.services.automation` (or `clocks`), which claims
its due rows under `select_for_update(skip_locked=True)` and can run twice, or on two
workers at once, without sending or closing anything twice. They take no arguments, so
a run that was missed is simply caught up by the next.
"""

from celery import shared_task
from django.utils import timezone

from cases.services import automation, clocks


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
