"""Admin actions that call a service per selected row and report each refusal.

The admin holds no rules of its own: an action collects what the service needs
(a note or reason, through one small intermediate page) and shows the service's
own message when it refuses.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from supportdesk.errors import ServiceError


def run_for_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    perform: Callable[[Model], object],
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
    perform: Callable[[HttpRequest, Model, str], object],
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet], HttpResponse | None]:
    """An action that first asks for a required text (a reason or a note)."""

    def action(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        text = request.POST.get("action_text", "").strip()
        if "apply" in request.POST and text:
            run_for_each(
                modeladmin, request, queryset, lambda obj: perform(request, obj, text), done
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
