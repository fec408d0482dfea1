"""The case's notification list: people copied on its updates without portal access."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from cases.models import CaseEvent, CaseWatcher
from cases.services.common import check_version, locked_case, record_event, save_case
from supportdesk.errors import InvalidInput, NotFound, StateConflict

User = AbstractBaseUser

# Enough for a team and its managers; a longer list belongs on the tenant's list.
MAX_WATCHERS_PER_CASE = 20


@transaction.atomic
def case_watcher_add(
    *,
    case_id: int,
    actor: User,
    email: str,
    name: str = "",
    expected_version: int | None = None,
) -> CaseWatcher:
    """Copy someone on the case's updates. Anyone who may act for the case's tenant (or
    staff) may add them while the case is open."""
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    email = (email or "").strip().lower()
    name = (name or "").strip()[:200]
    try:
        validate_email(email)
    except ValidationError:
        message = "Enter a valid email address."
        raise InvalidInput(message, field_errors={"email": [message]}) from None
    if not case.is_open:
        raise StateConflict(
            f"{case.reference} is closed; reopen it to change who is notified of updates."
        )
    if case.watchers.filter(email=email).exists():
        message = f"{email} is already on the notification list of {case.reference}."
        raise InvalidInput(message, field_errors={"email": [message]})
    if case.watchers.count() >= MAX_WATCHERS_PER_CASE:
        message = (
            f"A case can notify at most {MAX_WATCHERS_PER_CASE} people; remove someone first "
            "or ask support to add a distribution list to your organisation's list."
        )
        raise InvalidInput(message, field_errors={"email": [message]})
    watcher = CaseWatcher.objects.create(case=case, email=email, name=name, added_by=actor)
    save_case(case)
    record_event(case, actor, CaseEvent.Kind.WATCHER_ADDED, message=email, email=email)
    return watcher


@transaction.atomic
def case_watcher_remove(
    *, case_id: int, actor: User, watcher_id: int, expected_version: int | None = None
) -> None:
    """Take someone off the case's notification list (allowed on closed cases too, so
    nobody keeps getting mail about a case they left)."""
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    watcher = case.watchers.filter(id=watcher_id).first()
    if watcher is None:
        raise NotFound("That person is not on this case's notification list.")
    email = watcher.email
    watcher.delete()
    save_case(case)
    record_event(case, actor, CaseEvent.Kind.WATCHER_REMOVED, message=email, email=email)
