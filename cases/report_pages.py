"""What the staff reports page and a tenant's contract review (staff and portal) share:
the range read from the query string, the review's figures and charts, the CSV exports.
The faces (cases/admin/reports.py, portal/views/reviews.py) check who may see what and
which tenant; this module only reads `cases.sla_reports` for the scope it is given."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from io import StringIO

from django.http import Http404, HttpRequest, HttpResponse

from cases import sla_reports
from cases.charts import column_chart

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
        "backlog_table": sla_reports.backlog_table(scope, points),
        "reopen_rate": sla_reports.reopen_rate(points),
        "received": sum(p.received for p in points),
        "closed": sum(p.closed for p in points),
        "distributions": sla_reports.distributions(scope),
    }
