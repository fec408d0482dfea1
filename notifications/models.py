from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.sealing import SealedJSONField


def _product_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError('List the affected products as text, e.g. ["SupportDesk Cloud"].')


class Announcement(models.Model):
    """An incident, maintenance window or release, shown in the portal and on the public
    status page while published; `notifications.announcements` decides what is current."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", "Incident"
        MAINTENANCE = "maintenance", "Maintenance window"
        RELEASE = "release", "Release"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text, shown escaped; blank lines make paragraphs.")
    affected_products = models.JSONField(
        default=list, blank=True, validators=[_product_list], help_text='e.g. ["Billing", "API"]'
    )
    starts_at = models.DateTimeField(
        help_text="When the incident began, the window opens, or the release shipped."
    )
    ends_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the incident was resolved or the window closes; empty while ongoing.",
    )
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["published", "kind", "starts_at"], name="announcement_current"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gte=models.F("starts_at")),
                name="announcement_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    def clean(self) -> None:
        if self.ends_at and self.starts_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": "The end cannot be before the start."})


class Notification(models.Model):
    """One email in the outbox, written in the same transaction as the change it reports.
    What it says is sealed (`notifications.sealing`): the rest is metadata staff may read.

    Delivery claims the row with a compare-and-swap update (pending → sending), so two
    workers never both send it; the unique deduplication key keeps a change recorded twice
    (a task run twice, a retried request) from writing a second message. An attempt whose
    DATA began but whose answer was never recorded (the worker died) is `sent_unknown`:
    the server may hold it, so it is not sent again before a check (`delivery`)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SENT_UNKNOWN = "sent_unknown", "Sent? (no answer recorded)"
        FAILED = "failed", "Failed"

    recipient = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    event = models.CharField(max_length=64, help_text="What happened, e.g. case.public_reply.")
    template = models.CharField(
        max_length=100,
        blank=True,
        help_text="Folder under templates/emails/; empty when the context holds a ready message.",
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    dedup_key = models.CharField(max_length=300, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        default=timezone.now,
        help_text="When a pending message is next due; for one being sent, when its claim lapses.",
    )
    claim = models.CharField(
        max_length=32, blank=True, editable=False, help_text="The last claim's token."
    )
    message_id = models.CharField(max_length=255, unique=True)
    references = models.CharField(max_length=998, blank=True)
    payload = SealedJSONField(
        default=dict,
        help_text="What the message says, encrypted: {context, reply_to, attachments}. The "
        "context of a templated message, or the whole Django message; the Reply-To (it "
        "carries the case's reply token); files such as a calendar invitation.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    data_started_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the current attempt began sending the message itself (SMTP DATA); "
        "from then on the mail server may hold it.",
    )
    # Defaults in the database too (db_default): processes still running the previous
    # release during a deploy insert rows without these columns.
    smtp_reply = models.CharField(
        max_length=500,
        blank=True,
        db_default="",
        editable=False,
        help_text="The mail server's answer to DATA, with its queue id.",
    )
    possible_duplicate = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        help_text="Sent again after an attempt whose outcome was unknown: the recipient may "
        "have it twice (with the same Message-ID).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The re-send sweep reads only unsent rows that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_due",
            ),
            # … and the few whose last attempt's outcome is unknown.
            models.Index(
                fields=["data_started_at"],
                condition=Q(status="sent_unknown"),
                name="notification_sent_unknown",
            ),
            models.Index(fields=["case", "-created_at"], name="notification_case"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.recipient} ({self.status})"


class NotificationPreference(models.Model):
    """A user's choice about one kind of email; without a row the email is on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=64)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "event"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.event}: {'on' if self.enabled else 'off'}"


def inbound_raw_path(instance: "InboundEmail", filename: str) -> str:
    return f"inbound/{timezone.now():%Y/%m}/{filename}"


class InboundEmail(models.Model):
    """A message received by mail, kept as it arrived whatever became of it, so a message
    the desk could not handle is never lost and can be looked at or processed again.

    `fingerprint` is the Message-ID (or a digest of the bytes when there is none): the
    same message fetched twice, or piped twice by the MTA, is handled once."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Being processed"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        REJECTED = "rejected", "Rejected"
        HELD = "held", "Held for review"
        FAILED = "failed", "Failed"

    class Authentication(models.TextChoices):
        PASS = "pass", "Authenticated"
        FAIL = "fail", "Failed authentication"
        NONE = "none", "Not authenticated"

    class Source(models.TextChoices):
        IMAP = "imap", "IMAP mailbox"
        PIPE = "pipe", "MTA pipe"
        ADMIN = "admin", "Reprocessed by staff"

    fingerprint = models.CharField(max_length=300, unique=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    raw = models.FileField(upload_to=inbound_raw_path, max_length=300)
    size = models.PositiveBigIntegerField()
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(
        max_length=500, blank=True, help_text="What the desk did with it, in a sentence."
    )
    error = models.TextField(blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_emails",
    )
    authentication = models.CharField(
        max_length=8,
        choices=Authentication.choices,
        blank=True,
        help_text="Whether the sender's domain vouched for the From address (DMARC/DKIM).",
    )
    authentication_reason = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"], name="inbound_status")]

    def __str__(self) -> str:
        return f"{self.sender or 'unknown sender'}: {self.subject or '(no subject)'}"


class AnnouncementSubscription(models.Model):
    """A user's opt-in to announcement emails, for the kinds they chose."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="announcement_subscription"
    )
    kinds = models.JSONField(default=list, help_text="Announcement kinds to email about.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} ({', '.join(self.kinds)})"


class WebhookEndpoint(models.Model):
    """An address another system gave us to hear about cases and requests: each event of
    a kind it subscribes to is POSTed to it, signed with its secret (`notifications.webhooks`).

    The secret is shown once, when the endpoint is made; it is stored encrypted (we sign
    with it, so it cannot be a digest) and no page, API answer or log shows it again. An
    endpoint for one tenant hears only that tenant's events; one without a tenant hears
    every tenant's (only managers make those)."""

    name = models.CharField(max_length=100, help_text="What the endpoint is for, e.g. 'Ops chat'.")
    url = models.URLField(
        max_length=500,
        help_text="Where events are POSTed: https (plain http only to 127.0.0.1 in development).",
    )
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        help_text="Only this customer's events; empty: every customer's (managers only).",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
        help_text="Who is emailed when the endpoint is disabled for failing.",
    )
    events = models.JSONField(
        default=list, help_text="The kinds of event sent, e.g. ['case.created']."
    )
    secret_encrypted = models.TextField(editable=False)
    secret_prefix = models.CharField(
        max_length=16, editable=False, help_text="The secret's first characters, to recognise it."
    )
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "tenant"], name="webhook_endpoint_active")]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint, written in the transaction of the change it reports
    and POSTed once that commits; retried with backoff like the outbox's mail. The body
    is kept as sent, so every retry carries the same event id and the same bytes."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=64, help_text="The event's kind, e.g. case.created.")
    event_id = models.CharField(max_length=64, help_text="The event's id in the payload.")
    dedup_key = models.CharField(max_length=300, unique=True)
    body = models.TextField(help_text="The JSON payload, as POSTed.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The start of the last answer.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
