"""The staff queue on Django admin: the case queue and page (`queue`), triage, the
manager dashboard, known issues (registered here because resolving one closes cases,
which only `cases.services` may do), inbound mail, and the customer's side of the queue
(`customer`: escalations customers raised and troubleshooting sessions), support
groups with their routing rules (`routing`), macros (`macros`), and the case panels of
the staff home (`home`).

Every module that registers a ModelAdmin is imported here, by name."""

from cases.admin import customer, home, inbound, known_issues, macros, queue, routing

__all__ = ["customer", "home", "inbound", "known_issues", "macros", "queue", "routing"]
