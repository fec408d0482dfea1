"""Links to the staff desk's own pages, by what the user's role lets them open."""

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse

from cases.services import StaffAction, may
from cases.services.permissions import REQUIRED_ROLE
from knowledge import services as knowledge

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_desk_links(context: template.Context) -> list[tuple[str, str, str]]:
    user = context["request"].user
    links = [
        (
            "Queue",
            reverse("admin:cases_case_changelist"),
            "Open cases of every customer, in order of work",
        ),
        (
            "My cases",
            reverse("admin:cases_case_changelist") + "?owner=mine",
            "Open cases you own",
        ),
    ]
    if may(user, StaffAction.TRIAGE):
        links.append(("Triage", reverse("admin:cases_case_triage"), "New cases nobody owns yet"))
    if may(user, StaffAction.DASHBOARD):
        links.append(("Dashboard", reverse("admin:cases_case_dashboard"), "SLA, breaches and CSAT"))
    return links


@register.simple_tag
def staff_roles() -> list[tuple[str, str]]:
    """Who may do what in the queue, read from the table the services enforce."""
    rows = [(action.value, role) for action, role in REQUIRED_ROLE.items()]
    rows += [
        ("write known issues and article drafts", knowledge.WRITE_ROLE),
        ("publish, withdraw or change published articles", knowledge.PUBLISH_ROLE),
        ("set the status of product feedback", knowledge.FEEDBACK_ROLE),
    ]
    return [(what.capitalize(), role.value) for what, role in rows]


@register.inclusion_tag("admin/cases/case/queue_results.html")
def queue_result_list(cl: ChangeList) -> dict:
    """The queue's table: the admin's own sortable headers, rows from `CaseAdmin.queue_row`."""
    headers = list(result_headers(cl))
    base = reverse("admin:cases_case_changelist")
    list_display = list(cl.list_display)
    return {
        "cl": cl,
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "rows": [
            # The queue's ModelAdmin (cases.admin.queue.CaseAdmin) is the one with queue_row.
            cl.model_admin.queue_row(  # type: ignore[attr-defined]
                list_display, case, f"{base}{case.pk}/change/"
            )
            for case in cl.result_list
        ],
    }
