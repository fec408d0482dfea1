"""The customer's side of the queue: escalations the customers raised (their own list,
with acknowledge and de-escalate) and live troubleshooting sessions staff propose."""

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from cases import services
from cases.home import escalations_waiting_for
from cases.models import (
    Case,
    CustomerEscalation,
    CustomerEscalationNotice,
    EnvironmentAccess,
    SessionSlot,
    TroubleshootingSession,
)
from cases.services.sessions import DURATIONS
from supportdesk.admin_actions import ReadOnlyInline, ServiceBackedAdmin, with_text
from supportdesk.admin_filters import InGroupFilter
from supportdesk.types import signed_in
from tenants.models import AccountRole

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups


def with_customer_escalation(cases: QuerySet[Case]) -> QuerySet[Case]:
    """The cases with the level of the customer's live escalation (if any) joined in,
    for the queue's flag column."""
    live = CustomerEscalation.objects.filter(
        case=OuterRef("pk"),
        status__in=[CustomerEscalation.Status.OPEN, CustomerEscalation.Status.ACKNOWLEDGED],
    )
    return cases.annotate(
        customer_escalation_level=Subquery(live.values("level")[:1]),
        customer_escalation_open=Exists(live.filter(status=CustomerEscalation.Status.OPEN)),
    )


class CustomerEscalationColumn:
    """A mixin for the case list: a flag on cases the customer escalated, with the level
    (the queryset comes from `with_customer_escalation`)."""

    @admin.display(description="Customer escalation")
    def customer_escalation(self, obj: Case) -> str:
        level = getattr(obj, "customer_escalation_level", None)
        if level is None:
            return ""
        # Annotated by the queue's get_queryset, like the level above.
        open_ = obj.customer_escalation_open  # type: ignore[attr-defined]
        state = "open" if open_ else "acknowledged"
        return format_html(
            '<span class="customer-escalation" title="Escalated by the customer ({})" '
            'style="color:#b42318;font-weight:600">⚑ Level {}</span>',
            state,
            level,
        )


class NoticeInline(ReadOnlyInline):
    model = CustomerEscalationNotice
    fields = readonly_fields = ("level", "role", "recipients", "notified_at")


class LiveFilter(InGroupFilter):
    title = "live"
    parameter_name = "live"
    field = "status"
    members = (CustomerEscalation.Status.OPEN, CustomerEscalation.Status.ACKNOWLEDGED)
    yes_label = "Open or acknowledged"
    no_label = "Ended"


class WaitingForMeFilter(admin.SimpleListFilter):
    """The escalations the staff home counts as waiting for the signed-in user."""

    title = "waiting for"
    parameter_name = "waiting_for"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("me", "Me (my account role's level, or a manager)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() != "me":
            return queryset
        return queryset.filter(id__in=escalations_waiting_for(signed_in(request)).values("id"))


@admin.register(CustomerEscalation)
class CustomerEscalationAdmin(admin.ModelAdmin):
    list_display = [
        "case_reference",
        "tenant",
        "level_badge",
        "status",
        "raised_by",
        "raised_at",
        "rises",
        "handled_by",
    ]
    list_filter = [WaitingForMeFilter, LiveFilter, "status", "level", "case__tenant"]
    search_fields = ["case__reference", "case__summary", "reason", "raised_by__email"]
    list_select_related = ["case__tenant", "raised_by", "handled_by"]
    ordering = ["status", "next_rise_at", "-raised_at"]
    inlines = [NoticeInline]
    actions = [
        with_text(
            description="Acknowledge escalation",
            label="Note for the customer (who has it, what happens next)",
            done="Escalations acknowledged",
            perform=lambda request, obj, text: services.customer_escalation_acknowledge(
                actor=signed_in(request), escalation_id=obj.id, note=text
            ),
        ),
        with_text(
            description="De-escalate",
            label="Note for the customer (how it was resolved)",
            done="Escalations ended",
            perform=lambda request, obj, text: services.customer_escalation_de_escalate(
                actor=signed_in(request), escalation_id=obj.id, note=text
            ),
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in CustomerEscalation._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CustomerEscalation]:
        # The level's role name in the same query, not one per row.
        names = AccountRole.objects.filter(code=OuterRef("level_role")).values("name")[:1]
        return super().get_queryset(request).annotate(level_role_name=Subquery(names))

    @admin.display(description="Case", ordering="case__reference")
    def case_reference(self, obj: CustomerEscalation) -> str:
        return f"{obj.case.reference} {obj.case.summary}"[:80]

    @admin.display(description="Tenant", ordering="case__tenant__name")
    def tenant(self, obj: CustomerEscalation) -> str:
        return obj.case.tenant.name

    @admin.display(description="Level", ordering="level")
    def level_badge(self, obj: CustomerEscalation) -> str:
        role = getattr(obj, "level_role_name", None) or obj.level_role
        return format_html("⚑ {} <span style='color:#5d6678'>{}</span>", obj.level, role)

    @admin.display(description="Rises at", ordering="next_rise_at")
    def rises(self, obj: CustomerEscalation) -> str:
        if obj.next_rise_at is None:
            return "—"
        if obj.next_rise_at <= timezone.now():
            return format_html("<strong>due now</strong>")
        return obj.next_rise_at.strftime("%d %b %H:%M")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """Read-only page: acknowledging and de-escalating are the actions."""
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SlotInline(ReadOnlyInline):
    model = SessionSlot
    readonly_fields = ["starts_at"]


class SessionProposalForm(forms.ModelForm):
    """Staff propose up to three times; the service checks and records them."""

    slot_1 = forms.DateTimeField(label="Time 1", help_text="In the desk's time zone.")
    slot_2 = forms.DateTimeField(label="Time 2", required=False)
    slot_3 = forms.DateTimeField(label="Time 3", required=False)
    duration_minutes = forms.TypedChoiceField(
        coerce=int, choices=[(d, f"{d} minutes") for d in DURATIONS], initial=60
    )
    meeting_url = forms.URLField(label="Meeting link", required=False, assume_scheme="https")

    class Meta:
        model = TroubleshootingSession
        fields = ["case", "duration_minutes", "meeting_url", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "case" in self.fields:
            cast(forms.ModelChoiceField, self.fields["case"]).queryset = Case.objects.filter(
                environment_access=EnvironmentAccess.REFUSED
            ).exclude(state="closed")
            self.fields["case"].help_text = "Open cases whose customer refused environment access."

    def slots(self) -> list[dt.datetime]:
        return [
            self.cleaned_data[f] for f in ("slot_1", "slot_2", "slot_3") if self.cleaned_data.get(f)
        ]


@admin.register(TroubleshootingSession)
class TroubleshootingSessionAdmin(ServiceBackedAdmin):
    list_display = ["case", "status", "starts_at", "duration_minutes", "proposed_by", "booked_by"]
    list_filter = ["status"]
    search_fields = ["case__reference", "case__summary"]
    list_select_related = ["case", "proposed_by", "booked_by"]
    inlines = [SlotInline]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = SessionProposalForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: object = None) -> "_FieldGroups":
        if obj is None:
            return ["case", "slot_1", "slot_2", "slot_3", "duration_minutes", "meeting_url", "note"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        if obj is None:
            return []
        return [field.name for field in TroubleshootingSession._meta.fields]

    def get_inlines(self, request: HttpRequest, obj: object) -> list:
        return [SlotInline] if obj is not None else []

    def save_model(
        self,
        request: HttpRequest,
        obj: TroubleshootingSession,
        form: SessionProposalForm,
        change: bool,
    ) -> None:
        """Proposals go through the service (it checks the case and tells the customer)."""
        session = services.session_propose(
            actor=signed_in(request),
            case_id=form.cleaned_data["case"].id,
            starts=form.slots(),
            duration_minutes=form.cleaned_data["duration_minutes"],
            meeting_url=form.cleaned_data.get("meeting_url", ""),
            note=form.cleaned_data.get("note", ""),
        )
        obj.pk = session.pk
        obj.id = session.id

    def has_change_permission(
        self, request: HttpRequest, obj: TroubleshootingSession | None = None
    ) -> bool:
        """A proposal is booked or cancelled by its services, never edited here."""
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
