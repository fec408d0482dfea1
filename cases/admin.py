from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from cases.admin_customer import CustomerEscalationColumn
from cases.inbound import route_record
from cases.models import Case, CaseEvent, Comment
from notifications.mailbox import inbound_reopen
from notifications.models import InboundEmail
from supportdesk.admin_actions import run_for_each


class CommentInline(admin.StackedInline):
    model = Comment
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "public", "channel", "body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "kind", "message", "from_state", "to_state", "public"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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
        "created_at",
        "customer_escalation",  # issue 9: from CustomerEscalationColumn
    ]
    list_filter = ["state", "priority", "category", "tenant"]
    search_fields = ["reference", "summary", "reporter__email"]
    list_select_related = ["tenant", "owner"]
    inlines = [CommentInline, EventInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in Case._meta.fields]

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
