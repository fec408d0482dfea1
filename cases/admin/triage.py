"""The triage view: new cases nobody owns, each with its artifacts checklist and a way to
hand it to an engineer in one step."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join

from cases.models import Case
from cases.selectors import artifacts_checklist, due_status, triage_queue
from cases.services import StaffAction, may
from cases.services.permissions import refusal
from supportdesk.bounded import COUNT_CAP, bounded
from tenants.roles import support_staff

SHOWN = 50


def triage_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> TemplateResponse:
    if not may(request.user, StaffAction.TRIAGE):
        raise PermissionDenied(refusal(StaffAction.TRIAGE))
    waiting = bounded(triage_queue(request.user), shown=SHOWN, cap=COUNT_CAP)
    now = timezone.now()
    rows = [(case, artifacts_checklist(case), due_status(case, now)) for case in waiting.rows]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Case._meta,
        "title": "Triage: new and unassigned",
        "rows": rows,
        "total": waiting.count,
        "total_label": waiting.label,
        "shown": SHOWN,
        # One <option> list for every row's owner select, built once rather than per row.
        "staff_options": format_html_join(
            "",
            '<option value="{}">{}</option>',
            ((p.id, p.get_full_name() or p.get_username()) for p in support_staff()),
        ),
    }
    return TemplateResponse(request, "admin/cases/case/triage.html", context)
