"""Service requests in the staff queue, beside cases, and the catalogue staff manage.
Every change goes through `servicerequests.services`; the admin only collects input.
The staff home shows Security the requests waiting for its approval or sign-off."""

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from servicerequests import services
from servicerequests.handlers import handler_for
from servicerequests.handlers.security import APPROVAL, SIGN_OFF, authorization_is_valid
from servicerequests.models import (
    FulfilmentStep,
    RequestEvent,
    RequestType,
    ServiceRequest,
    State,
)
from servicerequests.selectors import requests_waiting_for
from supportdesk.admin_actions import AdminAction, ReadOnlyInline, run_for_each, with_text
from supportdesk.admin_filters import InGroupFilter
from supportdesk.admin_home import Card, Panel, home_section
from supportdesk.bounded import bounded
from supportdesk.types import AuthenticatedHttpRequest
from tenants.roles import Role, has_role


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active", "sla_applies", "response_target", "plan_names"]
    list_filter = ["active", "sla_applies", "plans"]
    list_editable = ["active", "sla_applies"]
    filter_horizontal = ["plans"]
    search_fields = ["name", "code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("plans")

    @admin.display(description="Plans")
    def plan_names(self, obj: RequestType) -> str:
        return ", ".join(plan.name for plan in obj.plans.all()) or "—"

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class StepInline(ReadOnlyInline):
    model = FulfilmentStep
    fields = readonly_fields = ("position", "title", "role", "done_at", "done_by", "note")


class EventInline(ReadOnlyInline):
    model = RequestEvent
    fields = readonly_fields = ("created_at", "actor", "kind", "message", "public")


class OpenFilter(InGroupFilter):
    title = "open or closed"
    parameter_name = "open"
    field = "state"
    members = (State.SUBMITTED, State.IN_FULFILMENT)
    yes_label = "Open"
    no_label = "Done or rejected"


class NextStepRoleFilter(admin.SimpleListFilter):
    """Requests in fulfilment whose next step a role does (Security's approvals)."""

    title = "next step by"
    parameter_name = "next_step_by"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(role.value, role.value) for role in Role]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value not in {role.value for role in Role}:
            return queryset
        waiting = requests_waiting_for(request.user, Role(str(value)))
        return queryset.filter(id__in=waiting.values("id"))


def _next_step_code(request: ServiceRequest) -> str:
    step = request.steps.filter(done_at__isnull=True).order_by("position").first()
    return step.code if step is not None else ""


def _step_action(code: str, description: str, done: str) -> AdminAction:
    return with_text(
        description=description,
        label="Note for the timeline",
        done=done,
        perform=lambda request, obj, text: services.service_request_step_done(
            actor=request.user, request_id=obj.id, step_code=code, note=text
        ),
    )


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Requests as staff see them, beside cases: read-only, changed by the actions."""

    list_display = [
        "reference",
        "summary",
        "tenant",
        "request_type",
        "state",
        "next_step",
        "respond_by_column",
        "owner",
        "created_at",
    ]
    list_filter = [OpenFilter, NextStepRoleFilter, "state", "request_type", "tenant"]
    search_fields = ["reference", "summary", "requested_by__email", "tenant__name"]
    list_select_related = ["tenant", "request_type", "owner"]
    ordering = ["state", "respond_by", "created_at"]
    inlines = [StepInline, EventInline]
    actions = [
        "take",
        with_text(
            description="Complete the next step",
            label="Note for the timeline (what was done)",
            done="Steps done",
            perform=lambda request, obj, text: services.service_request_step_done(
                actor=request.user, request_id=obj.id, step_code=_next_step_code(obj), note=text
            ),
        ),
        _step_action(APPROVAL, "Security: approve scope and dates", "Approved"),
        _step_action(SIGN_OFF, "Security: sign the authorization", "Signed"),
        with_text(
            description="Reject request",
            label="Reason, shown to the customer",
            done="Requests rejected",
            perform=lambda request, obj, text: services.service_request_reject(
                actor=request.user, request_id=obj.id, reason=text
            ),
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("steps")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in ServiceRequest._meta.fields] + [
            "details_table",
            "authorization_status",
        ]

    def get_fields(
        self, request: HttpRequest, obj: object = None
    ) -> list[str | list[str] | tuple[str, ...]]:
        return [
            "reference",
            "tenant",
            "request_type",
            "environment",
            "summary",
            "details_table",
            "state",
            "requested_by",
            "partner",
            "owner",
            "respond_by",
            "responded_at",
            "rejection_reason",
            "authorization_status",
            "created_at",
            "closed_at",
        ]

    @admin.action(description="Take into fulfilment (you become the owner)")
    def take(self, request: AuthenticatedHttpRequest, queryset: QuerySet[ServiceRequest]) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda obj: services.service_request_start(actor=request.user, request_id=obj.id),
            "Requests in fulfilment",
        )

    @admin.display(description="Next step")
    def next_step(self, obj: ServiceRequest) -> str:
        if not obj.is_open:
            return "—"
        pending = [step for step in obj.steps.all() if not step.is_done]
        if not pending:
            return "—"
        step = pending[0]
        return f"{step.title} ({step.role})" if step.role != "Support engineer" else step.title

    @admin.display(description="Respond by", ordering="respond_by")
    def respond_by_column(self, obj: ServiceRequest) -> str:
        if obj.respond_by is None:
            return "No SLA"
        if obj.responded_at is None and obj.respond_by < timezone.now():
            return format_html(
                '<strong style="color:#b42318">Overdue since {}</strong>', obj.respond_by
            )
        return obj.respond_by.strftime("%d %b %H:%M")

    @admin.display(description="Details")
    def details_table(self, obj: ServiceRequest) -> str:
        lines = handler_for(obj.request_type.code).describe(obj.details)
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", lines),
        )

    @admin.display(description="Authorization")
    def authorization_status(self, obj: ServiceRequest) -> str:
        if not obj.authorization:
            return "—"
        document = obj.authorization["document"]
        valid = authorization_is_valid(obj.authorization)
        return format_html(
            "Signed by {} on {} — signature {}",
            document["signed_by"],
            document["signed_at"][:16].replace("T", " "),
            "valid" if valid else "INVALID",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """The page is read-only; the actions (which need no change form) do the work."""
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _approval_cells(request: ServiceRequest) -> list[str | SafeString]:
    respond_by = request.respond_by
    return [
        format_html(
            '<a href="{}">{}</a> {}',
            reverse("admin:servicerequests_servicerequest_change", args=[request.pk]),
            request.reference,
            request.summary[:70],
        ),
        request.tenant.name,
        request.request_type.name,
        request.next_step_title,  # type: ignore[attr-defined]  # annotated by the selector
        timezone.localtime(respond_by).strftime("%d %b %H:%M") if respond_by else "No SLA",
    ]


@home_section
def security_approvals(request: HttpRequest, now: datetime) -> list[Panel]:
    """Security's panel of the staff home: the requests whose next step is its approval or
    sign-off (bounded, like every list of the home)."""
    if not has_role(request.user, Role.SECURITY):
        return []
    waiting = bounded(requests_waiting_for(request.user, Role.SECURITY))
    tone = "warn" if waiting.count else ""
    see_all = (
        reverse("admin:servicerequests_servicerequest_changelist")
        + "?"
        + urlencode({"next_step_by": Role.SECURITY.value})
    )
    return [
        Panel(
            key="security-approvals",
            title="Approvals waiting for Security",
            note="Service requests whose next step is Security's approval or sign-off.",
            headers=["Request", "Customer", "Type", "Next step", "Respond by"],
            rows=[_approval_cells(row) for row in waiting.rows],
            see_all=see_all,
            see_all_label="All requests waiting for Security",
            empty="No request waits for Security.",
            order=15,
            cards=[Card("Approvals for Security", waiting.label, see_all, tone)],
        )
    ]
