"""Support groups and the routing rules that send new cases to them.

Support managers edit both (the role table grants them add/change); every staff role
may view them, and an engineer says whether they are working now in their own groups
through the changelist's actions, which call `group_membership_set_available`. Rules
apply to cases filed after the edit: saving one moves no case.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from cases import services
from cases.models import (
    GroupMembership,
    RoutingRule,
    SupportGroup,
    routing_category_choices,
)
from supportdesk.admin_actions import run_for_each
from supportdesk.types import signed_in
from tenants.models import EnvironmentKind, PlanPriority, SupportPlan
from tenants.roles import support_staff


def priority_rank_choices() -> list[tuple[int, str]]:
    """Ranks as the plans name them: "1 (P1, Sev1)" — a rank means the same urgency in
    every plan, whatever its codes."""
    codes: dict[int, list[str]] = {}
    for rank, code in PlanPriority.objects.order_by("rank", "code").values_list("rank", "code"):
        if code not in codes.setdefault(rank, []):
            codes[rank].append(code)
    return [(rank, f"{rank} ({', '.join(names)})") for rank, names in codes.items()]


class GroupMembershipInline(admin.TabularInline):
    model = GroupMembership
    fields = ["user", "is_available", "last_assigned_at"]
    readonly_fields = ["last_assigned_at"]
    extra = 0

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            kwargs["queryset"] = support_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _set_available(available: bool, description: str) -> Any:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            modeladmin,
            request,
            queryset,
            lambda group: services.group_membership_set_available(
                actor=signed_in(request), group_id=group.id, available=available
            ),
            "Your availability is set in groups",
        )

    action.__name__ = "set_working" if available else "set_away"
    return admin.action(description=description)(action)


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "members_column", "working_column", "open_cases"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [GroupMembershipInline]
    actions = [
        _set_available(True, "I am working now in the selected groups"),
        _set_available(False, "I am away from the selected groups"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupportGroup]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("memberships", distinct=True),
                working_count=Count(
                    "memberships", filter=Q(memberships__is_available=True), distinct=True
                ),
                open_case_count=Count("cases", filter=~Q(cases__state="closed"), distinct=True),
            )
        )

    @admin.display(description="Members")
    def members_column(self, group: SupportGroup) -> int:
        return group.member_count  # type: ignore[attr-defined]

    @admin.display(description="Working now")
    def working_column(self, group: SupportGroup) -> int:
        return group.working_count  # type: ignore[attr-defined]

    @admin.display(description="Open cases")
    def open_cases(self, group: SupportGroup) -> int:
        return group.open_case_count  # type: ignore[attr-defined]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RoutingRuleForm(forms.ModelForm):
    """Criteria as ticked boxes; none ticked matches anything."""

    categories = forms.MultipleChoiceField(
        choices=routing_category_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=RoutingRule._meta.get_field("categories").help_text,
    )
    priority_ranks = forms.TypedMultipleChoiceField(
        label="Priority ranks",
        coerce=int,
        choices=priority_rank_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=RoutingRule._meta.get_field("priority_ranks").help_text,
    )
    environments = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=EnvironmentKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=RoutingRule._meta.get_field("environments").help_text,
    )
    plans = forms.ModelMultipleChoiceField(
        queryset=SupportPlan.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=RoutingRule._meta.get_field("plans").help_text,
    )

    class Meta:
        model = RoutingRule
        fields = [
            "order",
            "name",
            "is_active",
            "categories",
            "priority_ranks",
            "environments",
            "plans",
            "tenants",
            "group",
            "assign",
        ]
        widgets = {"assign": forms.RadioSelect}


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["order", "name", "is_active", "criteria", "group", "assign"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "group"]
    autocomplete_fields = ["tenants"]
    fieldsets = [
        (None, {"fields": ["order", "name", "is_active"]}),
        (
            "When a new case matches every criterion (an empty one matches anything)",
            {"fields": ["categories", "priority_ranks", "environments", "plans", "tenants"]},
        ),
        ("Then", {"fields": ["group", "assign"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoutingRule]:
        return (
            super()
            .get_queryset(request)
            .select_related("group")
            .prefetch_related("plans", "tenants")
        )

    @admin.display(description="When")
    def criteria(self, rule: RoutingRule) -> str:
        categories = dict(routing_category_choices())
        environments = dict(EnvironmentKind.choices)
        parts = [
            ", ".join(str(categories.get(code, code)) for code in rule.categories),
            ", ".join(f"rank {rank}" for rank in rule.priority_ranks),
            ", ".join(str(environments.get(kind, kind)) for kind in rule.environments),
            ", ".join(plan.name for plan in rule.plans.all()),
            ", ".join(tenant.name for tenant in rule.tenants.all()),
        ]
        return "; ".join(part for part in parts if part) or "any case"

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deactivate instead; a manager may still want to see what routed past cases.
        return False
