"""The audit log in the admin: read-only for everyone, readable by support managers, the
Security role and superusers, filterable, searchable and exported as CSV.

Built for a log of millions of rows: the list is never counted (the planner's estimate,
as in the queue), each filter offers fixed choices rather than distinct values read from
the log, and the newest-first pages of one tenant or one person come from an index.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from audit.models import AuditEntry
from audit.services import audit_export
from audit.tracked import TRACKED
from cases.admin.filters import DropdownFilter, SelectListFilter
from supportdesk.admin_paging import EstimatedCountPaginator
from supportdesk.types import AnyUser, signed_in
from tenants.roles import Role, has_role

EXPORT_CHUNK = 2000


def may_read_audit_log(user: AnyUser) -> bool:
    """Support managers and Security (superusers hold both); not engineers or triage
    leads, whose own actions the log is also there to answer for."""
    return has_role(user, Role.MANAGER) or has_role(user, Role.SECURITY)


class ActorFilter(SelectListFilter):
    """The system (tasks, sweeps) or one member of staff; customers by search."""

    title = "who"
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        from django.contrib.auth import get_user_model

        staff = get_user_model().objects.filter(is_staff=True).order_by("username")
        return [("system", "System (tasks)")] + [
            (str(pk), username) for pk, username in staff.values_list("pk", "username")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "system":
            return queryset.filter(
                Q(actor_email__isnull=True) | Q(actor_email=""), actor__isnull=True
            )
        if value and value.isdigit():
            return queryset.filter(actor_id=int(value))
        return queryset


class ModelFilter(SelectListFilter):
    title = "kind of record"
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        labels = [*TRACKED, AuditEntry._meta.label_lower]
        return sorted((label, label.split(".")[1].replace("_", " ")) for label in labels)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value or value.count(".") != 1:
            return queryset
        app_label, model = value.split(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


# django-auditlog's own admin registers whichever entry model is configured; this one
# replaces it (auditlog comes before audit in INSTALLED_APPS, so it registered first).
if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "timestamp",
        "who",
        "origin",
        "action_column",
        "record",
        "tenant_name",
        "changed_fields",
    ]
    list_display_links = ["timestamp"]
    list_select_related = ["content_type", "tenant"]
    list_filter = [
        ("tenant", DropdownFilter),
        ActorFilter,
        ModelFilter,
        "action",
        ("timestamp", admin.DateFieldListFilter),
    ]
    search_fields = ["object_repr", "=object_pk", "=actor_email", "verb", "task"]
    search_help_text = (
        "What was changed or read (a case reference, a name), an object id, "
        "the exact user name of who did it, a verb or a task."
    )
    sortable_by = ()
    list_per_page = 100
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    fields = readonly_fields = (
        "timestamp",
        "who",
        "origin",
        "action_column",
        "record",
        "tenant_name",
        "cid",
        "change_table",
    )

    class Media:
        js = ["cases/queue.js"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_read_audit_log(request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_read_audit_log(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        return {}

    @admin.display(description="who")
    def who(self, entry: AuditEntry) -> str:
        return entry.who

    @admin.display(description="from")
    def origin(self, entry: AuditEntry) -> str:
        return entry.origin

    @admin.display(description="action")
    def action_column(self, entry: AuditEntry) -> str:
        action = entry.get_action_display()
        return f"{action}: {entry.verb}" if entry.verb else action

    @admin.display(description="record")
    def record(self, entry: AuditEntry) -> str:
        return f"{entry.content_type.name} {entry.object_pk} · {entry.object_repr}".strip(" ·")

    @admin.display(description="tenant")
    def tenant_name(self, entry: AuditEntry) -> str:
        return entry.tenant.name if entry.tenant_id and entry.tenant else ""

    @admin.display(description="fields")
    def changed_fields(self, entry: AuditEntry) -> str:
        if entry.action == AuditEntry.Action.CREATE:
            return f"new, {len(entry.changes or {})} fields"
        return ", ".join((entry.changes or {}).keys())

    @admin.display(description="changes")
    def change_table(self, entry: AuditEntry) -> str:
        rows = [
            (name, _shown(values[0]), _shown(values[1]))
            for name, values in (entry.changes or {}).items()
            if isinstance(values, list | tuple) and len(values) == 2
        ]
        if not rows:
            return "—"
        return format_html(
            "<table><tr><th>field</th><th>before</th><th>after</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    def get_urls(self) -> list:
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name="audit_auditentry_export"), *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        query = request.GET.urlencode()
        export_url = reverse("admin:audit_auditentry_export") + (f"?{query}" if query else "")
        return super().changelist_view(
            request, {**(extra_context or {}), "title": "Audit log", "export_url": export_url}
        )

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """The rows the list shows for the same filters and search, all of them, as CSV,
        streamed; the export is itself an entry of the log."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("These filters do not apply to the audit log.")
        rows = changelist.queryset.select_related("content_type", "tenant")
        audit_export(
            actor=signed_in(request),
            request=request,
            query=request.GET.urlencode(),
            what="audit log",
        )
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response


CSV_HEADER = [
    "time",
    "who",
    "from",
    "action",
    "verb",
    "model",
    "object id",
    "object",
    "tenant",
    "changes",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for entry in rows.iterator(chunk_size=EXPORT_CHUNK):
        changes = "; ".join(
            f"{name}: {_shown(values[0])} → {_shown(values[1])}"
            for name, values in (entry.changes or {}).items()
            if isinstance(values, list | tuple) and len(values) == 2
        )
        yield writer.writerow(
            [
                _cell(value)
                for value in [
                    entry.timestamp.isoformat(),
                    entry.who,
                    entry.origin,
                    entry.get_action_display(),
                    entry.verb,
                    entry.content_type.model,
                    entry.object_pk,
                    entry.object_repr,
                    entry.tenant.name if entry.tenant_id and entry.tenant else "",
                    changes,
                ]
            ]
        )


def _shown(value: object) -> str:
    return "—" if value is None else str(value)


def _cell(value: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted as text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
