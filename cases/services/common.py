"""What every case service shares: the row lock, the access and role checks, the
guarded transition, the versioned save, the timeline event and closing with a reason."""

from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from cases.models import Case, CaseEvent, Comment
from cases.notify import notify_case_event, notify_case_events
from cases.selectors import cases_for
from cases.services.bulk import bulk_save_fields
from cases.services.collision import check_version as check_version  # shared here
from cases.webhooks import emit_case_webhooks
from supportdesk.errors import NotFound, NotPermitted, StateConflict
from supportdesk.types import User
from tenants.models import Tenant

_VERB_WORDS = {
    "start_work": "taken into work",
    "request_info": "put on hold for information",
    "customer_reply": "resumed by a reply",
    "propose_solution": "given a proposed solution",
    "accept_solution": "closed by accepting a solution",
    "reject_solution": "sent back by rejecting a solution",
    "cancel": "cancelled",
    "close": "closed",
    "close_for_no_response": "closed for no response",
    "close_after_silence": "closed after silence",
    "reopen": "reopened",
}


def locked_case(actor: User | None, case_id: int) -> Case:
    """The case, row-locked for the rest of the transaction; NotFound outside access."""
    base = Case.objects.all() if actor is None else cases_for(actor)
    try:
        # of=("self",): lock the case only, not the tenant and plan rows joined for reading,
        # which every case of the tenant (and of every tenant on the plan) would queue behind.
        return base.select_for_update(of=("self",)).select_related("tenant__plan").get(id=case_id)
    except Case.DoesNotExist:
        raise NotFound("No such case.") from None


def with_tenants(cases: list[Case]) -> list[Case]:
    """Give a batch of cases their tenant, plan and calendar from one small query, shared
    between the cases (select_related would build them again for every row)."""
    tenants = Tenant.objects.select_related("plan__calendar").in_bulk(
        {case.tenant_id for case in cases}
    )
    for case in cases:
        case.tenant = tenants[case.tenant_id]
    return cases


def run_transition(case: Case, actor: User | None, verb: str) -> str:
    """Run the fsm transition `verb` after checking state and role; return the old state."""
    method = getattr(case, verb)
    if not can_proceed(method):
        raise StateConflict(
            f"{case.reference} is {case.get_state_display().lower()}, "
            f"so it cannot be {_VERB_WORDS[verb]}."
        )
    if actor is not None and not has_transition_perm(method, actor):
        raise NotPermitted(f"You may not do this: a case is {_VERB_WORDS[verb]} by the other side.")
    previous = case.state
    method()
    return previous


def save_case(case: Case, *fields: str) -> None:
    case.version = F("version") + 1
    case.save(update_fields=[*fields, "version", "updated_at"])
    case.refresh_from_db(fields=["version"])


def save_cases(cases: list[Case], *fields: str) -> None:
    """`save_case` for many locked cases at once (the system's batch closures)."""
    if len(cases) == 1:
        save_case(cases[0], *fields)
        return
    now = timezone.now()
    for case in cases:
        case.updated_at = now
    bulk_save_fields(cases, [*fields, "updated_at"], bump_version=True)
    for case in cases:
        case.version += 1  # exact: the rows are locked


def event(
    case: Case,
    actor: User | None,
    kind: str,
    *,
    public: bool = True,
    from_state: str = "",
    message: str = "",
    comment: Comment | None = None,
    version: int | None = None,
    **data: object,
) -> CaseEvent:
    """A timeline event, not yet saved (for bulk_create). It carries the case's version
    after its change (`version`, by default the case's current one: services save the case
    first), which is how a page opened at an older version learns what it has not seen."""
    return CaseEvent(
        case=case,
        actor=actor,
        kind=kind,
        public=public,
        from_state=from_state,
        to_state=case.state if from_state else "",
        message=message[:500],
        comment=comment,
        version=case.version if version is None else version,
        data=data,
    )


def record_event(
    case: Case,
    actor: User | None,
    kind: str,
    *,
    public: bool = True,
    from_state: str = "",
    message: str = "",
    comment: Comment | None = None,
    recompute_clocks: bool = False,
    version: int | None = None,
    **data: object,
) -> CaseEvent:
    """Write the timeline event and, in the same transaction, the emails it calls for.

    An event that moves a clock says so (`recompute_clocks`): the case's due times are
    recomputed from the timeline first, so that its emails promise what the portal shows
    (a receipt names the first-response due time, an update the next one)."""
    created = event(
        case,
        actor,
        kind,
        public=public,
        from_state=from_state,
        message=message,
        comment=comment,
        version=version,
        **data,
    )
    created.save()
    if recompute_clocks:
        # clocks builds on this module's helpers, so it is imported when first needed.
        from cases.services.clocks import case_recompute_clocks

        case_recompute_clocks(case)
    notify_case_event(created)
    emit_case_webhooks([created])
    return created


def record_events(events: Iterable[CaseEvent], *, skip_duplicates: bool = False) -> None:
    """Save many timeline events in one INSERT and write the emails each calls for, in
    the caller's transaction (the batch form of `record_event`, for the sweeps).

    With `skip_duplicates`, an event whose dedupe key the case already has is left as it
    was: the INSERT skips it, and its emails, already in the outbox under the same keys,
    are not written twice."""
    events = list(events)
    if not events:
        return
    if not skip_duplicates:
        created = CaseEvent.objects.bulk_create(events)
        notify_case_events(created)
        emit_case_webhooks(created)
        return
    CaseEvent.objects.bulk_create(events, ignore_conflicts=True)
    # ON CONFLICT DO NOTHING leaves the new rows without ids; read back just the ids (and
    # times) by key: the events in hand already carry their case, tenant and comment, so
    # the batch's cases are not read and built again.
    wanted = {(e.case_id, e.dedupe_key): e for e in events}
    saved = CaseEvent.objects.filter(
        case_id__in={case_id for case_id, _ in wanted},
        dedupe_key__in={key for _, key in wanted},
    ).values_list("id", "case_id", "dedupe_key", "created_at")
    fresh = []
    for pk, case_id, key, created_at in saved:
        if (match := wanted.get((case_id, key))) is not None:
            match.pk, match.created_at = pk, created_at
            match._state.adding = False
            fresh.append(match)
    notify_case_events(fresh)
    emit_case_webhooks(fresh)
