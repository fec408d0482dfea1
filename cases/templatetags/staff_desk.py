"""Links to the staff desk's own pages, by what the user's role lets them open."""

from django import template
from django.urls import reverse

from cases.services import StaffAction, may

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
