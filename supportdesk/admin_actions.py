"""Admin actions that call a service per selected row and report each refusal.

The admin holds no rules of its own: an action collects what the service needs
(a note or reason, through one small intermediate page) and shows the service's
own message when it refuses.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse

from supportdesk.errors import ServiceError
from supportdesk.types import AnyUser, AuthenticatedHttpRequest, signed_in_request

M = TypeVar("M", bound=Model)

# An admin action; the admin only runs them for signed-in staff (`AdminSite.admin_view`),
# so the callbacks below get an `AuthenticatedHttpRequest`.
AdminAction = Callable[[admin.ModelAdmin, HttpRequest, QuerySet], HttpResponse | None]


def run_for_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[M],
    perform: Callable[[M], object],
    done: str,
) -> None:
    succeeded = 0
    for obj in queryset:
        try:
            perform(obj)
        except ServiceError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)


def with_text(
    *,
    description: str,
    label: str,
    done: str,
    perform: Callable[[AuthenticatedHttpRequest, Any, str], object],
) -> AdminAction:
    """An action that first asks for a required text (a reason or a note)."""

    def action(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        text = request.POST.get("action_text", "").strip()
        if "apply" in request.POST and text:
            run_for_each(
                modeladmin,
                request,
                queryset,
                lambda obj: perform(signed_in_request(request), obj, text),
                done,
            )
            return None
        if "apply" in request.POST:
            modeladmin.message_user(request, f"{label} is required.", messages.ERROR)
        return TemplateResponse(
            request,
            "admin/action_with_text.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "label": label,
                "objects": queryset,
                "action": request.POST.get("action"),
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = description.lower().replace(" ", "_")
    return admin.action(description=description)(action)


def with_form(
    *,
    description: str,
    done: str,
    make_form: Callable[[HttpRequest, QuerySet, QueryDict | None], forms.Form],
    perform: Callable[[AuthenticatedHttpRequest, Any, dict[str, Any]], object],
    name: str | None = None,
) -> AdminAction:
    """An action that first asks for what the service needs through a small form (an owner,
    a priority and a reason …), then calls the service once per selected row."""

    def action(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        form = make_form(request, queryset, request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            run_for_each(
                modeladmin,
                request,
                queryset,
                lambda obj: perform(signed_in_request(request), obj, form.cleaned_data),
                done,
            )
            return None
        return TemplateResponse(
            request,
            "admin/action_with_form.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "form": form,
                "objects": queryset,
                "action": request.POST.get("action"),
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = name or description.lower().replace(" ", "_")
    return admin.action(description=description)(action)


def add_service_errors(form: forms.BaseForm, error: ServiceError) -> None:
    """Show a service's refusal on the form: per field where it names one, else on top."""
    placed = False
    for field, errors in error.field_errors.items():
        if field in form.fields:
            form.add_error(field, errors)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class ServiceBackedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose add/change form saves through a service. The form validates with
    the service's own validator (see `add_service_errors`); a refusal that only the save
    can find (a role, a state) rolls the save back and comes back as a message."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log the services write (the outbox, webhook deliveries): those `may_read` allows
    see it; nobody adds, changes or deletes a row here."""

    def may_read(self, user: AnyUser) -> bool:
        raise NotImplementedError

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.may_read(request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.may_read(request.user)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows a service writes (steps, events, notices, slots) shown under their parent:
    nothing added, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
