"""A tenant's contract review: its SLA compliance, trend, backlog and response times over a
range, printable, and each table as CSV. For the tenant's own contacts (a partner acts
for cases, not for the contract); the figures are scoped to `request.portal.tenant`,
which `portal_page` takes from `tenants.access` on every request."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import sla_reports
from cases.report_pages import csv_response, export, parse_range, review_context
from cases.services.sla_cycles import report_day
from portal.context import PortalRequest, portal_page
from portal.views.people import contacts_only
from supportdesk.db_router import stale_reads_ok


@require_GET
@portal_page
@contacts_only
@stale_reads_ok
def contract_review(request: PortalRequest) -> HttpResponse:
    tenant = request.portal.tenant
    start, end, errors = parse_range(request, report_day(timezone.now()))
    scope = sla_reports.Scope(start, end, tenant_id=tenant.id)
    if request.GET.get("export"):
        table = export(scope, request.GET["export"], "priority")
        return csv_response(table, f"contract-review-{request.GET['export']}-{start}-{end}")
    context = {
        **review_context(scope),
        "errors": errors,
        "report_zone": settings.TIME_ZONE,
        "range_query": f"start={start}&end={end}",
    }
    return render(request, "portal/contract_review.html", context)
