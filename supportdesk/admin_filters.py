"""Sidebar filters of the admin rendered as a select, for long lists (customers, plans,
people): the queue and the audit log use them."""

from django.contrib import admin
from django.http import HttpRequest

SELECT_TEMPLATE = "admin/cases/filter_select.html"


class SelectChoices:
    """Render a filter as a select whose options carry the raw value; a line of script
    sets the parameter. A list of 200 customers does not fit the sidebar, and building a
    full query string for each option would cost more than the rest of the page."""

    template = SELECT_TEMPLATE

    def choices(self, changelist: object) -> object:
        current = self.selected_values()
        yield {"selected": not current, "value": "", "display": "All"}
        for value, label in self.lookup_choices:
            yield {"selected": str(value) in current, "value": value, "display": label}


class DropdownFilter(SelectChoices, admin.RelatedFieldListFilter):
    """Customer or plan, by name."""

    @property
    def parameter(self) -> str:
        return self.lookup_kwarg

    def selected_values(self) -> list[str]:
        return [str(value) for value in self.lookup_val or []]

    def field_choices(self, field: object, request: HttpRequest, model_admin: object) -> list:
        related = field.remote_field.model
        return list(related._default_manager.order_by("name").values_list("pk", "name"))


class SelectListFilter(SelectChoices, admin.SimpleListFilter):
    @property
    def parameter(self) -> str:
        return self.parameter_name

    def selected_values(self) -> list[str]:
        return [self.value()] if self.value() else []
