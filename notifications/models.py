from django.core.exceptions import ValidationError
from django.db import models


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
