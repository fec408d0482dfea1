"""Services for the promises a contract makes about talking to the customer: a phone
call logged by staff (which, when it reached the customer, is a public staff response
for the clocks) and an update cadence agreed for one case."""

from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, Channel, Comment, State
from cases.services.common import check_version, locked_case, record_event, save_case
from cases.services.lifecycle import phone_contact_attempt
from sla.targets import Target
from supportdesk.errors import InvalidInput, StateConflict, require_text
from supportdesk.types import User
from tenants.roles import require_role
from tenants.services import clean_update_interval


@transaction.atomic
def case_log_phone_call(
    *,
    case_id: int,
    actor: User,
    note: str,
    reached: bool,
    expected_version: int | None = None,
) -> CaseEvent:
    """Staff log a call with the customer about a case. A call that reached them is a
    public staff response: the note is its public summary, it meets the initial
    response at the call's time (an "immediate" target is met only by a call at once)
    and restarts the update interval. A call that did not reach them is an internal
    note and moves no clock, except while the case waits on the customer's information
    with a contact attempt still due: then it is that attempt, as
    `case_log_phone_attempt` records it (attempt 2 names the closure date)."""
    require_role(actor)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    note = require_text(note, "note", "Note what was said on the call, or who you tried.")
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; reopen it to log a call.")
    if not reached and case.state == State.AWAITING_INFORMATION and contact_attempt_due(case):
        return phone_contact_attempt(case, actor, note)[1]
    fields: list[str] = []
    if reached and case.first_responded_at is None:
        case.first_responded_at = timezone.now()
        fields.append("first_responded_at")
    save_case(case, *fields)
    comment = Comment.objects.create(
        case=case, author=actor, body=note, public=reached, by_staff=True, channel=Channel.PHONE
    )
    return record_event(
        case,
        actor,
        CaseEvent.Kind.PHONE_CALL,
        public=reached,
        comment=comment,
        message="Spoke with you by phone"
        if reached
        else "Phone call: the customer was not reached",
        reached=reached,
        recompute_clocks=reached,
    )


def contact_attempt_due(case: Case) -> bool:
    """Whether the current round of requests for information has an attempt left."""
    current = case.contact_attempts.order_by("-round", "-number").first()
    return current is not None and current.number < 2


@transaction.atomic
def case_set_update_cadence(
    *, case_id: int, actor: User, interval: str, expected_version: int | None = None
) -> CaseEvent:
    """Agree an update interval for this case ("2h", "1bd"; blank: back to the
    customer's agreed cadence or the plan's). It replaces both, for every priority the
    case takes, and the customer sees it on the case page."""
    require_role(actor)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    interval = clean_update_interval(interval, "interval") if (interval or "").strip() else ""
    if interval == case.agreed_update_interval:
        raise InvalidInput(
            "That is already the case's agreed update interval.",
            field_errors={"interval": ["Unchanged."]},
        )
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; no updates are due.")
    previous = case.agreed_update_interval
    case.agreed_update_interval = interval
    save_case(case, "agreed_update_interval")
    message = (
        f"Updates agreed every {Target.parse(interval)}"
        if interval
        else "Agreed update interval removed: the contract's applies"
    )
    return record_event(
        case,
        actor,
        CaseEvent.Kind.UPDATE_CADENCE_CHANGED,
        message=message,
        previous=previous,
        interval=interval,
        recompute_clocks=True,
    )
