"""The case panels of the staff home (`supportdesk.admin_home`): my open cases, what waits
on me, new unassigned cases for triage, and the escalations my role answers. The reads are
`cases.home`'s; this module only lays them out and links each count to the queue (or the
escalations' list) filtered to what it counts."""

from datetime import datetime
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cases.home import Bounded, CaseRow, home_for
from cases.models import Case, CustomerEscalation
from supportdesk.admin_home import Card, Panel, home_section
from supportdesk.types import signed_in

CASE_HEADERS = ["Case", "Customer", "Priority", "State", "Time left"]


def _queue(**filters: str) -> str:
    return reverse("admin:cases_case_changelist") + "?" + urlencode(filters)


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d %b %H:%M") if moment else "—"


def _case_link(case: Case) -> SafeString:
    summary = case.summary if len(case.summary) <= 70 else case.summary[:69] + "…"
    return format_html(
        '<a href="{}">{}</a> {}',
        reverse("admin:cases_case_change", args=[case.pk]),
        case.reference,
        summary,
    )


def _owner(case: Case) -> str | SafeString:
    if case.owner is None:
        return format_html('<span class="sd-unassigned">{}</span>', "unassigned")
    return case.owner.get_full_name() or case.owner.get_username()


def _case_cells(row: CaseRow) -> list[str | SafeString]:
    case, due = row.case, row.due
    return [
        _case_link(case),
        case.tenant.name,
        case.priority,
        format_html(
            '<span class="sd-state sd-state-{}">{}</span>', case.state, case.get_state_display()
        ),
        format_html(
            '<span class="sd-due sd-due-{}">{}</span>{}',
            due.level,
            due.label,
            format_html("<br><small>{}</small>", _when(case.next_due_at)) if due.time_left else "",
        ),
    ]


def _tone(found: Bounded, tone: str) -> str:
    return tone if found.count else ""


def _escalation_cells(escalation: CustomerEscalation) -> list[str | SafeString]:
    case = escalation.case
    return [
        _case_link(case),
        case.tenant.name,
        case.priority,
        _owner(case),
        format_html(
            '<a href="{}">Level {}</a>',
            reverse("admin:cases_customerescalation_change", args=[escalation.pk]),
            escalation.level,
        ),
        _when(escalation.raised_at),
        "top level" if escalation.next_rise_at is None else _when(escalation.next_rise_at),
    ]


def _management_cells(case: Case) -> list[str | SafeString]:
    by = case.escalated_by
    return [
        _case_link(case),
        case.tenant.name,
        case.priority,
        _owner(case),
        (by.get_full_name() or by.get_username()) if by else "—",
        _when(case.escalated_at),
    ]


@home_section
def case_panels(request: HttpRequest, now: datetime) -> list[Panel]:
    home = home_for(signed_in(request), now)
    panels = []
    if home.customer_escalations is not None:
        escalations = home.customer_escalations
        see_all = reverse("admin:cases_customerescalation_changelist") + "?waiting_for=me"
        panels.append(
            Panel(
                key="customer-escalations",
                title="Customer escalations waiting for you",
                note="Open escalations at the level your account role holds (every open one "
                "for managers), soonest to rise first. Acknowledge one to stop it rising.",
                headers=["Case", "Customer", "Priority", "Owner", "Escalation", "Raised", "Rises"],
                rows=[_escalation_cells(escalation) for escalation in escalations.rows],
                see_all=see_all,
                see_all_label="All escalations waiting for you",
                empty="No customer escalation is waiting for you.",
                # An escalation is the most urgent thing on the page while there is one.
                order=5 if escalations.count else 50,
                cards=[
                    Card(
                        "Escalations for you",
                        escalations.label,
                        see_all,
                        _tone(escalations, "danger"),
                    )
                ],
            )
        )
    if home.my_cases is not None:
        mine = home.my_cases
        panels.append(
            Panel(
                key="my-cases",
                title="My open cases",
                note="By next due time: breached first, then at risk.",
                headers=CASE_HEADERS,
                rows=[_case_cells(row) for row in mine.total.rows],
                see_all=_queue(owner="mine"),
                see_all_label="All my open cases in the queue",
                empty="You own no open case.",
                order=10,
                cards=[
                    Card("My open cases", mine.total.label, _queue(owner="mine")),
                    Card(
                        "Breached",
                        mine.breached.label,
                        _queue(owner="mine", sla="breached"),
                        _tone(mine.breached, "danger"),
                    ),
                    Card(
                        "At risk",
                        mine.at_risk.label,
                        _queue(owner="mine", sla="at_risk"),
                        _tone(mine.at_risk, "warn"),
                    ),
                ],
            )
        )
    if home.waiting is not None:
        waiting = home.waiting
        see_all = _queue(owner="mine", waiting="us")
        panels.append(
            Panel(
                key="waiting",
                title="Waiting on me",
                note="Your new and in-progress cases where the customer spoke last.",
                headers=CASE_HEADERS,
                rows=[_case_cells(row) for row in waiting.rows],
                see_all=see_all,
                see_all_label="All cases waiting on you",
                empty="No customer is waiting on you.",
                order=20,
                cards=[Card("Waiting on me", waiting.label, see_all, _tone(waiting, "warn"))],
            )
        )
    if home.unassigned is not None:
        unassigned = home.unassigned
        queue = _queue(state="new", owner="unassigned")
        panels.append(
            Panel(
                key="unassigned",
                title="New and unassigned",
                note="In the order the contracts say to take them.",
                headers=CASE_HEADERS,
                rows=[_case_cells(row) for row in unassigned.rows],
                see_all=reverse("admin:cases_case_triage"),
                see_all_label="Triage them",
                empty="Every new case has an owner.",
                order=30,
                cards=[Card("New, unassigned", unassigned.label, queue, _tone(unassigned, "warn"))],
            )
        )
    if home.management_escalations is not None:
        escalated = home.management_escalations
        see_all = _queue(escalated="yes")
        panels.append(
            Panel(
                key="management-escalations",
                title="Escalated to management",
                note="Open cases staff escalated; mark each handled from its page.",
                headers=["Case", "Customer", "Priority", "Owner", "Escalated by", "Since"],
                rows=[_management_cells(case) for case in escalated.rows],
                see_all=see_all,
                see_all_label="All escalated cases in the queue",
                empty="No case waits for management.",
                order=40,
                cards=[Card("Escalated to management", escalated.label, see_all)],
            )
        )
    return panels
