"""The queue's filters. Each reads only what the selectors define (open, breached, due
within …), so the queue, the dashboard and the tasks agree on the words."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from cases.models import State, SupportGroup
from cases.selectors import at_risk_q, breached_q, due_within_q, open_cases_q, waiting_on_us
from knowledge.models import KnownIssue
from supportdesk.admin_filters import SelectListFilter
from supportdesk.types import signed_in
from tenants.models import Category, PlanPriority
from tenants.roles import support_staff

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices


class StateFilter(admin.SimpleListFilter):
    """Open cases unless asked otherwise: closed work is rarely what the queue is for."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("open", "Open"), *State.choices, ("all", "All, closed included")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(open_cases_q())
        if value in State.values:
            return queryset.filter(state=value)
        return queryset

    def choices(self, changelist: ChangeList) -> "Iterator[_ListFilterChoices]":
        current = self.value() or "open"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value} if value != "open" else {},
                    [self.parameter_name],
                ),
                "display": label,
            }


class PriorityFilter(admin.SimpleListFilter):
    title = "priority"
    parameter_name = "priority"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        codes = PlanPriority.objects.order_by("rank", "code").values_list("code", flat=True)
        return [(code, code) for code in dict.fromkeys(codes)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(priority=self.value()) if self.value() else queryset


class CategoryFilter(admin.SimpleListFilter):
    """By category code, named from the categories (not a DISTINCT over every case)."""

    title = "category"
    parameter_name = "category__exact"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return list(Category.objects.values_list("code", "name"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(category=self.value()) if self.value() else queryset


class OwnerFilter(SelectListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        staff = [
            (str(user.id), user.get_full_name() or user.get_username())
            for user in support_staff().only("id", "username", "first_name", "last_name")
        ]
        return [("mine", "Mine"), ("unassigned", "Unassigned"), *staff]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "mine":
            return queryset.filter(owner=request.user)
        if value == "unassigned":
            return queryset.filter(owner__isnull=True)
        if value and value.isdigit():
            return queryset.filter(owner_id=int(value))
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [
            ("breached", "Breached"),
            ("at_risk", "At risk"),
            ("no_clock", "No clock running"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "breached":
            return queryset.filter(breached_q(now))
        if self.value() == "at_risk":
            return queryset.filter(at_risk_q(now))
        if self.value() == "no_clock":
            return queryset.filter(next_due_at__isnull=True)
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    """Cases where the customer spoke last (`selectors.waiting_on_us`); best narrowed to
    an owner first, as the home's "waiting on me" link does (owner=mine&waiting=us)."""

    title = "waiting on"
    parameter_name = "waiting"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("us", "Us: the customer spoke last")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return waiting_on_us(queryset) if self.value() == "us" else queryset


class DueWithinFilter(admin.SimpleListFilter):
    """Due in the next N hours (not yet breached). Any whole number works in the address,
    e.g. ?due_within=6."""

    title = "due within"
    parameter_name = "due_within"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        options = [("1", "1 hour"), ("4", "4 hours"), ("8", "8 hours"), ("24", "24 hours")]
        value = self.value()
        if value and value.isdigit() and value not in dict(options):
            options.append((value, f"{value} hours"))
        return options

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit() and 0 < int(value) <= 24 * 366:
            return queryset.filter(due_within_q(timezone.now(), int(value)))
        return queryset


class KnownIssueFilter(SelectListFilter):
    title = "known issue"
    parameter_name = "known_issue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        issues = KnownIssue.objects.exclude(stage=KnownIssue.Stage.RESOLVED).order_by("-id")
        return [
            ("any", "Linked to one"),
            ("none", "Not linked"),
            *((str(issue.id), str(issue)) for issue in issues.only("id", "title")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "any":
            return queryset.filter(known_issue__isnull=False)
        if value == "none":
            return queryset.filter(known_issue__isnull=True)
        if value and value.isdigit():
            return queryset.filter(known_issue_id=int(value))
        return queryset


class EscalatedFilter(admin.SimpleListFilter):
    title = "escalation"
    parameter_name = "escalated"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Escalated"), ("no", "Not escalated")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(escalated_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(Q(escalated_at__isnull=True))
        return queryset


class GroupFilter(SelectListFilter):
    """The cases of one group, of the groups the signed-in engineer belongs to, or none."""

    title = "group"
    parameter_name = "group"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        groups = SupportGroup.objects.values_list("id", "name")
        return [
            ("mine", "My groups"),
            ("none", "No group"),
            *((str(group_id), name) for group_id, name in groups),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "mine":
            mine = SupportGroup.objects.filter(memberships__user=signed_in(request)).values("id")
            return queryset.filter(group__in=mine)
        if value == "none":
            return queryset.filter(group__isnull=True)
        if value and value.isdigit():
            return queryset.filter(group_id=int(value))
        return queryset
