"""The staff queue: every customer's cases in the order the contracts say to work them,
with the SLA columns, filters, bulk actions, the case page, triage and the dashboard.

It holds no rules: reads come from `cases.selectors`, every change from `cases.services`.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from cases import services
from cases.admin import forms as case_forms
from cases.admin.case_page import case_act, case_attachment, case_page, case_presence
from cases.admin.customer import CustomerEscalationColumn, with_customer_escalation
from cases.admin.dashboard import dashboard_view
from cases.admin.filters import (
    CategoryFilter,
    DueWithinFilter,
    EscalatedFilter,
    GroupFilter,
    KnownIssueFilter,
    OwnerFilter,
    PriorityFilter,
    SlaFilter,
    StateFilter,
    WaitingFilter,
)
from cases.admin.macros import case_macro
from cases.admin.phone_case import log_phone_case
from cases.admin.reports import contract_review_pick, contract_review_view, reports_view
from cases.admin.saved_views import ORDERINGS, QueueChangeList, open_view, picker_context, save_view
from cases.admin.triage import triage_view
from cases.models import LONG_TEXT_FIELDS, BusinessImpact, Case
from cases.selectors import (
    QUEUE_ORDER,
    case_search,
    due_status,
    normal_reference,
    queue_for,
)
from cases.services import DEFAULT_COLUMNS, StaffAction, may
from cases.templatetags.staff_time import due_pair_html, staff_time_html
from supportdesk.admin_actions import run_for_each, with_form, with_text
from supportdesk.admin_filters import DropdownFilter
from supportdesk.admin_paging import KeysetPaginator
from supportdesk.db_router import stale_reads_ok
from supportdesk.errors import ServiceError
from supportdesk.types import signed_in
from tenants.models import EnvironmentKind

_IMPACT_SHORT: dict[int, str] = {
    BusinessImpact.CRITICAL: "Critical",
    BusinessImpact.HIGH: "High",
    BusinessImpact.MEDIUM: "Medium",
    BusinessImpact.LOW: "Low",
}
_ENVIRONMENT_SHORT: dict[int, str] = {
    EnvironmentKind.PRODUCTION: "Prod",
    EnvironmentKind.SANDBOX: "Sandbox",
    EnvironmentKind.TEST: "Test",
}


def _find_case(queryset: QuerySet[Case], text: str) -> Case | None:
    """The case a "jump to" names, if it is in the list as filtered."""
    reference = normal_reference(text)
    return queryset.filter(reference=reference).first() if reference else None


@admin.action(description="Assign to me")
def assign_to_me(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    run_for_each(
        modeladmin,
        request,
        queryset,
        lambda case: services.case_assign(
            case_id=case.id, actor=signed_in(request), owner=signed_in(request)
        ),
        "Assigned to you",
    )


@admin.action(description="Merge duplicates into one of the selected cases")
def merge_duplicates(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """One call for the whole selection: the chosen case stays, the others close as its
    duplicates."""
    data = request.POST if "apply" in request.POST else None
    form = case_forms.BulkMergeForm(data, cases=queryset)
    if form.is_bound and form.is_valid():
        into = form.cleaned_data["into"]
        try:
            services.case_merge(
                actor=signed_in(request),
                into_id=into.id,
                duplicate_ids=[case.id for case in queryset if case.id != into.id],
                note=form.cleaned_data["note"],
            )
        except ServiceError as error:
            modeladmin.message_user(request, error.message, messages.ERROR)
        else:
            modeladmin.message_user(
                request, f"Merged {queryset.count() - 1} case(s) into {into.reference}."
            )
        return None
    return TemplateResponse(
        request,
        "admin/action_with_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Merge duplicates",
            "form": form,
            "objects": queryset,
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
        },
    )


_BULK_ACTIONS = [
    assign_to_me,
    with_form(
        description="Assign to an engineer",
        name="assign_to",
        done="Assigned",
        make_form=lambda request, queryset, data: case_forms.BulkAssignForm(data),
        perform=lambda request, case, data: services.case_assign(
            case_id=case.id, actor=signed_in(request), owner=data["owner"]
        ),
    ),
    with_form(
        description="Change priority",
        name="change_priority",
        done="Priority changed",
        make_form=lambda request, queryset, data: case_forms.PriorityForm(data),
        perform=lambda request, case, data: services.case_change_priority(
            case_id=case.id,
            actor=signed_in(request),
            priority=data["priority"],
            reason=data["reason"],
        ),
    ),
    with_text(
        description="Request information",
        label="What do you need from the customer? (sent as contact attempt 1)",
        done="Information requested",
        perform=lambda request, case, text: services.case_request_info(
            case_id=case.id, actor=signed_in(request), body=text
        ),
    ),
    with_text(
        description="Log a phone contact attempt",
        label="What happened on the call?",
        done="Phone attempts logged",
        perform=lambda request, case, text: services.case_log_phone_attempt(
            case_id=case.id, actor=signed_in(request), note=text
        ),
    ),
    with_text(
        description="Propose a solution",
        label="The solution, sent to each customer",
        done="Solutions proposed",
        perform=lambda request, case, text: services.case_propose_solution(
            case_id=case.id, actor=signed_in(request), body=text
        ),
    ),
    with_form(
        description="Link to a known issue",
        name="link_known_issue",
        done="Linked",
        make_form=lambda request, queryset, data: case_forms.LinkKnownIssueForm(data),
        perform=lambda request, case, data: services.case_link_known_issue(
            case_id=case.id, actor=signed_in(request), known_issue_id=data["known_issue"].id
        ),
    ),
    with_form(
        description="Transfer to another group",
        name="transfer_to_group",
        done="Transferred",
        make_form=lambda request, queryset, data: case_forms.TransferForm(data),
        perform=lambda request, case, data: services.case_transfer(
            case_id=case.id,
            actor=signed_in(request),
            group_id=data["group"].id,
            note=data["note"],
        ),
    ),
    with_text(
        description="Escalate to management",
        label="Why does management need to look at these?",
        done="Escalated",
        perform=lambda request, case, text: services.case_escalate(
            case_id=case.id, actor=signed_in(request), reason=text
        ),
    ),
    with_form(
        description="Close with a reason",
        name="close_with_reason",
        done="Closed",
        make_form=lambda request, queryset, data: case_forms.CloseForm(data),
        perform=lambda request, case, data: services.case_close(
            case_id=case.id, actor=signed_in(request), reason=data["reason"], note=data["note"]
        ),
    ),
    merge_duplicates,
]
# Offered only to the roles the services accept them from (the services check anyway).
_ACTION_NEEDS = {
    "assign_to": StaffAction.ASSIGN_OTHERS,
    "merge_duplicates": StaffAction.MERGE,
}


@admin.register(Case)
class CaseAdmin(CustomerEscalationColumn, admin.ModelAdmin):
    """The queue. Ordered as the contracts order work; the form is replaced by the case
    page, whose buttons call `cases.services`."""

    # What fits a 1366 px screen; the group, plan, channel and time received are a saved
    # view's choice (cases.services.saved_views.QUEUE_COLUMNS).
    list_display = ["reference", *DEFAULT_COLUMNS]
    list_display_links = ["reference"]
    # The queue is in contract order; besides it, only the sorts an index serves over a
    # hundred thousand open cases (see bench/RESULTS.md). Customer, owner and the rest are
    # filters, not sorts.
    sortable_by = ["due_column", "received_column"]
    list_filter = [
        StateFilter,
        PriorityFilter,
        ("tenant", DropdownFilter),
        ("tenant__plan", DropdownFilter),
        OwnerFilter,
        GroupFilter,
        SlaFilter,
        WaitingFilter,
        DueWithinFilter,
        CategoryFilter,
        KnownIssueFilter,
        EscalatedFilter,
    ]
    search_fields = ["reference", "summary", "reporter__email"]
    search_help_text = (
        "A reference (ACME-42: found whatever the filters), the contact's email, or words "
        "of the summary, description, comments or answers to the plan's questions."
    )
    list_per_page = 50
    list_max_show_all = 500
    # Counting all cases and counting per filter choice are the two queries that grow with
    # the desk, not with the page; the queue shows neither.
    show_full_result_count = False
    paginator = KeysetPaginator
    show_facets = admin.ShowFacets.NEVER
    actions = _BULK_ACTIONS

    class Media:
        css = {"all": ["cases/staff.css"]}
        js = ["cases/queue.js", "cases/keyboard.js"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return with_customer_escalation(queue_for(request.user).defer(*LONG_TEXT_FIELDS))

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> KeysetPaginator:
        """Pages by the order's keys; "jump to" takes a time or a case reference."""
        return KeysetPaginator(
            queryset, per_page, orphans, allow_empty_first_page, request=request, find=_find_case
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        if normal_reference(search_term):
            # Looking a case up by its reference is never answered "0 results" because
            # the state filter (open by default) or another filter hides it.
            return case_search(self.get_queryset(request), search_term, viewer=request.user), False
        # Best match first (case_search ranks on PostgreSQL), then the queue's own order,
        # which the change list set before searching.
        found = case_search(queryset, search_term, viewer=request.user)
        return found.order_by(F("search_rank").desc(), *queryset.query.order_by), False

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        view = open_view(request)
        return ORDERINGS.get(view.order, tuple(QUEUE_ORDER)) if view else tuple(QUEUE_ORDER)

    def get_list_display(self, request: HttpRequest) -> list:
        view = open_view(request)
        return ["reference", *view.columns] if view else list(self.list_display)

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[QueueChangeList]:
        return QueueChangeList

    def get_actions(self, request: HttpRequest) -> dict:
        if not may(request.user, StaffAction.WORK_CASES):
            return {}
        actions = super().get_actions(request)
        for name, needed in _ACTION_NEEDS.items():
            if not may(request.user, needed):
                actions.pop(name, None)
        return actions

    def get_urls(self) -> list:
        def wrap(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
            return self.admin_site.admin_view(
                lambda request, *args, **kwargs: view(self, request, *args, **kwargs)
            )

        return [
            path("triage/", wrap(triage_view), name="cases_case_triage"),
            path("dashboard/", wrap(dashboard_view), name="cases_case_dashboard"),
            path("reports/", wrap(reports_view), name="cases_case_sla_reports"),
            path(
                "reports/contract-review/",
                wrap(contract_review_pick),
                name="cases_case_contract_review_pick",
            ),
            path(
                "reports/contract-review/<str:tenant_id>/",
                wrap(contract_review_view),
                name="cases_case_contract_review",
            ),
            path("phone-case/", wrap(log_phone_case), name="cases_case_log_phone_case"),
            path("views/save/", wrap(save_view), name="cases_case_save_view"),
            path("<path:object_id>/act/<str:name>/", wrap(case_act), name="cases_case_act"),
            path("<path:object_id>/macro/", wrap(case_macro), name="cases_case_macro"),
            path("<path:object_id>/presence/", wrap(case_presence), name="cases_case_presence"),
            path(
                "<path:object_id>/attachments/<str:attachment_id>/",
                wrap(case_attachment),
                name="cases_case_attachment",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return case_page(self, request, object_id)

    @stale_reads_ok
    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        user = request.user
        return super().changelist_view(
            request,
            {
                **(extra_context or {}),
                **picker_context(request, self.get_list_display(request)),
                "title": "Queue",
                "at_risk_minutes": settings.SLA_AT_RISK_MINUTES,
                "triage_url": reverse("admin:cases_case_triage")
                if may(user, StaffAction.TRIAGE)
                else "",
                "dashboard_url": reverse("admin:cases_case_dashboard")
                if may(user, StaffAction.DASHBOARD)
                else "",
                "phone_case_url": reverse("admin:cases_case_log_phone_case")
                if may(user, StaffAction.WORK_CASES)
                else "",
            },
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def queue_row(self, list_display: list[str], case: Case, case_url: str) -> str:
        """One row of the queue in a single pass over `list_display`: the same cells and
        classes the admin would render, without its per-cell lookups, which cost more than
        the rest of the page (see bench/bench_queue.py)."""
        cells = []
        for name in list_display:
            if name == "action_checkbox":
                cells.append(
                    format_html(
                        '<td class="action-checkbox"><input type="checkbox" '
                        'name="_selected_action" value="{}" class="action-select" '
                        'aria-label="Select {}"></td>',
                        case.pk,
                        case.reference,
                    )
                )
            elif name in self.list_display_links:
                cells.append(
                    format_html(
                        '<th class="field-{}"><a href="{}">{}</a></th>',
                        name,
                        case_url,
                        getattr(case, name),
                    )
                )
            else:
                method = getattr(self, name, None)
                value = method(case) if method else getattr(case, name)
                cells.append(format_html('<td class="field-{}">{}</td>', name, value))
        return mark_safe("".join(cells))  # noqa: S308 - every cell built by format_html

    @admin.display(description="Summary")
    def summary_column(self, case: Case) -> str:
        badges = []
        if case.is_escalated:
            badges.append(("sd-escalated", "Escalated"))
        if case.known_issue_id:
            badges.append(("sd-ki", f"KI-{case.known_issue_id}"))
        summary = case.summary if len(case.summary) <= 80 else case.summary[:79] + "…"
        return format_html(
            "{} {}",
            summary,
            format_html_join(" ", '<span class="sd-badge {}">{}</span>', badges),
        )

    @admin.display(description="Impact · env.")
    def impact_column(self, case: Case) -> str:
        impact = _IMPACT_SHORT.get(case.business_impact, "")
        return f"{impact} · {_ENVIRONMENT_SHORT.get(case.environment, '')}"

    @admin.display(description="State", ordering="state")
    def state_column(self, case: Case) -> str:
        return format_html(
            '<span class="sd-state sd-state-{}">{}</span>', case.state, case.get_state_display()
        )

    @admin.display(description="SLA: time left", ordering="next_due_at")
    def due_column(self, case: Case) -> str:
        """The SLA columns in one cell: time left (highlighted when breached or at risk)
        over the due time itself."""
        status = due_status(case, timezone.now())
        if status.time_left is None:
            return format_html('<span class="sd-due sd-due-none">{}</span>', status.label)
        return format_html(
            '<span class="sd-due sd-due-{}">{}</span><br><small>{}</small>',
            status.level,
            status.label,
            due_pair_html(case.next_due_at, case.tenant.time_zone, short=True),
        )

    @admin.display(description="Owner")
    def owner_column(self, case: Case) -> str:
        if case.owner is None:
            return format_html('<span class="sd-unassigned">{}</span>', "unassigned")
        return case.owner.get_full_name() or case.owner.get_username()

    @admin.display(description="Owner · group")
    def owner_group_column(self, case: Case) -> str:
        """Owner over group: one narrow column instead of two, for a 1366 px screen."""
        if case.group is None:
            return self.owner_column(case)
        return format_html("{}<br><small>{}</small>", self.owner_column(case), case.group.name)

    @admin.display(description="Group")
    def group_column(self, case: Case) -> str:
        return case.group.name if case.group is not None else "—"

    @admin.display(description="Customer")
    def tenant_column(self, case: Case) -> str:
        return case.tenant.name

    @admin.display(description="Channel")
    def channel_column(self, case: Case) -> str:
        return case.get_channel_display()

    @admin.display(description="Plan")
    def plan_column(self, case: Case) -> str:
        return case.tenant.plan.name

    @admin.display(description="Received", ordering="created_at")
    def received_column(self, case: Case) -> str:
        return staff_time_html(case.created_at, short=True)
