"""Merging duplicate cases of one customer into the case where work continues."""

from collections.abc import Iterable

from django.db import transaction

from cases.models import Case, CaseEvent, CloseReason
from cases.selectors import cases_for
from cases.services.common import record_event, save_case
from cases.services.lifecycle import close_with_reason
from cases.services.permissions import StaffAction, require_permission
from supportdesk.errors import InvalidInput, NotFound, StateConflict, require_text
from supportdesk.types import User


@transaction.atomic
def case_merge(*, actor: User, into_id: int, duplicate_ids: Iterable[int], note: str) -> Case:
    """Close each duplicate as "duplicate", pointing at the case `into_id`; the customer
    reads `note` on each duplicate and the conversation continues on the other case."""
    require_permission(actor, StaffAction.MERGE)
    note = require_text(note, "note", "Tell the customer why the cases are merged.")
    duplicate_ids = set(duplicate_ids)
    if into_id in duplicate_ids:
        raise InvalidInput("A case cannot be merged into itself.")
    if not duplicate_ids:
        raise InvalidInput("Choose the duplicate cases to merge.")
    # Lock every case involved in id order, so two overlapping merges cannot deadlock.
    locked = {
        case.id: case
        for case in cases_for(actor)
        .select_for_update(of=("self",))
        .select_related("tenant__plan")
        .filter(id__in=[into_id, *duplicate_ids])
        .order_by("id")
    }
    if into_id not in locked or not duplicate_ids <= locked.keys():
        raise NotFound("No such case.")
    primary = locked[into_id]
    duplicates = sorted((locked[i] for i in duplicate_ids), key=lambda case: case.id)
    if not primary.is_open:
        raise StateConflict(f"{primary.reference} is closed; merge into an open case.")
    for duplicate in duplicates:
        if duplicate.tenant_id != primary.tenant_id:
            raise InvalidInput(
                f"{duplicate.reference} belongs to another customer than {primary.reference}; "
                "only one customer's cases can be merged."
            )
        if not duplicate.is_open:
            raise StateConflict(f"{duplicate.reference} is already closed.")
    for duplicate in duplicates:
        duplicate.merged_into = primary
        close_with_reason(
            duplicate,
            actor,
            "close",
            CloseReason.DUPLICATE,
            f"This case continues as {primary.reference}. {note}",
            extra_fields=["merged_into"],
            merged_into=primary.reference,
        )
    references = [duplicate.reference for duplicate in duplicates]
    save_case(primary)
    record_event(
        primary,
        actor,
        CaseEvent.Kind.MERGED,
        message=f"Merged in: {', '.join(references)}",
        merged=references,
    )
    return primary
