"""The staff queue on Django admin: the case queue and page (`queue`), triage, the
manager dashboard, and known issues (registered here because resolving one closes cases,
which only `cases.services` may do)."""

from cases.admin import inbound, known_issues, queue

__all__ = ["inbound", "known_issues", "queue"]
