"""The SLA reports in the staff admin (managers): compliance per metric by plan,
customer, priority, category, group or engineer over any range, the weekly trend, the
backlog, time-to-respond and time-to-resolve distributions, the reopen rate, CSAT per
engineer and the survey comments; each table exports to CSV. And a customer's contract
review, printable. Reads only: the figures come from `cases.sla_reports`."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from io import StringIO

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
from cases.charts import column_chart
from cases.models import Case
from cases.services import StaffAction, may
from cases.services.permissions import refusal
from cases.services.sla_cycles import report_day
from tenants.models import Tenant

DEFAULT_DAYS = 90


def parse_range(request: HttpRequest, today: date) -> tuple[date, date, list[str]]:
    """The report's range from `start` and `end` (YYYY-MM-DD, inclusive); the last 90
    days when absent; a clear message (and the default) when unreadable or too long."""
    errors: list[str] = []
    end, start = today, today - timedelta(days=DEFAULT_DAYS - 1)
    try:
        if request.GET.get("end"):
            end = date.fromisoformat(request.GET["end"])
        if request.GET.get("start"):
            start = date.fromisoformat(request.GET["start"])
        else:
            start = end - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        errors.append("Dates are written YYYY-MM-DD; showing the last 90 days.")
        end, start = today, today - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        errors.append("The range starts after it ends; the two dates were swapped.")
        start, end = end, start
    if end - start > sla_reports.MAX_RANGE:
        errors.append("A report covers at most two years; the range was shortened.")
        start = end - sla_reports.MAX_RANGE
    return start, end, errors


def _cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula is quoted as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return "" if value is None else value


def csv_response(table: sla_reports.Table, filename: str) -> HttpResponse:
    header, rows = table
    buffer = StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def export(scope: sla_reports.Scope, name: str, by: str) -> sla_reports.Table:
    if name == "compliance":
        return sla_reports.compliance_table(scope, by)
    if name == "trend":
        return sla_reports.trend_table(scope)
    if name == "backlog":
        return sla_reports.backlog_table(scope)
    if name == "distributions":
        return sla_reports.distribution_table(scope)
    if name == "csat" and scope.tenant_id is None:
        return sla_reports.csat_table(scope)
    if name == "comments" and scope.tenant_id is None:
        return sla_reports.comments_table(scope)
    raise Http404("No such report.")


def review_context(scope: sla_reports.Scope) -> dict[str, object]:
    """What a contract review shows (staff and portal alike): compliance per metric by
    priority and by category, the weekly trend, the backlog, the distributions."""
    trend = sla_reports.weekly_trend(scope)
    points = sla_reports.backlog(scope)
    return {
        "scope": scope,
        "metrics": sla_reports.METRICS,
        "by_priority": sla_reports.compliance_table(scope, "priority"),
        "by_category": sla_reports.compliance_table(scope, "category"),
        "trend_chart": column_chart(
            "trend",
            "SLA compliance per week",
            [(f"{p.week:%d %b}", p.percent) for p in trend],
            unit="%",
            top=100,
        ),
        "trend_table": sla_reports.trend_table(scope),
        "backlog_chart": column_chart(
            "backlog",
            "Open cases at the end of each day",
            [(f"{p.day:%d %b}", p.open_at_end) for p in points],
        ),
        "backlog_table": sla_reports.backlog_table(scope),
        "reopen_rate": sla_reports.reopen_rate(points),
        "received": sum(p.received for p in points),
        "closed": sum(p.closed for p in points),
        "distributions": sla_reports.distributions(scope),
    }


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
