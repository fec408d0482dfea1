"""Which case events other systems hear of, and what the webhook payload says about them.

`record_event` and `record_events` call `emit_case_webhooks` in the change's transaction,
beside the emails: `notifications.webhooks` writes one delivery per subscribed endpoint
and sends them once the change commits. Internal comments are never sent.
"""

from collections.abc import Iterable

from cases.models import Case, CaseEvent
from cases.notify import portal_case_url
from notifications.services import webhooks_emit, webhooks_wanted

_DIRECT = {
    CaseEvent.Kind.CREATED: "case.created",
    CaseEvent.Kind.SLA_AT_RISK: "case.sla_at_risk",
    CaseEvent.Kind.SLA_BREACHED: "case.sla_breached",
    CaseEvent.Kind.ESCALATED: "case.escalated",
}


def webhook_kinds(event: CaseEvent) -> list[str]:
    """The webhook event kinds a timeline event stands for (most stand for none)."""
    kinds = []
    if event.kind in _DIRECT:
        kinds.append(_DIRECT[CaseEvent.Kind(event.kind)])
    if event.kind == CaseEvent.Kind.COMMENTED and event.comment_id is not None:
        kinds.append("case.commented")
    if event.from_state and event.to_state and event.from_state != event.to_state:
        kinds.append("case.state_changed")
    return kinds


def _wanted(event: CaseEvent, kind: str) -> bool:
    """Some endpoint hears it (asked first: no query on a desk without endpoints), and
    a comment is public: an internal note never leaves the desk."""
    if not webhooks_wanted(kind, event.case.tenant_id):
        return False
    return kind != "case.commented" or (event.comment is not None and event.comment.public)


def case_summary(case: Case) -> dict:
    return {
        "reference": case.reference,
        "summary": case.summary,
        "state": case.state,
        "priority": case.priority,
        "tenant": case.tenant.name,
        "url": portal_case_url(case),
    }


def _data(event: CaseEvent, kind: str) -> dict:
    data: dict = {"case": case_summary(event.case), "event": {"kind": event.kind}}
    if kind == "case.state_changed":
        data["event"].update(from_state=event.from_state, to_state=event.to_state)
    if kind == "case.commented" and event.comment is not None:
        author = event.comment.author
        data["comment"] = {
            "id": event.comment.id,
            "body": event.comment.body,
            "by_staff": event.comment.by_staff,
            "author": (author.get_full_name() or author.get_username()) if author else "",
            "created_at": event.comment.created_at.isoformat(),
        }
    if kind in ("case.sla_at_risk", "case.sla_breached", "case.escalated"):
        data["event"].update(
            metric=str(event.data.get("metric", "")), due=str(event.data.get("due", ""))
        )
    return data


def emit_case_webhooks(events: Iterable[CaseEvent]) -> None:
    """Write the webhook deliveries these (saved) events call for."""
    for event in events:
        for kind in webhook_kinds(event):
            if not _wanted(event, kind):
                continue
            webhooks_emit(
                kind=kind,
                tenant_id=event.case.tenant_id,
                data=_data(event, kind),
                dedup_key=f"case-event:{event.id}:{kind}",
            )
