"""Known issues in the staff admin: stages with a target date, the public summary, the
linked cases, and resolution, which closes those cases through `cases.services`.

Registered from `cases` because resolving is a case service: `knowledge` never imports
`cases`."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from cases import services
from cases.selectors import cases_for
from cases.services import StaffAction, may
from cases.services.permissions import refusal
from cases.templatetags.staff_time import staff_time_html
from knowledge import services as knowledge_services
from knowledge.models import KnownIssue
from knowledge.search import search_known_issues
from knowledge.selectors import known_issue_history
from knowledge.trackers import TrackerKind, tracker_link_clean
from supportdesk.admin_actions import ServiceBackedAdmin, add_service_errors, with_text
from supportdesk.errors import InvalidInput, ServiceError
from supportdesk.types import signed_in


class KnownIssueForm(forms.ModelForm):
    stage = forms.ChoiceField(
        choices=[c for c in KnownIssue.Stage.choices if c[0] != KnownIssue.Stage.RESOLVED]
    )
    tracker_url = forms.URLField(
        label="Tracker issue URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="The issue in Jira, GitHub, GitLab or Azure DevOps; its status changes then "
        "move this known issue's stage. Empty: no link.",
    )
    tracker_kind = forms.ChoiceField(
        label="Tracker",
        required=False,
        choices=[("", "From the URL"), *TrackerKind.choices],
    )
    tracker_key = forms.CharField(
        label="Issue key",
        required=False,
        max_length=100,
        help_text="e.g. OPS-12 or acme/app#42; read from the URL when empty.",
    )

    class Meta:
        model = KnownIssue
        fields = ["title", "public_summary", "internal_notes", "product", "stage", "target_date"]
        widgets = {"target_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Saved by their own service (known_issue_link_tracker), so not model fields here.
        for name in ("tracker_url", "tracker_kind", "tracker_key"):
            self.initial.setdefault(name, getattr(self.instance, name, ""))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            knowledge_services.validate_known_issue(
                title=data.get("title", ""),
                public_summary=data.get("public_summary", ""),
                stage=data.get("stage", ""),
                target_date=data.get("target_date"),
            )
        except InvalidInput as error:
            add_service_errors(self, error)
        try:
            tracker_link_clean(
                url=data.get("tracker_url", ""),
                key=data.get("tracker_key", ""),
                kind=data.get("tracker_kind", ""),
            )
        except InvalidInput as error:
            add_service_errors(self, error)
        return data


TRACKER_FIELDS = ("tracker_url", "tracker_kind", "tracker_key")


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="How was it resolved? (the closing note each linked case's customer reads)",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
    )


class ProductFilter(admin.SimpleListFilter):
    """By product, with issues that name none under a label of their own (the admin's
    filter by value would offer them as a link with no text)."""

    title = "product"
    parameter_name = "product"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        products = (
            KnownIssue.objects.exclude(product="")
            .order_by("product")
            .values_list("product", flat=True)
            .distinct()
        )
        return [*((product, product) for product in products), ("-", "No product")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(product="" if value == "-" else value)


@admin.register(KnownIssue)
class KnownIssueAdmin(ServiceBackedAdmin):
    form = KnownIssueForm
    list_display = ["__str__", "stage", "target_date", "open_cases", "product", "updated"]
    list_filter = ["stage", ProductFilter]
    search_fields = ["title"]
    search_help_text = "Words of the title or public summary."
    readonly_fields = ["created_by", "created", "resolved", "resolution_note", "public_history"]
    fieldsets = [
        (None, {"fields": ["title", "product", "stage", "target_date"]}),
        ("What customers see", {"fields": ["public_summary"]}),
        ("Internal", {"fields": ["internal_notes", "created_by", "created"]}),
        ("Development tracker", {"fields": list(TRACKER_FIELDS)}),
        ("Resolution", {"fields": ["resolved", "resolution_note"]}),
        ("Public history", {"fields": ["public_history"]}),
    ]
    actions = [
        with_text(
            description="Resolve and close linked cases",
            label="How was it resolved? (the closing note each linked case's customer reads)",
            done="Known issues resolved",
            perform=lambda request, issue, text: services.known_issue_resolve(
                known_issue_id=issue.id, actor=signed_in(request), note=text
            ),
        )
    ]

    # Times in the staff user's zone, labelled (cases/templatetags/staff_time.py).
    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, issue: KnownIssue) -> str:
        return staff_time_html(issue.updated_at, short=True)

    @admin.display(description="Created")
    def created(self, issue: KnownIssue) -> str:
        return staff_time_html(issue.created_at)

    @admin.display(description="Resolved")
    def resolved(self, issue: KnownIssue) -> str:
        return staff_time_html(issue.resolved_at)

    @admin.display(description="Stages and target dates customers saw")
    def public_history(self, issue: KnownIssue) -> str:
        """The issue's public history (knowledge.KnownIssueChange, as the help centre shows
        it), read-only: when each stage and target date began, oldest first."""
        changes = known_issue_history(issue) if issue.pk else []
        if not changes:
            return "—"
        return format_html(
            '<ol class="sd-ki-history">{}</ol>',
            format_html_join(
                "",
                "<li>{}: {}{}</li>",
                (
                    (
                        staff_time_html(change.at),
                        change.get_stage_display(),
                        f", target {date_format(change.target_date, 'j M Y')}"
                        if change.target_date
                        else "",
                    )
                    for change in changes
                ),
            ),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[KnownIssue]:
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(open_case_count=Count("cases", filter=~Q(cases__state="closed")))
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        found = search_known_issues(search_term).values("id")
        return queryset.filter(id__in=found), False

    def get_urls(self) -> list:
        resolve = self.admin_site.admin_view(self.resolve_view)
        return [
            path("<path:object_id>/resolve/", resolve, name="knowledge_knownissue_resolve"),
            *super().get_urls(),
        ]

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not may(request.user, StaffAction.RESOLVE_KNOWN_ISSUE):
            actions.pop("resolve_and_close_linked_cases", None)
        return actions

    def has_change_permission(self, request: HttpRequest, obj: KnownIssue | None = None) -> bool:
        if obj is not None and obj.is_resolved:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: KnownIssue, form: forms.ModelForm, change: bool
    ) -> None:
        fields = {name: form.cleaned_data[name] for name in KnownIssueForm.Meta.fields}
        if change:
            saved = services.known_issue_edit(
                known_issue_id=obj.id, actor=signed_in(request), **fields
            )
        else:
            saved = knowledge_services.known_issue_create(actor=signed_in(request), **fields)
        link = {name: form.cleaned_data.get(name, "") for name in TRACKER_FIELDS}
        # A new issue with a link, or a changed link (emptied: unlinked).
        edited = change and any(name in form.changed_data for name in TRACKER_FIELDS)
        if edited or (not change and link["tracker_url"]):
            knowledge_services.known_issue_link_tracker(
                known_issue_id=saved.pk,
                actor=signed_in(request),
                url=link["tracker_url"],
                key=link["tracker_key"],
                kind=link["tracker_kind"],
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        if str(object_id).isdigit():
            extra["linked_cases"] = (
                cases_for(request.user)
                .filter(known_issue_id=int(object_id))
                .select_related("tenant", "owner")
                .order_by("state", "id")
            )
            if may(request.user, StaffAction.RESOLVE_KNOWN_ISSUE):
                extra["resolve_url"] = reverse(
                    "admin:knowledge_knownissue_resolve", args=[int(object_id)]
                )
        return super().change_view(request, object_id, form_url, extra)

    @admin.display(description="Open cases", ordering="open_case_count")
    def open_cases(self, issue: KnownIssue) -> int:
        return issue.open_case_count  # type: ignore[attr-defined]  # annotated by get_queryset

    def resolve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Resolve one known issue from its page: the note, then the case service."""
        if not may(request.user, StaffAction.RESOLVE_KNOWN_ISSUE):
            raise PermissionDenied(refusal(StaffAction.RESOLVE_KNOWN_ISSUE))
        if not str(object_id).isdigit():
            raise Http404("No such known issue.")
        issue = get_object_or_404(KnownIssue, pk=int(object_id))
        form = ResolveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                closed = services.known_issue_resolve(
                    known_issue_id=issue.id,
                    actor=signed_in(request),
                    note=form.cleaned_data["note"],
                )
            except ServiceError as error:
                add_service_errors(form, error)
            else:
                done = f"{issue} resolved; {len(closed)} linked case(s) closed."
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:knowledge_knownissue_change", args=[issue.id])
                )
        open_count = (
            cases_for(request.user).filter(known_issue=issue).exclude(state="closed").count()
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": KnownIssue._meta,
            "title": f"Resolve {issue}",
            "issue": issue,
            "form": form,
            "open_count": open_count,
        }
        return TemplateResponse(request, "admin/knowledge/knownissue/resolve.html", context)
