"""Macros in the staff admin: the list (with how often each is used) and editor, which
save through `macro_create` / `macro_update` and archive through `macro_archive`; and the
case page's macro picker, which previews a macro on a case (an htmx fragment, or a page of
its own without script) and applies it with `macro_apply`.

Engineers keep personal macros; shared ones are kept by triage leads and managers (the
role table in `cases.services.permissions`). Nobody sees another's personal macros.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from cases import services
from cases.models import Case, Macro
from cases.selectors import macros_for, macros_usable_by, queue_for
from cases.services import MacroFields, StaffAction, may
from cases.services.macros import PLACEHOLDERS, macro_validate
from knowledge.models import KnownIssue
from supportdesk.admin_actions import ServiceBackedAdmin, add_service_errors, run_for_each
from supportdesk.errors import InvalidInput, ServiceError
from supportdesk.types import signed_in
from tenants.models import PlanPriority
from tenants.roles import support_staff

_PLACEHOLDER_HELP = "Placeholders: " + "; ".join(
    "{" + name + "} " + words for name, words in PLACEHOLDERS.items()
)


def _priority_choices() -> list[tuple[str, str]]:
    codes = PlanPriority.objects.order_by("rank", "code").values_list("code", flat=True)
    return [("", "Leave the priority"), *((code, code) for code in dict.fromkeys(codes))]


class MacroForm(forms.ModelForm):
    shared = forms.BooleanField(
        required=False,
        label="Shared with every engineer",
        help_text="Shared macros are kept by triage leads and managers; "
        "a personal macro is seen by you alone.",
    )
    priority = forms.ChoiceField(choices=_priority_choices, required=False)
    # Set per request by MacroAdmin.get_form: whether the editor keeps shared macros.
    may_share = False

    class Meta:
        model = Macro
        fields = [
            "name",
            "body",
            "state_action",
            "priority",
            "priority_reason",
            "assign",
            "assign_to",
            "known_issue",
            "internal_note",
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 8, "cols": 70}),
            "internal_note": forms.Textarea(attrs={"rows": 3, "cols": 70}),
        }
        help_texts = {"body": _PLACEHOLDER_HELP}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("assign_to", support_staff()),
            ("known_issue", KnownIssue.objects.filter(resolved_at__isnull=True)),
        ):
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = queryset
        if self.instance.pk is not None:
            self.fields["shared"].initial = self.instance.is_shared
        # An engineer's macros are personal: the box shows, but cannot be ticked.
        self.fields["shared"].disabled = not self.may_share

    def macro_fields(self) -> MacroFields:
        data = self.cleaned_data
        return MacroFields(
            name=data.get("name", ""),
            body=data.get("body", ""),
            shared=bool(data.get("shared")),
            state_action=data.get("state_action", ""),
            priority=data.get("priority", ""),
            priority_reason=data.get("priority_reason", ""),
            assign=data.get("assign", ""),
            assign_to=data.get("assign_to"),
            known_issue=data.get("known_issue"),
            internal_note=data.get("internal_note", ""),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        try:
            macro_validate(self.macro_fields())
        except InvalidInput as error:
            add_service_errors(self, error)
        return self.cleaned_data


def _archive(archived: bool, description: str) -> Any:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            modeladmin,
            request,
            queryset,
            lambda macro: services.macro_archive(
                actor=signed_in(request), macro_id=macro.id, archived=archived
            ),
            "Macros archived" if archived else "Macros restored",
        )

    action.__name__ = "archive" if archived else "restore"
    return admin.action(description=description)(action)


@admin.register(Macro)
class MacroAdmin(ServiceBackedAdmin):
    form = MacroForm
    list_display = ["name", "kind", "state_action", "usage_count", "last_used_at", "is_archived"]
    list_filter = ["is_archived", "state_action"]
    search_fields = ["name", "body"]
    search_help_text = "Words of the name or the reply."
    ordering = ["is_archived", "-usage_count", "name"]
    readonly_fields = ["usage_count", "last_used_at", "is_archived"]
    actions = [
        _archive(True, "Archive the selected macros"),
        _archive(False, "Restore the selected macros"),
    ]
    fieldsets = [
        (None, {"fields": ["name", "shared", "body"]}),
        (
            "What else it does",
            {
                "fields": [
                    "state_action",
                    ("priority", "priority_reason"),
                    ("assign", "assign_to"),
                    "known_issue",
                    "internal_note",
                ]
            },
        ),
        ("Use", {"fields": ["usage_count", "last_used_at", "is_archived"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Macro]:
        return macros_for(request.user).select_related("owner")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        form.may_share = may(request.user, StaffAction.MANAGE_SHARED_MACROS)  # type: ignore[attr-defined]  # a fresh class per request
        return form

    @admin.display(description="Kind", ordering="owner")
    def kind(self, macro: Macro) -> str:
        return "Shared" if macro.is_shared else "Personal"

    def has_change_permission(self, request: HttpRequest, obj: Macro | None = None) -> bool:
        if (
            obj is not None
            and obj.is_shared
            and not may(request.user, StaffAction.MANAGE_SHARED_MACROS)
        ):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # archived, never deleted: the usage of a macro stays explainable

    def save_model(
        self, request: HttpRequest, obj: Macro, form: forms.ModelForm, change: bool
    ) -> None:
        fields = form.macro_fields()  # type: ignore[attr-defined]
        if change:
            saved = services.macro_update(actor=signed_in(request), macro_id=obj.id, fields=fields)
        else:
            saved = services.macro_create(actor=signed_in(request), fields=fields)
        obj.pk = saved.pk
        obj.refresh_from_db()


# --- The case page's macro picker.


def macro_choices(request: HttpRequest) -> QuerySet[Macro]:
    """The macros the case page offers: shared and personal, most used first."""
    return (
        macros_usable_by(request.user)
        .only("id", "name", "owner_id")
        .order_by("-usage_count", "name")
    )


def _version(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


def case_macro(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """GET: the preview of one macro on the case (a fragment for htmx, a page otherwise).
    POST: apply it with the text as edited; a refusal shows the preview again with the
    text kept and the service's message."""
    if not str(object_id).isdigit():
        raise Http404("No such case.")
    case = get_object_or_404(
        queue_for(request.user).select_related("reporter", "tenant"), pk=int(object_id)
    )
    if not may(request.user, StaffAction.WORK_CASES):
        raise Http404("No such case.")
    source = request.POST if request.method == "POST" else request.GET
    macro_id = _version(source.get("macro"))
    if macro_id is None:
        if request.headers.get("HX-Request"):
            return HttpResponse("")
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.id]) + "#macros")
    macro = get_object_or_404(macros_usable_by(request.user), pk=macro_id)
    version = _version(source.get("expected_version")) or case.version
    user = signed_in(request)
    status = 200
    body = None
    if request.method == "POST":
        body = str(request.POST.get("body", ""))
        try:
            services.macro_apply(
                case_id=case.id,
                actor=user,
                macro_id=macro.id,
                expected_version=_version(request.POST.get("expected_version")),
                edited_body=body,
            )
        except ServiceError as error:
            messages.error(request, error.message)
            status = error.status_code
        else:
            messages.success(request, f"Macro “{macro.name}” applied to {case.reference}.")
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.id]))
    preview = services.macro_preview(case=case, actor=user, macro=macro)
    context: dict[str, Any] = {
        "case": case,
        "macro": macro,
        "preview": preview,
        "body": preview.body if body is None else body,
        "expected_version": version,
    }
    if request.headers.get("HX-Request") and request.method == "GET":
        return TemplateResponse(request, "admin/cases/case/macro_preview.html", context)
    context |= {
        **model_admin.admin_site.each_context(request),
        "opts": Case._meta,
        "title": f"{case.reference}: macro “{macro.name}”",
    }
    return TemplateResponse(request, "admin/cases/case/macro_page.html", context, status=status)


__all__ = ["MacroAdmin", "MacroForm", "case_macro", "macro_choices"]
