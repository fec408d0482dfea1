"""Inbound mail as staff see it. Registered with the cases admin because processing a
message again is the cases app's routing."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from cases.inbound import inbound_accept, inbound_process_again
from cases.services import StaffAction, may
from notifications.models import InboundEmail
from supportdesk.admin_actions import run_for_each
from supportdesk.types import signed_in
from tenants.roles import Role, has_role


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Every message the desk received, kept as it arrived, with what became of it.
    Registered here because processing a message again is the cases app's routing."""

    list_display = [
        "received_at",
        "sender",
        "subject",
        "status",
        "authentication",
        "case",
        "outcome",
    ]
    list_filter = ["status", "authentication", "source"]
    search_fields = ["sender", "subject", "message_id", "case__reference"]
    list_select_related = ["case"]
    date_hierarchy = "received_at"
    actions = ["accept_as_sender", "process_again"]

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
        if not has_role(request.user, Role.TRIAGE_LEAD):
            actions.pop("accept_as_sender", None)
        return actions

    @admin.action(description="Process again (e.g. after adding the sender as a contact)")
    def process_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: inbound_process_again(actor=signed_in(request), inbound_id=obj.id),
            "Messages processed again",
        )

    @admin.action(description="Accept held mail as its sender (after checking it is genuine)")
    def accept_as_sender(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: inbound_accept(inbound_id=obj.id, actor=signed_in(request)),
            "Messages accepted as their senders",
        )
