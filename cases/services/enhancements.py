"""Enhancement requests: support hands them to product management and closes the case."""

from django.db import transaction

from cases.models import CloseReason
from cases.services.common import check_version, locked_case
from cases.services.lifecycle import close_with_reason
from cases.services.permissions import StaffAction, require_permission
from knowledge.models import ProductFeedback
from knowledge.services import product_feedback_record
from supportdesk.errors import StateConflict
from supportdesk.types import User


@transaction.atomic
def case_transfer_enhancement(
    *,
    case_id: int,
    actor: User,
    description: str,
    title: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> ProductFeedback:
    """Put the request on the product-feedback list and close the case as "enhancement
    transferred"; the customer reads `note` (or a standard one naming the record)."""
    require_permission(actor, StaffAction.WORK_CASES)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; there is nothing to transfer.")
    feedback = product_feedback_record(
        case_id=case.id,
        tenant_id=case.tenant_id,
        actor=actor,
        title=title or case.summary,
        description=description,
        product=case.product,
    )
    note = note.strip() or (
        f"We have passed your request to product management as {feedback.title!r} "
        f"(PF-{feedback.id}). Product management reviews requests for future releases, "
        "so we are closing this case."
    )
    close_with_reason(
        case,
        actor,
        "close",
        CloseReason.ENHANCEMENT_TRANSFERRED,
        note,
        product_feedback=feedback.id,
    )
    return feedback
