"""Every change `notifications` makes, one function per verb, named `<entity>_<verb>`.

The functions live beside what they work on (the outbox, delivery, the mailbox of inbound
mail, announcements, preferences); other apps, views, the admin and tasks import them
from here.
"""

from notifications.announcements import (
    announcement_alert_subscribers,
    announcement_subscription_set,
)
from notifications.delivery import notifications_deliver, notifications_deliver_due
from notifications.mailbox import inbound_claim, inbound_finish, inbound_reopen, inbound_store
from notifications.outbox import (
    notification_mark_delivered,
    notification_resend_now,
    notification_retry,
    notifications_note_bounce,
    outbox_dispatch,
    outbox_enqueue,
    outbox_enqueue_many,
    outbox_reseal,
)
from notifications.preferences import notification_preferences_set
from notifications.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_update,
    webhook_send_test,
    webhooks_deliver,
    webhooks_deliver_due,
    webhooks_emit,
    webhooks_wanted,
)

__all__ = [
    "announcement_alert_subscribers",
    "announcement_subscription_set",
    "inbound_claim",
    "inbound_finish",
    "inbound_reopen",
    "inbound_store",
    "notification_mark_delivered",
    "notification_preferences_set",
    "notification_resend_now",
    "notification_retry",
    "notifications_deliver",
    "notifications_deliver_due",
    "notifications_note_bounce",
    "outbox_dispatch",
    "outbox_enqueue",
    "outbox_enqueue_many",
    "outbox_reseal",
    "webhook_endpoint_create",
    "webhook_endpoint_disable",
    "webhook_endpoint_enable",
    "webhook_endpoint_update",
    "webhook_send_test",
    "webhooks_deliver",
    "webhooks_deliver_due",
    "webhooks_emit",
    "webhooks_wanted",
]
