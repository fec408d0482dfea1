"""The SLA reports in the staff admin (managers): compliance per metric by plan,
customer, priority, category, group or engineer over any range, the weekly trend, the
backlog, time-to-respond and time-to-resolve distributions, the reopen rate, CSAT per
engineer and the survey comments; each table exports to CSV. And a customer's contract
review, printable. Reads only: the figures come from `cases.sla_reports`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from cases import sla_reports
from cases.models import Case
from cases.report_pages import csv_response, export, parse_range, review_context
from cases.services import StaffAction, may
from cases.services.permissions import refusal
from cases.services.sla_cycles import report_day
from supportdesk.db_router import stale_reads_ok
from tenants.models import Tenant


@stale_reads_ok
def reports_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not may(request.user, StaffAction.SLA_REPORTS):
        raise PermissionDenied(refusal(StaffAction.SLA_REPORTS))
    start, end, errors = parse_range(request, report_day(timezone.now()))
    by = request.GET.get("by", "plan")
    if by not in sla_reports.DIMENSIONS:
        by = "plan"
    scope = sla_reports.Scope(start, end)
    if request.GET.get("export"):
        table = export(scope, request.GET["export"], by)
        return csv_response(table, f"sla-{request.GET['export']}-{start}-{end}")
    context = {
        **model_admin.admin_site.each_context(request),
        **review_context(scope),
        "opts": Case._meta,
        "title": "SLA reports",
        "errors": errors,
        "by": by,
        "by_label": sla_reports.DIMENSIONS[by],
        "report_zone": settings.TIME_ZONE,
        "dimensions": sla_reports.DIMENSIONS.items(),
        "compliance_table": sla_reports.compliance_table(scope, by),
        "csat_table": sla_reports.csat_table(scope),
        "comments": sla_reports.survey_comments(scope),
        "tenants": Tenant.objects.order_by("name").values_list("id", "name"),
        "range_query": f"start={start}&end={end}",
    }
    return TemplateResponse(request, "admin/cases/case/sla_reports.html", context)


def contract_review_pick(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """The reports page's customer picker: on to that customer's review, same range."""
    if not may(request.user, StaffAction.SLA_REPORTS):
        raise PermissionDenied(refusal(StaffAction.SLA_REPORTS))
    tenant_id = request.GET.get("tenant", "")
    if not tenant_id.isdigit():
        raise Http404("No such customer.")
    query = urlencode({k: request.GET[k] for k in ("start", "end") if request.GET.get(k)})
    url = reverse("admin:cases_case_contract_review", args=[tenant_id])
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


@stale_reads_ok
def contract_review_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, tenant_id: str
) -> HttpResponse:
    if not may(request.user, StaffAction.SLA_REPORTS):
        raise PermissionDenied(refusal(StaffAction.SLA_REPORTS))
    if not tenant_id.isdigit():
        raise Http404("No such customer.")
    tenant = get_object_or_404(Tenant, id=int(tenant_id))
    start, end, errors = parse_range(request, report_day(timezone.now()))
    scope = sla_reports.Scope(start, end, tenant_id=tenant.id)
    if request.GET.get("export"):
        table = export(scope, request.GET["export"], "priority")
        return csv_response(table, f"contract-review-{tenant.id}-{request.GET['export']}")
    context = {
        **model_admin.admin_site.each_context(request),
        **review_context(scope),
        "opts": Case._meta,
        "title": f"Contract review: {tenant.name}",
        "tenant": tenant,
        "report_zone": settings.TIME_ZONE,
        "errors": errors,
        "range_query": f"start={start}&end={end}",
    }
    return TemplateResponse(request, "admin/cases/case/contract_review.html", context)
