from datetime import datetime

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from cases.admin_customer import CustomerEscalationColumn
from cases.admin_scale import EstimatedCountPaginator, PriorityFilter
from cases.inbound import route_record
from cases.models import SYSTEM_AUTHOR, Case, CaseEvent, Comment
from cases.services.clocks import METRICS
from notifications.mailbox import inbound_reopen
from notifications.models import InboundEmail
from supportdesk.admin_actions import run_for_each

# Shown in their own fieldsets rather than in the case details.
SLA_FIELDS = ["due_times", "next_due_at", "breached_at", "escalated_at"]
AUTOMATION_FIELDS = [
    "pending_alerts",
    "follow_up_due_at",
    "auto_close_at",
    "solution_reminder_at",
    "solution_close_at",
    "clocks_stale_at",
]
INTERNAL_FIELDS = {
    "initial_response_due",
    "next_update_due",
    "resolution_due",
    "sla_paused",
    "sla_explanation",
    "sla_alerts",
    "next_sla_alert_at",
    *SLA_FIELDS,
    *AUTOMATION_FIELDS,
}
ALERT_WORDS = {
    "update_reminder": "Update reminder to the owner",
    "sla_at_risk": "At-risk warning to owner and triage lead",
    "sla_breached": "Breach check, escalation to the managers",
}


class CommentInline(admin.StackedInline):
    model = Comment
    extra = 0
    can_delete = False
    fields = ["created_at", "written_by", "public", "channel", "body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Comment]:
        return super().get_queryset(request).select_related("author")

    @admin.display(description="Author")
    def written_by(self, comment: Comment) -> str:
        return comment.author_name


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "by", "kind", "message", "from_state", "to_state", "public"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="Actor")
    def by(self, event: CaseEvent) -> str:
        if event.actor is None:
            return SYSTEM_AUTHOR
        return event.actor.get_full_name() or event.actor.get_username()


class EscalatedFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            ("overdue", "Overdue"),
            ("escalated", "Escalated"),
            ("paused", "Paused (waiting on the customer)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        if self.value() == "overdue":
            return queryset.filter(next_due_at__lte=timezone.now())
        if self.value() == "escalated":
            return queryset.filter(escalated_at__isnull=False)
        if self.value() == "paused":
            return queryset.filter(sla_paused=True)
        return queryset


@admin.register(Case)
class CaseAdmin(CustomerEscalationColumn, admin.ModelAdmin):
    """Cases as staff see them; every change goes through `cases.services`, so the form
    itself is read-only."""

    list_display = [
        "reference",
        "summary",
        "tenant",
        "state",
        "priority",
        "owner",
        "next_due_at",
        "sla_flag",
        "created_at",
        "customer_escalation",  # from CustomerEscalationColumn
    ]
    list_filter = [EscalatedFilter, "state", PriorityFilter, "category", "tenant"]
    search_fields = ["reference", "summary", "reporter__email"]
    # At a million cases: no second count of the whole table, and its estimate when
    # unfiltered (cases/admin_scale.py).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_select_related = ["tenant", "owner"]
    inlines = [CommentInline, EventInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in Case._meta.fields] + ["due_times", "pending_alerts"]

    def get_fieldsets(self, request: HttpRequest, obj: Case | None = None) -> list[tuple]:
        details = [field.name for field in Case._meta.fields if field.name not in INTERNAL_FIELDS]
        return [
            (None, {"fields": [name for name in details if name != "id"]}),
            ("Due times", {"fields": SLA_FIELDS}),
            ("Automations", {"fields": AUTOMATION_FIELDS, "classes": ["collapse"]}),
        ]

    @admin.display(description="How the due times were derived")
    def due_times(self, case: Case) -> SafeString:
        return render_to_string("cases/_due_times.html", {"case": case, "staff": True})

    @admin.display(description="Scheduled SLA alerts")
    def pending_alerts(self, case: Case) -> SafeString | str:
        if not case.sla_alerts:
            return "None"
        return format_html_join(
            "",
            "<div>{} for the {} due {}: {}</div>",
            (
                (
                    ALERT_WORDS.get(alert["kind"], alert["kind"]),
                    METRICS.get(alert["metric"], alert["metric"]).lower(),
                    alert.get("due_text", alert["due"]),
                    timezone.localtime(datetime.fromisoformat(alert["at"])).strftime(
                        "%a %Y-%m-%d %H:%M %Z"
                    ),
                )
                for alert in case.sla_alerts
            ),
        )

    @admin.display(description="SLA")
    def sla_flag(self, case: Case) -> str:
        if case.escalated_at is not None and case.is_open:
            return "Escalated"
        if case.next_due_at is not None and case.next_due_at <= timezone.now():
            return "Overdue"
        if case.sla_paused:
            return "Paused"
        return ""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Every message the desk received, kept as it arrived, with what became of it.
    Registered here because processing a message again is the cases app's routing."""

    list_display = ["received_at", "sender", "subject", "status", "case", "outcome"]
    list_filter = ["status", "source"]
    search_fields = ["sender", "subject", "message_id", "case__reference"]
    list_select_related = ["case"]
    date_hierarchy = "received_at"
    actions = ["process_again"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in InboundEmail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Process again (e.g. after adding the sender as a contact)")
    def process_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: route_record(inbound_reopen(inbound_id=obj.id)),
            "Messages processed again",
        )
