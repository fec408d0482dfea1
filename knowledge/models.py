from django.conf import settings
from django.db import models
from django.utils import timezone

from knowledge.trackers import TrackerKind


class KnownIssue(models.Model):
    """A defect with a public status; cases link to it and close when it is resolved."""

    class Stage(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IN_DEVELOPMENT = "in_development", "Fix in development"
        IN_TESTING = "in_testing", "Fix in testing"
        SCHEDULED = "scheduled", "Fix scheduled for release"
        RESOLVED = "resolved", "Resolved"

    title = models.CharField(max_length=200)
    public_summary = models.TextField(help_text="What customers see: symptoms and workaround.")
    internal_notes = models.TextField(blank=True)
    product = models.CharField(max_length=100, blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.INVESTIGATING)
    target_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    tracker_kind = models.CharField(
        max_length=16,
        blank=True,
        choices=TrackerKind.choices,
        help_text="The development tracker of the linked issue; inferred from its URL.",
    )
    tracker_key = models.CharField(
        max_length=100, blank=True, help_text="The issue's key in the tracker, e.g. ABC-12."
    )
    tracker_url = models.URLField(max_length=500, blank=True)
    resolution_note = models.TextField(
        blank=True, help_text="Sent to the customers of the linked cases as the closing note."
    )

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["stage"], name="known_issue_stage"),
            models.Index(fields=["tracker_kind", "tracker_key"], name="known_issue_tracker"),
        ]

    def __str__(self) -> str:
        return f"KI-{self.pk}: {self.title}"

    @property
    def is_resolved(self) -> bool:
        return self.stage == self.Stage.RESOLVED


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Plain text or Markdown; rendered escaped.")
    product = models.CharField(max_length=100, blank=True)
    category = models.ForeignKey(
        "tenants.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The help centre groups articles by the case categories.",
    )
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["is_published", "title"], name="article_published")]

    def __str__(self) -> str:
        return self.title


class ArticleVote(models.Model):
    """A reader's answer to "Was this helpful?": one per person and article, changeable."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="one_vote_per_reader")
        ]

    def __str__(self) -> str:
        return f"{'Helpful' if self.helpful else 'Not helpful'}: {self.article_id}"


class KnownIssueChange(models.Model):
    """One step of a known issue's public history: the stage and target date it had from
    `at`. Written by the services that set them (`knowledge.services`)."""

    known_issue = models.ForeignKey(KnownIssue, on_delete=models.CASCADE, related_name="history")
    stage = models.CharField(max_length=20, choices=KnownIssue.Stage.choices)
    target_date = models.DateField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["known_issue", "-at"], name="known_issue_history")]

    def __str__(self) -> str:
        return f"KI-{self.known_issue_id} {self.stage} at {self.at:%Y-%m-%d}"


class ProductFeedback(models.Model):
    """An enhancement request support transferred to product management: the product
    team's list, kept after the case itself closes."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        UNDER_REVIEW = "under_review", "Under review"
        PLANNED = "planned", "Planned"
        DECLINED = "declined", "Declined"
        SHIPPED = "shipped", "Shipped"

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="product_feedback"
    )
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="product_feedback"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="The request in product terms, written by support.")
    product = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    status_note = models.CharField(max_length=500, blank=True)
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "product feedback"
        verbose_name_plural = "product feedback"
        indexes = [models.Index(fields=["status", "-created_at"], name="feedback_status")]

    def __str__(self) -> str:
        return f"PF-{self.pk}: {self.title}"


class KnownIssueFollower(models.Model):
    """A portal user who asked to hear when a known issue moves on or is resolved,
    whether or not a case of theirs is linked to it."""

    known_issue = models.ForeignKey(KnownIssue, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_known_issues"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["known_issue", "user"], name="known_issue_follower_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} follows KI-{self.known_issue_id}"
