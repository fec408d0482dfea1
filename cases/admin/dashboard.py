"""The manager dashboard: open work, SLA compliance, breaches, escalations and CSAT,
drawn as bars and columns rendered on the server (no script, no CDN). Compliance and
the missed responses come from the SLA rollups (`cases.metrics`), so every window costs
the same."""

from dataclasses import dataclass

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from cases import metrics
from cases.models import Case, State
from cases.selectors import cases_for
from cases.services import StaffAction, may
from cases.services.permissions import refusal
from cases.sla_reports import Scope
from supportdesk.db_router import stale_reads_ok

WINDOWS = (7, 30, 90, 365)
TENANTS_SHOWN = 15


@dataclass(frozen=True)
class Segment:
    state: str
    label: str
    count: int
    width: float  # percent of the widest bar


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str


def compliance_tone(percent: float | None) -> str:
    if percent is None:
        return "na"
    if percent >= 95:
        return "good"
    return "fair" if percent >= 85 else "poor"


def _open_bars(rows: list[metrics.OpenByPriority]) -> list[tuple[str, int, list[Segment]]]:
    widest = max((row.total for row in rows), default=0) or 1
    labels = dict(State.choices)
    return [
        (
            row.priority,
            row.total,
            [
                Segment(state, labels[state], count, 100 * count / widest)
                for state, count in row.by_state.items()
                if count
            ],
        )
        for row in rows
    ]


def _columns(series: list, width: float = 720, height: float = 120) -> list[Column]:
    tallest = max((count for _, count in series), default=0) or 1
    step = width / max(len(series), 1)
    columns = []
    for i, (day, count) in enumerate(series):
        bar = height * count / tallest
        columns.append(
            Column(i * step + 1, height - bar, max(step - 2, 1), bar, f"{day:%d %b}: {count}")
        )
    return columns


@stale_reads_ok
def dashboard_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> TemplateResponse:
    if not may(request.user, StaffAction.DASHBOARD):
        raise PermissionDenied(refusal(StaffAction.DASHBOARD))
    days = int(request.GET["days"]) if request.GET.get("days") in {str(w) for w in WINDOWS} else 30
    now = timezone.now()
    scope = Scope.last_days(days, now)
    cases = cases_for(request.user)
    open_rows = metrics.open_by_priority_and_state(cases)
    per_tenant = metrics.response_compliance(scope, by="tenant")
    breaches = metrics.breaches(cases, scope=scope, now=now)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Case._meta,
        "title": "Support dashboard",
        "days": days,
        "windows": WINDOWS,
        "states": [(state, label) for state, label in State.choices if state != State.CLOSED],
        "open_bars": _open_bars(open_rows),
        "open_total": sum(row.total for row in open_rows),
        "per_plan": [
            (row, compliance_tone(row.percent))
            for row in metrics.response_compliance(scope, by="plan")
        ],
        "awaiting": metrics.awaiting_first_response(cases, now=now),
        "per_tenant": [(row, compliance_tone(row.percent)) for row in per_tenant if row.measured][
            :TENANTS_SHOWN
        ],
        "tenants_measured": sum(1 for row in per_tenant if row.measured),
        "breaches": breaches,
        "missed_columns": _columns(breaches.missed_per_day),
        "missed_total": sum(count for _, count in breaches.missed_per_day),
        "escalated": list(metrics.escalated_cases(cases)[:20]),
        "csat": metrics.csat_averages(scope),
    }
    return TemplateResponse(request, "admin/cases/case/dashboard.html", context)
