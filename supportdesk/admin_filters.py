"""Sidebar filters of the admin rendered as a select, for long lists (customers, plans,
people): the queue and the audit log use them."""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.http import HttpRequest

from supportdesk.types import present

SELECT_TEMPLATE = "admin/cases/filter_select.html"


class SelectChoices:
    """Render a filter as a select whose options carry the raw value; a line of script
    sets the parameter. A list of 200 customers does not fit the sidebar, and building a
    full query string for each option would cost more than the rest of the page."""

    template = SELECT_TEMPLATE

    if TYPE_CHECKING:  # given by the list filter this is mixed into
        lookup_choices: list[tuple[Any, str]]

        def selected_values(self) -> list[str]: ...

    # Options for our own template (a raw value each, no query string), so not the
    # admin's `_ListFilterChoices`: the two filters below say so where they mix this in.
    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:
        current = self.selected_values()
        yield {"selected": not current, "value": "", "display": "All"}
        for value, label in self.lookup_choices:
            yield {"selected": str(value) in current, "value": value, "display": label}


class DropdownFilter(SelectChoices, admin.RelatedFieldListFilter):  # type: ignore[misc]
    """Customer or plan, by name."""

    @property
    def parameter(self) -> str:
        return self.lookup_kwarg

    def selected_values(self) -> list[str]:
        return [str(value) for value in self.lookup_val or []]

    def field_choices(
        self, field: models.Field, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list:
        related = present(field.remote_field, "relation").model
        return list(related._default_manager.order_by("name").values_list("pk", "name"))


class SelectListFilter(SelectChoices, admin.SimpleListFilter):  # type: ignore[misc]
    @property
    def parameter(self) -> str | None:
        return self.parameter_name

    def selected_values(self) -> list[str]:
        value = self.value()
        return [value] if value else []


class InGroupFilter(admin.SimpleListFilter):
    """A yes/no filter on whether a status field holds one of a group of values (live
    escalations, open requests); subclasses name the field, the group and the labels."""

    field: str
    members: tuple[str, ...]
    yes_label = "Yes"
    no_label = "No"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", self.yes_label), ("no", self.no_label)]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        within = {f"{self.field}__in": self.members}
        if self.value() == "yes":
            return queryset.filter(**within)
        if self.value() == "no":
            return queryset.exclude(**within)
        return queryset
