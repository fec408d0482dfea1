"""The kinds of email the desk sends, as users see them on their notification settings.

Event names are plain strings so that the apps which send them (cases, announcements)
need nothing from here but the name.
"""

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


@dataclass(frozen=True)
class EventKind:
    name: str
    label: str
    audience: Audience
    optional: bool = True
    """False for mail the contract relies on: a contact attempt the customer cannot
    switch off, since the case closes for no response when it goes unanswered."""


_KINDS = [
    EventKind("case.received", "A case I filed was received", Audience.CUSTOMER),
    EventKind("case.support_replied", "Support replied on a case", Audience.CUSTOMER),
    EventKind(
        "case.info_requested", "Support needs information", Audience.CUSTOMER, optional=False
    ),
    EventKind(
        "case.follow_up", "Follow-up before a case closes", Audience.CUSTOMER, optional=False
    ),
    EventKind("case.solution_proposed", "A solution was proposed", Audience.CUSTOMER),
    EventKind("case.solution_reminder", "Reminder about a proposed solution", Audience.CUSTOMER),
    EventKind("case.closed", "A case was closed", Audience.CUSTOMER),
    EventKind("case.known_issue_linked", "A case of mine is a known issue", Audience.CUSTOMER),
    EventKind("case.known_issue_stage", "A known issue on my case moved on", Audience.CUSTOMER),
    EventKind(
        "known_issue.followed_changed",
        "A known issue I follow moved on or was resolved",
        Audience.CUSTOMER,
    ),
    EventKind("announcement", "Incidents, maintenance and releases", Audience.CUSTOMER),
    EventKind("case.assigned", "A case was assigned to me", Audience.STAFF),
    EventKind("case.customer_replied", "A customer replied on my case", Audience.STAFF),
    EventKind("case.solution_rejected", "A customer rejected a solution", Audience.STAFF),
    EventKind("case.reopened", "A customer reopened a case", Audience.STAFF),
    EventKind("case.update_reminder", "An update is due soon", Audience.STAFF),
    EventKind("case.solution_reminder_staff", "A proposed solution is unanswered", Audience.STAFF),
    EventKind("case.sla_at_risk", "A case is at risk of breaching its SLA", Audience.STAFF),
    EventKind("case.sla_breached", "A case breached its SLA", Audience.STAFF),
    EventKind("case.escalated", "A breached case is escalated to the managers", Audience.STAFF),
    EventKind("request.submitted", "A request I made was received", Audience.CUSTOMER),
    EventKind(
        "request.state_changed", "A request I made is in fulfilment or done", Audience.CUSTOMER
    ),
    EventKind("request.rejected", "A request I made was rejected", Audience.CUSTOMER),
    EventKind("escalation.customer_update", "News on a case I escalated", Audience.CUSTOMER),
    EventKind(
        "session.proposed", "Times proposed for a troubleshooting session", Audience.CUSTOMER
    ),
    EventKind("session.scheduled", "A troubleshooting session was booked", Audience.CUSTOMER),
    EventKind("request.received", "A customer made a service request", Audience.STAFF),
    EventKind("request.security_review", "A request needs Security's approval", Audience.STAFF),
    EventKind("escalation.raised", "A customer escalation reached me", Audience.STAFF),
    EventKind("survey.manager_contact", "A customer asked a manager to call", Audience.STAFF),
    EventKind(
        "webhook.disabled",
        "A webhook endpoint I own was disabled for failing",
        Audience.STAFF,
        optional=False,
    ),
    EventKind("session.scheduled_staff", "A troubleshooting session was booked", Audience.STAFF),
]

EVENT_KINDS: dict[str, EventKind] = {kind.name: kind for kind in _KINDS}

# Mail that is not about an event a user subscribes to: Django's own mail (password
# reset) and the one polite answer to an unknown sender.
DJANGO_MAIL = "mail"
UNKNOWN_SENDER_REPLY = "inbound.unknown_sender"


def kinds_for(audience: Audience) -> list[EventKind]:
    return [kind for kind in _KINDS if kind.audience == audience]
