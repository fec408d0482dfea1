"""Inbound mail as staff see it. Registered with the cases admin because processing a
message again is the cases app's routing."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from cases.inbound import inbound_process_again
from cases.services import StaffAction, may
from notifications.models import InboundEmail
from supportdesk.admin_actions import run_for_each


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

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not may(request.user, StaffAction.WORK_CASES):
            actions.pop("process_again", None)
        return actions

    @admin.action(description="Process again (e.g. after adding the sender as a contact)")
    def process_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: inbound_process_again(actor=request.user, inbound_id=obj.id),
            "Messages processed again",
        )
