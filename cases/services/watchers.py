"""The case's notification list: people copied on its updates without portal access."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from cases.models import CaseEvent, CaseWatcher
from cases.services.common import check_version, locked_case, record_event, save_case
from supportdesk.errors import InvalidInput, NotFound, StateConflict
from supportdesk.types import User

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


@transaction.atomic
def case_watchers_remove_added_by(
    *, tenant_id: int, user_ids: Iterable[int], actor: User | None
) -> int:
    """Take off every case of the tenant the watchers these people added: their access to
    the tenant ended (contact removed, letter rescinded), and an address they chose must
    not keep receiving the tenant's case mail. Closed cases too. Each case's timeline says
    who was removed. Returns how many watchers were removed."""
    case_ids = sorted(
        set(
            CaseWatcher.objects.filter(
                case__tenant_id=tenant_id, added_by_id__in=set(user_ids)
            ).values_list("case_id", flat=True)
        )
    )
    removed = 0
    for case_id in case_ids:  # in id order, so two revocations lock cases alike
        case = locked_case(None, case_id)
        watchers = list(case.watchers.filter(added_by_id__in=set(user_ids)))
        if not watchers:
            continue
        CaseWatcher.objects.filter(id__in=[watcher.id for watcher in watchers]).delete()
        save_case(case)
        for watcher in watchers:
            record_event(
                case,
                actor,
                CaseEvent.Kind.WATCHER_REMOVED,
                message=watcher.email,
                email=watcher.email,
                because="access_ended",
            )
        removed += len(watchers)
    return removed


def watchers_on_access_ended(
    sender: object, *, tenant_id: int, user_ids: Iterable[int], actor: User, **kwargs: object
) -> None:
    """Receiver of `tenants.revocation.access_ended` (connected in `CasesConfig.ready`)."""
    case_watchers_remove_added_by(tenant_id=tenant_id, user_ids=user_ids, actor=actor)
