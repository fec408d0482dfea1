"""Celery tasks of the outbox: thin wrappers that take ids and call `delivery`."""

from celery import shared_task

from notifications import delivery, webhooks


@shared_task(ignore_result=True)
def send_notification(notification_id: int) -> str:
    """Deliver one committed outbox row; a no-op if it was sent or claimed meanwhile."""
    counts = delivery.notifications_deliver([notification_id])
    return next((str(outcome) for outcome, count in counts.items() if count), "skipped")


@shared_task(ignore_result=True)
def send_pending_notifications() -> dict:
    """The re-send sweep (beat, every minute): whatever is still due goes out now."""
    return {str(outcome): count for outcome, count in delivery.notifications_deliver_due().items()}


@shared_task(ignore_result=True)
def send_webhook(delivery_id: int) -> str:
    """POST one committed webhook delivery; a no-op if it was sent or claimed meanwhile."""
    counts = webhooks.webhooks_deliver([delivery_id])
    return next((outcome for outcome, count in counts.items() if count), "skipped")


@shared_task(ignore_result=True)
def send_pending_webhooks() -> dict:
    """The webhooks' sweep (beat, every minute): retries that are due go out now."""
    return webhooks.webhooks_deliver_due()
