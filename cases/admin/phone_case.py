"""Staff log a case during a customer's call: the one way a case arrives by phone, and
the way a phone-only priority is filed at all. The form parses; `case_create` decides
(the contact must have access, the priority must suit the environment)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from cases import services
from cases.models import Case, Channel, EnvironmentAccess
from cases.services import StaffAction, may
from cases.services.permissions import refusal
from supportdesk.errors import ServiceError
from supportdesk.types import signed_in
from tenants.models import AuthorizedContact, Category, EnvironmentKind, PlanPriority


class PhoneCaseForm(forms.Form):
    contact = forms.ModelChoiceField(
        queryset=AuthorizedContact.objects.filter(is_active=True)
        .select_related("tenant", "user")
        .order_by("tenant__name", "user__last_name", "user__first_name"),
        help_text="The caller: an authorized contact of the customer.",
    )
    priority = forms.ChoiceField(help_text="A priority code of the customer's plan.")
    category = forms.ChoiceField(help_text="A category the customer's plan offers.")
    environment = forms.TypedChoiceField(choices=EnvironmentKind.choices, coerce=int)
    environment_access = forms.ChoiceField(
        label="May support access the environment?", choices=EnvironmentAccess.choices
    )
    summary = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = PlanPriority.objects.order_by("code").values_list("code", flat=True).distinct()
        self.fields["priority"].choices = [(code, code) for code in codes]  # type: ignore[attr-defined]
        categories = Category.objects.filter(is_active=True).order_by("order", "name")
        self.fields["category"].choices = list(categories.values_list("code", "name"))  # type: ignore[attr-defined]


def log_phone_case(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the form; POST: `case_create(channel=phone, reporter=the caller)`."""
    user = signed_in(request)
    if not may(user, StaffAction.WORK_CASES):
        raise PermissionDenied(refusal(StaffAction.WORK_CASES))
    form = PhoneCaseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            contact = data["contact"]
            try:
                case = services.case_create(
                    actor=user,
                    tenant_id=contact.tenant_id,
                    reporter=contact.user,
                    channel=Channel.PHONE,
                    summary=data["summary"],
                    category=data["category"],
                    priority=data["priority"],
                    environment=data["environment"],
                    environment_access=data["environment_access"],
                    description=data["description"],
                )
            except ServiceError as error:
                for field, errors in error.field_errors.items():
                    form.add_error(field if field in form.fields else None, errors)
                messages.error(request, error.message)
                status = error.status_code
            else:
                messages.success(request, f"{case.reference} logged from the call.")
                return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.id]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Case._meta,
        "title": "Log a phone case",
        "form": form,
    }
    return TemplateResponse(request, "admin/cases/case/log_phone_case.html", context, status=status)
