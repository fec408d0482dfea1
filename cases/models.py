import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import CombinedExpression
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from knowledge.trackers import TrackerKind
from supportdesk.types import AnyUser, fsm_permission
from tenants.access import can_act_for
from tenants.models import EnvironmentKind, category_name
from tenants.roles import Role, has_role, is_support_staff


class State(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    AWAITING_INFORMATION = "awaiting_information", "Awaiting information"
    SOLUTION_PROPOSED = "solution_proposed", "Solution proposed"
    CLOSED = "closed", "Closed"


OPEN_STATES = [State.NEW, State.IN_PROGRESS, State.AWAITING_INFORMATION, State.SOLUTION_PROPOSED]


class CloseReason(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    NO_RESPONSE = "no_response", "No response"
    KNOWN_ISSUE_RESOLVED = "known_issue_resolved", "Known issue resolved"
    OUTSIDE_CAUSE = "outside_cause", "Cause outside the product"
    CANCELLED = "cancelled", "Cancelled by customer"
    ENHANCEMENT_TRANSFERRED = "enhancement_transferred", "Enhancement transferred"
    DUPLICATE = "duplicate", "Duplicate"
    OUT_OF_SCOPE = "out_of_scope", "Out of scope (third-party or customer-specific component)"


STAFF_CLOSE_REASONS = [
    CloseReason.RESOLVED,
    CloseReason.OUTSIDE_CAUSE,
    CloseReason.DUPLICATE,
    CloseReason.CANCELLED,
    CloseReason.OUT_OF_SCOPE,
]
"""Reasons staff may give when closing a case directly. "Known issue resolved" and
"enhancement transferred" have verbs of their own (resolving the known issue,
transferring to product management) because each keeps a record beside the closure."""


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    API = "api", "API"


class BusinessImpact(models.IntegerChoices):
    """Ordered most severe first, as the queue orders work."""

    CRITICAL = 1, "Critical: business stopped"
    HIGH = 2, "High: a key process is impaired"
    MEDIUM = 3, "Medium: work continues with a workaround"
    LOW = 4, "Low: minor inconvenience"


UNRANKED = 32_767
"""`Case.priority_rank` of a case whose priority code its tenant's plan does not have (the
plan dropped it, or the tenant moved to a plan without it): the ceiling of the column, so
such cases sort after every ranked one."""


class EnvironmentAccess(models.TextChoices):
    GRANTED = "granted", "Support may access our environment"
    REFUSED = "refused", "Support may not access our environment"


# The texts people write into a case: the intake fields and a manager's escalation reason.
# Customer content, long, and shown only on the case page; the audit log hides their values.
CASE_TEXTS = (
    "description",
    "steps_to_reproduce",
    "expected_result",
    "actual_result",
    "business_impact_details",
    "escalation_reason",
    "custom_fields",
    "custom_search",
)

# What lists, the queue and the sweeps leave in the database: they work on a case's state
# and times, not on its texts nor on the clock explanation (lines the recompute writes for
# the case page).
LONG_TEXT_FIELDS = (*CASE_TEXTS, "sla_explanation")

# The search box's full text on PostgreSQL (cases.selectors.case_search). The documents are
# expressions, not stored columns: migration 0020 indexes exactly these expressions (GIN), so
# nothing has to keep a copy in step with every service that writes a text. Change them
# only together with that migration's SQL.
SEARCH_CONFIG = "english"


def case_search_document() -> CombinedExpression:
    """Summary (weight A), description (B) and the answers to the plan's questions (C)."""
    return (
        SearchVector("summary", config=SEARCH_CONFIG, weight="A")
        + SearchVector("description", config=SEARCH_CONFIG, weight="B")
        + SearchVector("custom_search", config=SEARCH_CONFIG, weight="C")
    )


def comment_search_document() -> SearchVector:
    return SearchVector("body", config=SEARCH_CONFIG)


# The contracts' order of work: the priority's rank in the case's plan (1 first; the codes
# themselves do not sort by urgency, "P10" < "P2"), then within a priority the plan's queue
# precedence (higher first: a premium tier's P2 before a standard tier's), business impact
# (critical first), affected environment (production first), then time received: impact
# and environment are stored as numbers in that order. The id makes the order total, so pages never
# overlap; the partial index `case_open_queue_order` serves it for open cases
# (`case_queue_order` for all; `case_open_priority` after a priority filter).
QUEUE_ORDER = [
    "priority_rank",
    "-plan_precedence",
    "business_impact",
    "environment",
    "created_at",
    "id",
]

# Partial indexes: each holds only the cases with pending work of its kind.
AUTOMATION_INDEXES = {
    "next_sla_alert_at": "case_sla_alert_due",
    "follow_up_due_at": "case_follow_up_due",
    "auto_close_at": "case_auto_close_due",
    "solution_reminder_at": "case_solution_remind_due",
    "solution_close_at": "case_solution_close_due",
    "clocks_stale_at": "case_clocks_stale",
}


@fsm_permission
def _staff(case: "Case", user: AnyUser) -> bool:
    """Working a case takes an engineer's role: Security sees every case but works none."""
    return has_role(user, Role.ENGINEER)


@fsm_permission
def _customer(case: "Case", user: AnyUser) -> bool:
    return not is_support_staff(user) and can_act_for(user, case.tenant_id)


@fsm_permission
def _system(case: "Case", user: AnyUser) -> bool:
    """Transitions only scheduled tasks run (the services pass no actor)."""
    return False


class Case(ConcurrentTransitionMixin, models.Model):
    """A case and its lifecycle. Transitions change the state only; the services in
    `cases.services` lock the row, check access, record the event and tell people.

    ConcurrentTransitionMixin makes a save fail if the state changed in the database
    since the row was read: a second guard beside the services' row lock, for code
    paths (SQLite, a forgotten lock) where the lock does not hold."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="cases")
    number = models.PositiveIntegerField(editable=False)
    reference = models.CharField(max_length=24, unique=True, editable=False)

    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    steps_to_reproduce = models.TextField(blank=True)
    expected_result = models.TextField(blank=True)
    actual_result = models.TextField(blank=True)
    business_impact = models.PositiveSmallIntegerField(
        choices=BusinessImpact.choices, default=BusinessImpact.MEDIUM
    )
    business_impact_details = models.TextField(blank=True)
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    environment = models.PositiveSmallIntegerField(
        choices=EnvironmentKind.choices, default=EnvironmentKind.PRODUCTION
    )
    tenant_environment = models.ForeignKey(
        "tenants.Environment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text="The tenant's environment the case concerns; its kind sets `environment`.",
    )
    product = models.CharField(max_length=100, blank=True)
    product_version = models.CharField(max_length=50, blank=True)
    browsers = models.CharField(max_length=200, blank=True)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    related_cases = models.CharField(max_length=200, blank=True)
    category = models.CharField(
        max_length=32, help_text="A category code (tenants.Category) the tenant's plan offers."
    )
    custom_fields = models.JSONField(
        default=dict,
        blank=True,
        help_text="Answers to the plan's intake and closure fields by key, typed "
        "(cases.services.intake).",
    )
    custom_search = models.TextField(
        blank=True,
        default="",
        editable=False,
        help_text="The answers' values as text, for the search box (a trigram index on "
        "PostgreSQL); written with `custom_fields`.",
    )
    priority = models.CharField(max_length=8, help_text="A priority code of the tenant's plan.")
    priority_rank = models.PositiveSmallIntegerField(
        editable=False,
        help_text="The rank of `priority` in the tenant's plan (1 is the most urgent), kept "
        "beside the code by the services that set it: the queue sorts on it, since codes "
        'do not sort by urgency ("P10" < "P2", "Sev1" > "P4").',
    )
    environment_access = models.CharField(max_length=16, choices=EnvironmentAccess.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    agreed_update_interval = models.CharField(
        max_length=16,
        blank=True,
        default="",
        help_text="An update interval agreed for this case (a target such as 2h); it "
        "replaces the customer's agreed cadence and the plan's. Set by its service.",
    )

    state = FSMField(default=State.NEW, choices=State.choices, protected=True)
    close_reason = models.CharField(max_length=32, choices=CloseReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_cases"
    )
    partner = models.ForeignKey(
        "tenants.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text="The partner that filed the case for the tenant, if any.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_cases",
    )

    initial_response_due = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    next_update_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    next_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The earliest of the due times; what the queue sorts on."
    )
    sla_paused = models.BooleanField(
        default=False, editable=False, help_text="The clocks stand still: waiting on the customer."
    )
    sla_explanation = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="How each due time was derived, line by line (from sla.clocks).",
    )
    breached_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a due time was first missed."
    )
    escalated_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set while the case is escalated to the support managers: by staff "
        "(escalated_by, escalation_reason) or by an SLA breach (no escalated_by).",
    )

    # When each automation next has work on this case: the periodic tasks select
    # `<column> <= now` through the partial indexes below, so a sweep reads only due rows.
    sla_alerts = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Pending reminders, at-risk warnings and breach checks, earliest first.",
    )
    next_sla_alert_at = models.DateTimeField(null=True, blank=True, editable=False)
    follow_up_due_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the follow-up note (contact attempt 2) goes out without a reply.",
    )
    auto_close_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The closure date named to the customer: closes for no response after it.",
    )
    solution_reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    solution_close_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="A proposed solution left unanswered closes as resolved at this time.",
    )
    clocks_stale_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set when the plan or calendar changed; the clocks are recomputed in batches.",
    )

    known_issue = models.ForeignKey(
        "knowledge.KnownIssue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text="The known defect this case is an instance of; it closes when that is resolved.",
    )
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
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalation_reason = models.TextField(blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        help_text="The case this duplicate was merged into; the conversation continues there.",
    )

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Bumped by every change; a change based on an older version is refused.",
    )
    plan_precedence = models.SmallIntegerField(
        default=0,
        editable=False,
        help_text="The queue precedence of the tenant's plan when the case was filed or the "
        "plan last changed (`SupportPlan.queue_precedence`), kept on the row so the queue "
        "orders by it through an index.",
    )
    group = models.ForeignKey(
        "SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text="The team working the case: set by the routing rules when it is filed, "
        "changed by a transfer.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="unique_case_number"),
            models.CheckConstraint(
                condition=Q(state="closed", closed_at__isnull=False, close_reason__gt="")
                | (~Q(state="closed") & Q(closed_at__isnull=True)),
                name="closed_case_has_reason_and_time",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "-created_at"], name="case_tenant_state"),
            models.Index(fields=["state", "priority_rank", "business_impact"], name="case_queue"),
            # With the id: a keyset page among cases without a clock (NULL, sorted last) is a
            # range of this index, not a sort of every such case (supportdesk.keyset).
            models.Index(fields=["next_due_at", "id"], name="case_next_due_id"),
            models.Index(fields=["owner", "state"], name="case_owner_state"),
            *(
                models.Index(
                    fields=[column], name=name, condition=Q(**{f"{column}__isnull": False})
                )
                for column, name in AUTOMATION_INDEXES.items()
            ),
            # The queue's own order over open cases, so its first page is an index scan
            # rather than a sort of every open case (see bench/bench_queue.py).
            models.Index(
                fields=QUEUE_ORDER,
                condition=~Q(state="closed"),
                include=["state"],
                name="case_open_queue_order",
            ),
            # The queue filtered by a priority's code (P4), still in the queue's own order.
            models.Index(
                fields=["priority", *QUEUE_ORDER],
                condition=~Q(state="closed"),
                include=["state"],
                name="case_open_priority",
            ),
            # The queue sorted by time left or by time received (either way), over open cases.
            models.Index(
                fields=["next_due_at", "id"],
                condition=~Q(state="closed"),
                # The dashboard's breaches per priority read these from the index alone.
                include=["priority_rank", "priority"],
                name="case_open_next_due_id",
            ),
            models.Index(
                fields=["created_at"], condition=~Q(state="closed"), name="case_open_received"
            ),
            # The portal's lists of one tenant's cases: open by last update, closed by closure.
            models.Index(
                F("tenant"),
                F("updated_at").desc(),
                F("id").desc(),
                condition=~Q(state="closed"),
                name="case_tenant_open_updated",
            ),
            models.Index(
                F("tenant"),
                F("closed_at").desc(),
                F("id").desc(),
                condition=Q(state="closed"),
                name="case_tenant_closed",
            ),
            # Triage: new cases nobody owns, in the queue's order (the first page and the
            # bounded count read only this small index, however many cases the desk holds).
            models.Index(
                fields=QUEUE_ORDER,
                condition=Q(state="new", owner__isnull=True),
                name="case_triage_order",
            ),
            # The dashboard's open cases awaiting a first reply, in time or past due.
            models.Index(
                fields=["initial_response_due"],
                condition=Q(first_responded_at__isnull=True, initial_response_due__isnull=False)
                & ~Q(state="closed"),
                name="case_awaiting_first_reply",
            ),
            # The same order over every case, for the queue's "closed" and "all" views.
            models.Index(
                fields=QUEUE_ORDER,
                name="case_queue_order",
            ),
            # Cases received per day and tenant (the backlog rollup `CaseDaily`) read only
            # these columns, so PostgreSQL answers from the index without visiting the table.
            models.Index(
                fields=["created_at"],
                include=["id", "tenant", "initial_response_due", "first_responded_at"],
                name="case_received_sla",
            ),
            models.Index(
                fields=["escalated_at"],
                condition=Q(escalated_at__isnull=False),
                name="case_escalated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.summary}"

    @property
    def category_name(self) -> str:
        """The category's name as pages show it (cached per process, not a query a row)."""
        return category_name(self.category)

    @property
    def is_open(self) -> bool:
        return self.state != State.CLOSED

    @property
    def reopen_deadline(self) -> "datetime.datetime | None":
        """Until when the customer may reopen the closed case (the plan's window)."""
        if self.closed_at is None:
            return None
        return self.closed_at + datetime.timedelta(days=self.tenant.plan.reopen_window_days)

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None

    def due_time_rows(self, now: datetime.datetime | None = None) -> list[dict[str, object]]:
        """The due times as a page shows them: one row per metric that has one, with a
        status word ("met", "met late", "overdue", "due", "paused")."""
        now = now or timezone.now()
        rows: list[dict[str, object]] = []
        response_due = self.initial_response_due
        if response_due is not None:
            met = self.first_responded_at
            if met is not None:
                status = "met" if met <= response_due else "met late"
            else:
                status = "overdue" if response_due <= now else "due"
            rows.append(
                {"label": "Initial response", "due": response_due, "met_at": met, "status": status}
            )
        for label, due in (
            ("Next update", self.next_update_due),
            ("Resolution", self.resolution_due),
        ):
            if due is not None:
                status = "overdue" if due <= now else "due"
                rows.append({"label": label, "due": due, "met_at": None, "status": status})
        if self.sla_paused and self.is_open:
            rows.append({"label": "Clocks", "due": None, "met_at": None, "status": "paused"})
        return rows

    # The lifecycle of DESIGN.md. One transition per verb; each changes the state only.

    @transition(field=state, source=State.NEW, target=State.IN_PROGRESS, permission=_staff)
    def start_work(self) -> None:
        """Triage: an engineer takes the new case on."""

    @transition(
        field=state,
        source=State.IN_PROGRESS,
        target=State.AWAITING_INFORMATION,
        permission=_staff,
    )
    def request_info(self) -> None:
        """Contact attempt 1: the case now waits on the customer."""

    @transition(
        field=state,
        source=State.AWAITING_INFORMATION,
        target=State.IN_PROGRESS,
        permission=_customer,
    )
    def customer_reply(self) -> None:
        """The customer answered; work resumes."""

    @transition(
        field=state,
        source=State.IN_PROGRESS,
        target=State.SOLUTION_PROPOSED,
        permission=_staff,
    )
    def propose_solution(self) -> None:
        pass

    @transition(
        field=state, source=State.SOLUTION_PROPOSED, target=State.CLOSED, permission=_customer
    )
    def accept_solution(self) -> None:
        pass

    @transition(
        field=state,
        source=State.SOLUTION_PROPOSED,
        target=State.IN_PROGRESS,
        permission=_customer,
    )
    def reject_solution(self) -> None:
        pass

    @transition(field=state, source=OPEN_STATES, target=State.CLOSED, permission=_customer)
    def cancel(self) -> None:
        """The customer withdraws the case."""

    @transition(field=state, source=OPEN_STATES, target=State.CLOSED, permission=_staff)
    def close(self) -> None:
        """Staff close with a reason (duplicate, outside cause, enhancement transferred …)."""

    @transition(
        field=state, source=State.AWAITING_INFORMATION, target=State.CLOSED, permission=_system
    )
    def close_for_no_response(self) -> None:
        """The system closes a case whose follow-up closure date passed without a reply."""

    @transition(
        field=state, source=State.SOLUTION_PROPOSED, target=State.CLOSED, permission=_system
    )
    def close_after_silence(self) -> None:
        """The system closes a proposed solution the customer left unanswered."""

    @transition(field=state, source=State.CLOSED, target=State.IN_PROGRESS, permission=_customer)
    def reopen(self) -> None:
        pass


SYSTEM_AUTHOR = "SupportDesk"


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_comments",
        help_text="Empty for the system's own notes (follow-ups, automatic closures).",
    )
    body = models.TextField()
    public = models.BooleanField(
        default=True, help_text="Internal notes are seen by support staff only."
    )
    by_staff = models.BooleanField(default=False, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="comment_case_created")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.case_id}"

    @property
    def author_name(self) -> str:
        """Who wrote it, for pages and emails; the system signs as SupportDesk."""
        if self.author is None:
            return SYSTEM_AUTHOR
        return self.author.get_full_name() or self.author.get_username()


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class CaseEvent(models.Model):
    """The case's timeline: nothing about a case changes without an event here."""

    class Kind(models.TextChoices):
        CREATED = "created", "Case filed"
        STATE_CHANGED = "state_changed", "State changed"
        COMMENTED = "commented", "Comment added"
        OWNER_CHANGED = "owner_changed", "Owner changed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        CONTACT_ATTEMPT = "contact_attempt", "Contact attempt"
        ATTACHMENT_ADDED = "attachment_added", "Attachment added"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        UPDATE_REMINDER = "update_reminder", "Update reminder"
        SOLUTION_REMINDER = "solution_reminder", "Solution reminder"
        SLA_AT_RISK = "sla_at_risk", "SLA at risk"
        SLA_BREACHED = "sla_breached", "SLA breached"
        WATCHER_ADDED = "watcher_added", "Added to the notification list"
        WATCHER_REMOVED = "watcher_removed", "Removed from the notification list"
        SURVEY_ANSWERED = "survey_answered", "Satisfaction survey answered"
        ESCALATED = "escalated", "Escalated"
        CUSTOMER_ESCALATION = "customer_escalation", "Escalated by the customer"
        CUSTOMER_ESCALATION_ROSE = "customer_escalation_rose", "Customer escalation rose a level"
        CUSTOMER_ESCALATION_ACKNOWLEDGED = (
            "customer_escalation_acknowledged",
            "Customer escalation acknowledged",
        )
        CUSTOMER_ESCALATION_ENDED = "customer_escalation_ended", "Customer escalation ended"
        SESSION_PROPOSED = "session_proposed", "Troubleshooting session times proposed"
        SESSION_BOOKED = "session_booked", "Troubleshooting session booked"
        DE_ESCALATED = "de_escalated", "Escalation handled"
        KNOWN_ISSUE_LINKED = "known_issue_linked", "Linked to a known issue"
        KNOWN_ISSUE_UNLINKED = "known_issue_unlinked", "Unlinked from a known issue"
        MERGED = "merged", "Duplicates merged in"
        ROUTED = "routed", "Routed to a group"
        GROUP_TRANSFERRED = "group_transferred", "Transferred to another group"
        PHONE_CALL = "phone_call", "Phone call"
        UPDATE_CADENCE_CHANGED = "update_cadence_changed", "Update cadence agreed"
        TRACKER_LINKED = "tracker_linked", "Linked to a development tracker issue"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the system acted (a scheduled task).",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    public = models.BooleanField(default=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dedupe_key = models.CharField(
        max_length=120,
        blank=True,
        default="",
        editable=False,
        help_text="Set on events the system sends at most once (a warning per metric and due "
        "time, a reminder per proposal); unique per case.",
    )
    version = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The case's version once the event's change was saved: what a page opened "
        "at an older version has not seen (empty on events older than this column).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="event_case_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="one_event_per_dedupe_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.case_id}"


class ContactAttempt(models.Model):
    """An attempt to reach the customer while the case waits on them. Attempt 1 is the
    request for information, attempt 2 the follow-up note naming the closure date; the
    unique constraint keeps a task run twice from sending either twice."""

    class Method(models.TextChoices):
        REQUEST_INFO = "request_info", "Request for information"
        FOLLOW_UP = "follow_up", "Follow-up note"
        PHONE = "phone", "Phone call"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contact_attempts")
    round = models.PositiveSmallIntegerField(
        help_text="Which wait on the customer this belongs to (1 for the first)."
    )
    number = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=16, choices=Method.choices)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    closure_date = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "round", "number"], name="one_contact_attempt_per_number"
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} ({self.get_method_display()}) on {self.case_id}"


class CaseWatcher(models.Model):
    """Someone copied on this case's updates, added by the customer, without portal
    access of their own (the tenant-wide list is `tenants.NotificationAddress`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="watchers")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["case", "email"], name="unique_watcher_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.email} on {self.case_id}"


RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class SatisfactionSurvey(models.Model):
    """The customer's answer to the survey sent on a closure. One per closure: the
    closure instant is part of the key, so a case reopened and closed again is rated
    again, and a link cannot be used twice."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="surveys")
    closed_at = models.DateTimeField(help_text="The closure this answer rates.")
    service = models.PositiveSmallIntegerField(validators=RATING_VALIDATORS)
    timeliness = models.PositiveSmallIntegerField(validators=RATING_VALIDATORS)
    quality = models.PositiveSmallIntegerField(validators=RATING_VALIDATORS)
    comment = models.TextField(blank=True)
    manager_contact = models.BooleanField(
        default=False, help_text="The customer asked for a manager to contact them."
    )
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "closed_at"], name="one_survey_answer_per_closure"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
                    name=f"survey_{field}_between_1_and_5",
                )
                for field in ("service", "timeliness", "quality")
            ),
        ]
        indexes = [
            models.Index(fields=["manager_contact", "-answered_at"], name="survey_manager_contact"),
        ]

    def __str__(self) -> str:
        return f"Survey for {self.case_id}: {self.service}/{self.timeliness}/{self.quality}"


# --- The customer escalation path and live troubleshooting sessions (issue 9). Named
# apart from the staff "escalate" of the queue: these are the customer's.


class CustomerEscalation(models.Model):
    """A contact's escalation of a case they are unhappy with. It starts at level 1 (the
    customer success manager) and rises level by level along the tenant's path while it
    is neither acknowledged nor resolved by `next_rise_at`."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DE_ESCALATED = "de_escalated", "De-escalated"
        RESOLVED = "resolved", "Case closed"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="customer_escalations")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    level = models.PositiveSmallIntegerField(default=1)
    level_role = models.CharField(
        max_length=32, help_text="The account role of this level (`tenants.AccountRole.code`)."
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    level_since = models.DateTimeField()
    next_rise_at = models.DateTimeField(
        null=True, blank=True, help_text="When it rises unless acknowledged; empty at the top."
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)
    de_escalation_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="one_live_customer_escalation_per_case",
            ),
        ]
        indexes = [
            # The rise task reads only open escalations that are due.
            models.Index(
                fields=["next_rise_at"],
                condition=Q(status="open"),
                name="customer_escalation_due",
            ),
            models.Index(fields=["status", "-raised_at"], name="customer_escalation_status"),
        ]

    def __str__(self) -> str:
        return f"Escalation of {self.case.reference} (level {self.level})"

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ACKNOWLEDGED)


class CustomerEscalationNotice(models.Model):
    """Who was told when the escalation reached a level: one row per escalation and
    level, so a rise run twice (or by two workers) tells nobody twice."""

    escalation = models.ForeignKey(
        CustomerEscalation, on_delete=models.CASCADE, related_name="notices"
    )
    level = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=32)
    recipients = models.JSONField(default=list, blank=True)
    notified_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["escalation", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "level"], name="one_notice_per_escalation_level"
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.level} of escalation {self.escalation_id}"


class TroubleshootingSession(models.Model):
    """A live session staff propose where the customer refused environment access: the
    customer picks one of the proposed times, and both sides get a calendar invitation."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Times proposed"
        BOOKED = "booked", "Booked"
        WITHDRAWN = "withdrawn", "Withdrawn"

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="troubleshooting_sessions"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    meeting_url = models.URLField(blank=True)
    note = models.TextField(blank=True)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="The time booked.")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="proposed"),
                name="one_open_session_proposal_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"Session on {self.case.reference} ({self.get_status_display()})"


class SessionSlot(models.Model):
    session = models.ForeignKey(
        TroubleshootingSession, on_delete=models.CASCADE, related_name="slots"
    )
    starts_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "starts_at"], name="unique_session_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} UTC"


# --- Routing (issue 16): support groups, the rules that send a new case to one, and the
# member who takes it.


def routing_category_choices() -> list[tuple[str, str]]:
    """The category codes a routing rule may name (what `Case.category` holds)."""
    from tenants.models import Category

    return list(Category.objects.order_by("order", "name").values_list("code", "name"))


class AssignPolicy(models.TextChoices):
    NONE = "none", "Leave unassigned (the group takes it from its queue)"
    ROUND_ROBIN = "round_robin", "Round-robin: the working member assigned longest ago"
    LEAST_LOADED = "least_loaded", "Least loaded: the working member with fewest open cases"


class SupportGroup(models.Model):
    """A team that works cases: product owners, professional services, tier 2 …"""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Inactive groups receive no new cases, by rule or transfer."
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="GroupMembership", related_name="support_groups"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    group = models.ForeignKey(SupportGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    is_available = models.BooleanField(
        "working now",
        default=True,
        help_text="Only members working now are given new cases by the routing rules.",
    )
    last_assigned_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When routing last gave this member a case (round-robin goes to the oldest).",
    )

    class Meta:
        ordering = ["group", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="unique_group_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class RoutingRule(models.Model):
    """Sends a new case to a group, and optionally to one of its members. The active rules
    are tried by `order`; the first whose every criterion matches wins. An empty criterion
    matches anything. Rules apply when a case is filed: editing them moves no case."""

    order = models.PositiveIntegerField(default=100, help_text="Lower is tried first.")
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    categories = models.JSONField(
        default=list, blank=True, help_text="Category codes; none ticked matches any category."
    )
    priority_ranks = models.JSONField(
        default=list,
        blank=True,
        help_text="Priority ranks in the case's plan (1 is the most urgent), so one rule "
        "serves plans that name their priorities differently; none ticked matches any.",
    )
    environments = models.JSONField(
        default=list,
        blank=True,
        help_text="Affected environment kinds; none ticked matches any.",
    )
    plans = models.ManyToManyField(
        "tenants.SupportPlan",
        blank=True,
        related_name="routing_rules",
        help_text="The customer's plan (tier); none chosen matches any.",
    )
    tenants = models.ManyToManyField(
        "tenants.Tenant",
        blank=True,
        related_name="routing_rules",
        help_text="The customer; none chosen matches any.",
    )
    group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="rules")
    assign = models.CharField(
        max_length=16, choices=AssignPolicy.choices, default=AssignPolicy.NONE
    )

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    def matches(self, case: Case, plan_ids: set[int], tenant_ids: set[int]) -> bool:
        """Whether the case meets every criterion; the M2M ids are passed in (prefetched)."""
        return (
            (not self.categories or case.category in self.categories)
            and (not self.priority_ranks or case.priority_rank in self.priority_ranks)
            and (not self.environments or case.environment in self.environments)
            and (not plan_ids or case.tenant.plan_id in plan_ids)
            and (not tenant_ids or case.tenant_id in tenant_ids)
        )


class MacroStateAction(models.TextChoices):
    REPLY = "", "Send as a public reply"
    REQUEST_INFO = "request_info", "Request information (the case waits on the customer)"
    PROPOSE_SOLUTION = "propose_solution", "Propose a solution"


class MacroAssign(models.TextChoices):
    NONE = "", "Leave the owner"
    ME = "me", "Assign to me"
    USER = "user", "Assign to a named engineer"


class Macro(models.Model):
    """A saved reply with placeholders that may also set fields of the case; applied in
    one step by `cases.services.macros.macro_apply`. Shared when it has no owner (triage
    leads and managers keep those), personal otherwise (seen and used by its owner only).
    Archived rather than deleted, so a macro's use stays explainable."""

    name = models.CharField(max_length=100)
    body = models.TextField(
        help_text="The reply. Placeholders: {customer_name}, {case_reference}, {due_time}, "
        "{engineer_name}."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        help_text="Empty for a shared macro; the one engineer who sees a personal one.",
    )
    state_action = models.CharField(
        "send as",
        max_length=32,
        choices=MacroStateAction.choices,
        default=MacroStateAction.REPLY,
        blank=True,
    )
    priority = models.CharField(
        max_length=8, blank=True, help_text="A priority code to set, such as P2; empty leaves it."
    )
    priority_reason = models.CharField(
        max_length=200, blank=True, help_text="Recorded with the priority change (required)."
    )
    assign = models.CharField(
        max_length=8, choices=MacroAssign.choices, default=MacroAssign.NONE, blank=True
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The engineer the case goes to when the macro assigns to a named engineer.",
    )
    known_issue = models.ForeignKey(
        "knowledge.KnownIssue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Link the case to this known issue.",
    )
    internal_note = models.TextField(
        blank=True, help_text="Added as an internal note; the same placeholders work here."
    )
    is_archived = models.BooleanField(
        "archived", default=False, help_text="Archived macros are kept but no longer offered."
    )
    usage_count = models.PositiveIntegerField("used", default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "is_archived"], name="macro_owner_archived")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class SavedQueueView(models.Model):
    """A named way of looking at the queue: its filters (the queue's query string), the
    columns shown and the order. Personal views are seen by their owner only; shared
    views, made by a triage lead or a manager, by every member of staff
    (cases.services.saved_views)."""

    class Order(models.TextChoices):
        QUEUE = "queue", "Contract order (priority, impact, environment, received)"
        TIME_LEFT = "time_left", "Least time left first"
        NEWEST = "newest", "Newest first"
        OLDEST = "oldest", "Oldest first"

    name = models.CharField(max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queue_views"
    )
    shared = models.BooleanField(
        default=False, help_text="Shown to all staff under “Shared views”, not only its owner."
    )
    query = models.CharField(
        max_length=1000,
        blank=True,
        help_text="The queue's filters and search as a query string (state=all&priority=P1).",
    )
    columns = models.JSONField(
        default=list, blank=True, help_text="The queue's column names, in order."
    )
    order = models.CharField(max_length=16, choices=Order.choices, default=Order.QUEUE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="unique_saved_view_name"),
        ]
        indexes = [
            models.Index(fields=["shared", "name"], name="saved_view_shared"),
        ]

    def __str__(self) -> str:
        return self.name


# --- SLA reports (issue 18): every SLA cycle as it ends, and daily rollups of them.


class SlaMetric(models.TextChoices):
    INITIAL_RESPONSE = "initial_response", "Initial response"
    NEXT_UPDATE = "next_update", "Update interval"
    RESOLUTION = "resolution", "Resolution"


class SlaCycle(models.Model):
    """One SLA cycle of a case that ended: met or breached, by how much (business time on
    the clock's calendar), paused time excluded. Written by `cases.services.sla_reports`
    from the clock recompute when the event that ends it is recorded; the case's
    attributes (plan, priority, category, group, owner) are those at the end."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sla_cycles")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey("tenants.SupportPlan", on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=8)
    category = models.CharField(max_length=32)
    group = models.ForeignKey(
        SupportGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The case's owner when the cycle ended.",
    )
    metric = models.CharField(max_length=16, choices=SlaMetric.choices)
    sequence = models.PositiveIntegerField(help_text="1 for the case's first cycle of this metric.")
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    met = models.BooleanField()
    margin_seconds = models.IntegerField(
        help_text="Business seconds to spare (positive) or late (negative)."
    )
    paused_seconds = models.PositiveIntegerField(default=0)
    elapsed_seconds = models.PositiveIntegerField(
        default=0, help_text="Business seconds from start to end, paused time excluded."
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ended_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "metric", "sequence"], name="one_sla_cycle_per_sequence"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "ended_at"], name="sla_cycle_tenant_ended"),
            models.Index(fields=["ended_at"], name="sla_cycle_ended"),
            models.Index(fields=["recorded_at"], name="sla_cycle_recorded"),
        ]

    def __str__(self) -> str:
        verdict = "met" if self.met else "breached"
        return f"{self.case_id} {self.metric} #{self.sequence} {verdict}"


# Upper bounds (minutes) of the elapsed-time histogram kept per rollup row; the last
# bucket is open-ended. Medians and p90 are read from it as the bucket's upper bound.
ELAPSED_BUCKETS_MINUTES = (15, 30, 60, 120, 240, 480, 1440, 2880, 4320, 7200, 14400, 28800)


class SlaDaily(models.Model):
    """SLA cycles ended on one day (in the staff time zone) per tenant, plan, priority,
    category, group, engineer and metric: counts and an elapsed-time histogram. Rebuilt
    per tenant and day from `SlaCycle` (so rebuilding twice changes nothing); the
    reports read these rows, never the cycles, to stay fast on a large desk."""

    day = models.DateField()
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("tenants.SupportPlan", on_delete=models.CASCADE, related_name="+")
    priority = models.CharField(max_length=8)
    category = models.CharField(max_length=32)
    group = models.ForeignKey(
        SupportGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    metric = models.CharField(max_length=16, choices=SlaMetric.choices)
    met = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    elapsed_histogram = models.JSONField(
        default=list, help_text="Counts per ELAPSED_BUCKETS_MINUTES bucket, then the rest."
    )

    class Meta:
        ordering = ["day", "id"]
        indexes = [
            models.Index(fields=["day", "tenant"], name="sla_daily_day_tenant"),
            models.Index(fields=["tenant", "day"], name="sla_daily_tenant_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.tenant_id} {self.metric}: {self.met}/{self.breached}"


class CaseDaily(models.Model):
    """Cases received, closed and reopened on one day (staff time zone) per tenant, and
    the tenant's open cases at the day's end: the backlog and reopen-rate reports."""

    day = models.DateField()
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    received = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    open_at_end = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "tenant"]
        constraints = [
            models.UniqueConstraint(fields=["day", "tenant"], name="one_case_daily_per_tenant"),
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="case_daily_tenant_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.tenant_id}: {self.open_at_end} open"


class TotalSpan(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"


class SlaDailyTotal(models.Model):
    """`SlaDaily` summed over the whole desk per day, metric and one dimension at a time
    (plan, customer, priority, category, group, engineer, or "all"): what the staff
    reports read, a few rows a day whatever the number of customers. Rebuilt per day from
    that day's SlaDaily rows. A month that is over also gets month rows (`span` month,
    `day` its first day), the sum of its day rows, so a report over a year reads twelve
    rows per customer instead of 365."""

    day = models.DateField()
    # A default in the database too: the previous release writes day rows without it.
    span = models.CharField(
        max_length=5, choices=TotalSpan.choices, default=TotalSpan.DAY, db_default=TotalSpan.DAY
    )
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=64, blank=True, help_text="The value's id or code.")
    metric = models.CharField(max_length=16, choices=SlaMetric.choices)
    met = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    elapsed_histogram = models.JSONField(default=list)

    class Meta:
        ordering = ["day", "id"]
        indexes = [
            models.Index(fields=["dimension", "span", "day"], name="sla_total_dimension_span_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} ({self.span}) {self.dimension}={self.key} {self.metric}"
