"""Every change to a case, one function per verb.

Each service runs in one transaction: it locks the case row, checks access and
role, runs the django-fsm transition, writes the timeline event, saves, sets or clears
the case's pending automations (`schedule`) and recomputes its SLA clocks from the
timeline (`clocks`). Views,
admin actions, the API, inbound mail and tasks call these and nothing else.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from audit.services import audit_bulk_created
from cases.attachments import UploadLike, validate_uploads
from cases.models import (
    LONG_TEXT_FIELDS,
    STAFF_CLOSE_REASONS,
    BusinessImpact,
    Case,
    CaseEvent,
    Channel,
    CloseReason,
    Comment,
    ContactAttempt,
    EnvironmentAccess,
    State,
)
from cases.services import schedule
from cases.services.attachments import store_attachments
from cases.services.case_environments import tenant_environment_for_case
from cases.services.clocks import CLOCK_FIELDS, cases_recompute_clocks
from cases.services.collision import check_seen_version
from cases.services.common import (
    check_version,
    event,
    locked_case,
    record_event,
    record_events,
    run_transition,
    save_case,
    save_cases,
    with_tenants,
)
from cases.services.intake import intake_clean, missing_required, searchable_text
from cases.services.permissions import StaffAction, require_permission
from cases.services.priorities import priority_environment_error, priority_rank
from cases.services.routing import case_route
from cases.services.staff_escalation import locked_case_to_escalate, raises_priority, set_priority
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict, require_text
from supportdesk.types import User, present
from tenants.access import acting_partner_member, is_contact_of, tenants_for
from tenants.models import EnvironmentKind, IntakeField, PlanPriority, Tenant
from tenants.phones import phone_text, support_phone_for
from tenants.roles import is_support_staff, require_role

INTAKE_TEXT_FIELDS = (
    "description",
    "steps_to_reproduce",
    "expected_result",
    "actual_result",
    "business_impact_details",
    "product",
    "product_version",
    "browsers",
    "related_cases",
)


@transaction.atomic
def case_create(
    *,
    actor: User,
    tenant_id: int,
    summary: str,
    category: str,
    priority: str | None,
    environment_access: str,
    channel: str = Channel.PORTAL,
    business_impact: int = BusinessImpact.MEDIUM,
    environment: int = EnvironmentKind.PRODUCTION,
    tenant_environment_id: int | None = None,
    users_affected: int | None = None,
    first_seen_at: object = None,
    reporter: User | None = None,
    attachments: Iterable[UploadLike] = (),
    acknowledge: bool = True,
    custom_fields: Mapping[str, object] | None = None,
    intake_problems: Iterable[str] = (),
    **intake: str,
) -> Case:
    """File a case for a tenant. Staff may log one for a contact (`reporter`), e.g. a phone
    call; mail arrives at the plan's lowest priority, as the contracts say. With
    `acknowledge=False` the reporter gets no receipt (mail that came from a mailing list).

    The priority's rules hold on every channel: a phone-only priority is filed only by
    staff logging the call (channel phone), and a priority limited to some environments
    refuses the others (mail, which chooses neither, is not held to the environments).
    `category` must be one the tenant's plan offers; `custom_fields` answers the plan's
    intake fields for it (`cases.services.intake`). Mail cannot be sent back for a missing
    answer: a case by email is filed without it, and an internal note lists what is
    missing, with `intake_problems` (answers in the mail that did not fit)."""
    try:
        tenant = tenants_for(actor).select_related("plan").get(id=tenant_id)
    except Tenant.DoesNotExist:
        raise NotFound("No such customer.") from None
    unknown = set(intake) - set(INTAKE_TEXT_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown case fields: {', '.join(sorted(unknown))}.")
    errors: dict[str, list[str]] = {}
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = ["Give the case a short summary."]
    elif len(summary) > 200:
        errors["summary"] = ["Keep the summary under 200 characters."]
    plan = tenant.plan
    offered = plan.offered_categories()
    if category not in offered:
        names = ", ".join(row.category.name for row in offered.values())
        errors["category"] = [
            f"Choose one of the categories of the {plan.name} plan: {names}."
            if category
            else "Choose a category."
        ]
    priorities = {p.code: p for p in tenant.plan.priorities.all()}
    if channel == Channel.EMAIL or not priority:
        priority = max(priorities.values(), key=lambda p: p.rank).code if priorities else ""
    if priority not in priorities:
        errors["priority"] = [f"Choose one of the plan's priorities: {', '.join(priorities)}."]
    if environment_access not in EnvironmentAccess.values:
        errors["environment_access"] = ["Say whether support may access your environment."]
    if business_impact not in BusinessImpact.values:
        errors["business_impact"] = ["Choose the business impact."]
    if environment not in EnvironmentKind.values:
        errors["environment"] = ["Choose the affected environment."]
    if channel not in Channel.values:
        errors["channel"] = ["Unknown channel."]
    if users_affected is not None and users_affected < 0:
        errors["users_affected"] = ["Users affected cannot be negative."]
    chosen_environment = tenant_environment_for_case(tenant, tenant_environment_id, errors)
    if chosen_environment is not None:
        environment = chosen_environment.kind
    for field in INTAKE_TEXT_FIELDS:
        limit = Case._meta.get_field(field).max_length
        if limit and len((intake.get(field) or "").strip()) > limit:
            errors[field] = [f"Keep this under {limit} characters."]
    answers: dict[str, object] = {}
    by_email = channel == Channel.EMAIL
    if "category" not in errors:
        try:
            answers = dict(
                intake_clean(
                    plan=plan, category=category, values=custom_fields, require=not by_email
                )
            )
        except InvalidInput as error:
            errors.update(error.field_errors)
    if errors:
        raise InvalidInput("Please correct the case details.", field_errors=errors)
    if channel != Channel.EMAIL:
        environment_error = priority_environment_error(priorities[priority], environment)
        if environment_error:
            raise InvalidInput(environment_error, field_errors={"priority": [environment_error]})
    files = list(attachments)
    validate_uploads(files)

    staff = is_support_staff(actor)
    if channel == Channel.PHONE and not staff:
        raise NotPermitted(
            "Phone cases are logged by support staff during the call.",
            field_errors={"channel": ["Only support staff log a phone case."]},
        )
    if staff:
        # Security staff see every tenant but work no cases.
        require_permission(actor, StaffAction.WORK_CASES)
        if reporter is None:
            raise InvalidInput(
                "Name the customer contact the case is logged for.",
                field_errors={"reporter": ["Required when staff log a case."]},
            )
        if not is_contact_of(reporter, tenant.id):
            message = "The reporter must be an authorized contact of the customer."
            raise InvalidInput(message, field_errors={"reporter": [message]})
        partner = None
    elif reporter is not None and reporter != actor:
        raise NotPermitted(
            "Only support staff log a case on behalf of a customer's contact.",
            field_errors={"reporter": ["Leave this out: the case is filed in your name."]},
        )
    else:
        reporter = actor
        membership = (
            None if is_contact_of(actor, tenant.id) else acting_partner_member(actor, tenant.id)
        )
        partner = membership.partner if membership else None
    if priorities[priority].is_phone_only and channel != Channel.PHONE:
        message = phone_only_message(priorities[priority], reporter, tenant)
        raise InvalidInput(message, field_errors={"priority": [message]})

    # The UPDATE takes the tenant row lock, so concurrent filings get consecutive numbers.
    Tenant.objects.filter(id=tenant.id).update(last_case_number=F("last_case_number") + 1)
    number = Tenant.objects.values_list("last_case_number", flat=True).get(id=tenant.id)
    case = Case.objects.create(
        tenant=tenant,
        number=number,
        reference=f"{tenant.reference_prefix}-{number:05d}",
        summary=summary,
        category=category,
        priority=priority,
        priority_rank=priorities[priority].rank,
        plan_precedence=tenant.plan.queue_precedence,
        environment_access=environment_access,
        channel=channel,
        business_impact=business_impact,
        environment=environment,
        tenant_environment=chosen_environment,
        users_affected=users_affected,
        first_seen_at=first_seen_at,
        reporter=reporter,
        partner=partner,
        # A case logged during the customer's call was answered by a person at once.
        first_responded_at=timezone.now() if channel == Channel.PHONE else None,
        custom_fields=answers,
        custom_search=searchable_text(answers),
        **{field: (intake.get(field) or "").strip() for field in INTAKE_TEXT_FIELDS},
    )
    record_event(
        case,
        actor,
        CaseEvent.Kind.CREATED,
        message=f"Filed via {case.get_channel_display()} at {priority}",
        channel=channel,
        priority=priority,
        partner=partner.name if partner else "",
        acknowledge=acknowledge,
        recompute_clocks=True,
    )
    case_route(case)
    store_attachments(case, actor, files, comment=None, public=True)
    if by_email:
        _note_missing_answers(case, [*intake_problems])
    return case


def phone_only_message(priority: PlanPriority, reporter: User, tenant: Tenant) -> str:
    """The refusal of a phone-only priority filed in writing, with the number to call."""
    phone = phone_text(support_phone_for(reporter, tenant))
    call = f"call {phone}" if phone else "call your support line"
    return (
        f"{priority.code} {priority.name} cases are taken by phone only: {call}. "
        "Or choose a lower priority to file it here."
    )


def _note_missing_answers(case: Case, problems: list[str]) -> None:
    """An internal note (by the desk) naming the required answers a mailed case lacks and
    the answers in the mail that did not fit, for staff to ask the customer."""
    missing = missing_required(
        case.tenant.plan, case.category, case.custom_fields, IntakeField.Stage.INTAKE
    )
    lines = [f"- {field.label} (required) was not given." for field in missing]
    lines += [f"- {problem}" for problem in problems]
    if lines:
        Comment.objects.create(
            case=case,
            author=None,
            public=False,
            by_staff=True,
            body="The mail did not answer every question of the plan:\n" + "\n".join(lines),
        )


@transaction.atomic
def case_assign(
    *, case_id: int, actor: User, owner: User | None, expected_version: int | None = None
) -> Case:
    """Give the case an owner. An engineer may take a case; handing one to someone else
    is a triage lead's call. A new case goes into work when it gets an owner."""
    require_role(actor)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    if owner is not None and not is_support_staff(owner):
        raise InvalidInput("Cases can only be owned by support staff.")
    if owner != actor:
        require_permission(actor, StaffAction.ASSIGN_OTHERS)
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; reopen it before assigning it.")
    previous_owner = case.owner
    case.owner = owner
    fields = ["owner"]
    from_state = ""
    if owner is not None and case.state == State.NEW:
        from_state = run_transition(case, actor, "start_work")
        fields.append("state")
    save_case(case, *fields)
    record_event(
        case,
        actor,
        CaseEvent.Kind.OWNER_CHANGED,
        from_state=from_state,
        message=f"Owner: {owner.get_full_name() or owner.get_username()}"
        if owner
        else "Unassigned",
        previous_owner=previous_owner.get_username() if previous_owner else "",
        owner=owner.get_username() if owner else "",
    )
    return case


@transaction.atomic
def case_comment(
    *,
    case_id: int,
    actor: User,
    body: str,
    public: bool = True,
    channel: str = Channel.PORTAL,
    attachments: Iterable[UploadLike] = (),
    expected_version: int | None = None,
    seen_version: int | None = None,
) -> Comment:
    """A reply or an internal note. A customer's reply while the case awaits information
    resumes it; a staff reply is public unless marked internal.

    `expected_version` refuses on any change since (the API's `If-Match`); `seen_version`,
    the version the staff page showed, only on a newer public message or state change
    (cases/services/collision.py), so "send anyway" is the same call with the newer one."""
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    check_seen_version(case, seen_version, actor)
    body = require_text(body, "body", "Write a message.")
    files = list(attachments)
    validate_uploads(files)
    staff = is_support_staff(actor)
    if staff:
        require_role(actor)  # Security sees every case but works none, replies included.
    if not staff and not public:
        raise NotPermitted("Internal notes are for support staff.")
    if not case.is_open and not staff:
        raise StateConflict(f"{case.reference} is closed. Reopen it to continue the conversation.")
    fields: list[str] = []
    from_state = ""
    if not staff and case.state == State.AWAITING_INFORMATION:
        from_state = run_transition(case, actor, "customer_reply")
        # Any reply cancels the pending follow-up and closure of this wait.
        fields += ["state", *schedule.clear(case, *schedule.FOLLOW_UP_FIELDS)]
    elif not staff and case.state == State.SOLUTION_PROPOSED:
        # Writing without accepting or rejecting is not silence: the period restarts.
        fields += schedule.schedule_solution_silence(case, timezone.now())
    if staff and public and case.first_responded_at is None:
        case.first_responded_at = timezone.now()
        fields.append("first_responded_at")
    save_case(case, *fields)
    comment = Comment.objects.create(
        case=case, author=actor, body=body, public=public, by_staff=staff, channel=channel
    )
    record_event(
        case,
        actor,
        CaseEvent.Kind.COMMENTED,
        public=public,
        from_state=from_state,
        comment=comment,
        message="Internal note" if not public else ("Support replied" if staff else "Reply"),
        by_staff=staff,
        recompute_clocks=True,
    )
    store_attachments(case, actor, files, comment=comment, public=public)
    return comment


def _staff_message_transition(
    case: Case,
    actor: User,
    verb: str,
    body: str,
    schedule_automation: Callable[[Case, datetime], list[str]],
) -> tuple[str, Comment]:
    """A transition staff make with a public message (a request for information, a
    proposed solution): the message is a reply, so it can be the initial response, and
    the automation that waits on the customer is scheduled. Returns the old state and the
    message."""
    from_state = run_transition(case, actor, verb)
    now = timezone.now()
    fields = ["state", *schedule_automation(case, now)]
    if case.first_responded_at is None:
        case.first_responded_at = now
        fields.append("first_responded_at")
    save_case(case, *fields)
    comment = Comment.objects.create(case=case, author=actor, body=body, public=True, by_staff=True)
    return from_state, comment


@transaction.atomic
def case_request_info(
    *, case_id: int, actor: User, body: str, expected_version: int | None = None
) -> Case:
    """Contact attempt 1: ask the customer for what is missing; the case waits on them."""
    require_role(actor)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    body = require_text(body, "body", "Say what information you need.")
    from_state, comment = _staff_message_transition(
        case, actor, "request_info", body, schedule.schedule_follow_up
    )
    round_number = (case.contact_attempts.aggregate(last=Max("round"))["last"] or 0) + 1
    ContactAttempt.objects.create(
        case=case,
        round=round_number,
        number=1,
        method=ContactAttempt.Method.REQUEST_INFO,
        made_by=actor,
        note=body,
    )
    record_event(
        case,
        actor,
        CaseEvent.Kind.CONTACT_ATTEMPT,
        from_state=from_state,
        comment=comment,
        message="Information requested (contact attempt 1)",
        round=round_number,
        number=1,
        method=ContactAttempt.Method.REQUEST_INFO,
        follow_up_due=present(case.follow_up_due_at, "follow-up due time").isoformat(),
        recompute_clocks=True,
    )
    return case


@transaction.atomic
def case_log_phone_attempt(
    *, case_id: int, actor: User, note: str, seen_version: int | None = None
) -> ContactAttempt:
    """Staff called the customer about a case that waits on them; the call counts as the
    next contact attempt of the current round. Like a reply, it is stopped by someone
    else's newer public message or state change since `seen_version`."""
    require_role(actor)
    case = locked_case(actor, case_id)
    check_seen_version(case, seen_version, actor)
    note = require_text(note, "note", "Note what happened on the call.")
    return phone_contact_attempt(case, actor, note)[0]


def phone_contact_attempt(case: Case, actor: User, note: str) -> tuple[ContactAttempt, CaseEvent]:
    """The call about a locked case that waits on the customer, as its next contact
    attempt (`case_log_phone_attempt`, and `case_log_phone_call` for a call that did not
    reach them), with the timeline event it writes."""
    if case.state != State.AWAITING_INFORMATION:
        raise StateConflict(
            f"{case.reference} is not waiting on the customer, so no contact attempt is due."
        )
    current = case.contact_attempts.order_by("-round", "-number").first()
    if current is None:
        raise StateConflict(f"{case.reference} has no open request for information.")
    if current.number >= 2:
        raise StateConflict(
            f"Both contact attempts for {case.reference} have been made; "
            "the case now closes on its closure date unless the customer replies."
        )
    # The call is attempt 2: like the follow-up note it would have replaced, it starts
    # the closure period, and the customer gets the closure date in writing.
    day, closes_at = schedule.closure_day(timezone.now(), case.tenant.plan)
    attempt = ContactAttempt.objects.create(
        case=case,
        round=current.round,
        number=current.number + 1,
        method=ContactAttempt.Method.PHONE,
        made_by=actor,
        note=note,
        closure_date=closes_at,
    )
    fields = schedule.clear(case, "follow_up_due_at")
    case.auto_close_at = closes_at
    save_case(case, *fields, "auto_close_at")
    comment = Comment.objects.create(
        case=case,
        author=actor,
        body=(
            f"We tried to reach you by phone about {case.reference} and still need the "
            "information we asked for. Please reply to this case. If we don't hear from you "
            f"by {schedule.human_date(day)}, we will close it as having received no response."
        ),
        public=True,
        by_staff=True,
        channel=Channel.PHONE,
    )
    event = record_event(
        case,
        actor,
        CaseEvent.Kind.CONTACT_ATTEMPT,
        comment=comment,
        message=(
            f"Phone call (contact attempt {attempt.number}); closes on "
            f"{schedule.human_date(day)} without a reply"
        ),
        round=attempt.round,
        number=attempt.number,
        method=ContactAttempt.Method.PHONE,
        closure_date=closes_at.isoformat(),
        closure_day=day.isoformat(),
        recompute_clocks=True,
    )
    return attempt, event


@transaction.atomic
def case_propose_solution(
    *, case_id: int, actor: User, body: str, expected_version: int | None = None
) -> Case:
    require_role(actor)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    body = require_text(body, "body", "Describe the solution.")
    from_state, comment = _staff_message_transition(
        case, actor, "propose_solution", body, schedule.schedule_solution_silence
    )
    record_event(
        case,
        actor,
        CaseEvent.Kind.STATE_CHANGED,
        from_state=from_state,
        comment=comment,
        message="Solution proposed",
        recompute_clocks=True,
    )
    return case


def close_with_reason(
    case: Case,
    actor: User | None,
    verb: str,
    reason: str,
    note: str,
    *,
    extra_fields: Iterable[str] = (),
    **data: object,
) -> Case:
    """Close a locked case through the fsm transition `verb`, with a closing note for the
    customer and the reason on the timeline; `extra_fields` are saved with it and `data`
    goes on the CLOSED event."""
    _close_cases(
        [case],
        actor,
        verb,
        reason,
        {case.id: note} if note else {},
        extra_fields=extra_fields,
        data=data,
    )
    return case


def _close_cases(
    cases: list[Case],
    actor: User | None,
    verb: str,
    reason: str,
    notes: dict[int, str],
    *,
    extra_fields: Iterable[str] = (),
    data: dict[str, Any] | None = None,
) -> None:
    """Close locked cases with one reason; `notes` holds the closing note per case id.
    The system (actor None) closes in batches, so this works on many cases at once."""
    if not cases:
        return
    now = timezone.now()
    from_states = {case.id: run_transition(case, actor, verb) for case in cases}
    pending: list[str] = []
    for case in cases:
        case.close_reason = reason
        case.closed_at = now
        pending = schedule.clear(case, *schedule.FOLLOW_UP_FIELDS, *schedule.SOLUTION_FIELDS)
    by_staff = actor is None or is_support_staff(actor)
    comments = Comment.objects.bulk_create(
        Comment(case=case, author=actor, body=notes[case.id], public=True, by_staff=by_staff)
        for case in cases
        if notes.get(case.id)
    )
    audit_bulk_created(comments)
    comment_of = {comment.case_id: comment for comment in comments}
    extra: dict[str, Any] = (
        {} if actor is not None else {"automatic": True, "notify": ["customer", "owner"]}
    )
    record_events(
        event(
            case,
            actor,
            CaseEvent.Kind.CLOSED,
            from_state=from_states[case.id],
            comment=comment_of.get(case.id),
            message=f"Closed: {CloseReason(reason).label}",
            reason=reason,
            # The cases are saved (and their versions bumped) after the events, which the
            # clocks read; the rows are locked, so the next version is exact.
            version=case.version + 1,
            **extra,
            **(data or {}),
        )
        for case in cases
    )
    # The clocks read the new CLOSED event; one write then saves closure and clocks.
    cases_recompute_clocks(cases, now=now, save=False)
    save_cases(cases, "state", "close_reason", "closed_at", *pending, *CLOCK_FIELDS, *extra_fields)


@transaction.atomic
def case_accept_solution(
    *, case_id: int, actor: User, note: str = "", expected_version: int | None = None
) -> Case:
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    return close_with_reason(case, actor, "accept_solution", CloseReason.RESOLVED, note.strip())


@transaction.atomic
def case_reject_solution(
    *, case_id: int, actor: User, reason: str, expected_version: int | None = None
) -> Case:
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    reason = require_text(reason, "reason", "Tell us why the solution does not work for you.")
    from_state = run_transition(case, actor, "reject_solution")
    save_case(case, "state", *schedule.clear(case, *schedule.SOLUTION_FIELDS))
    comment = Comment.objects.create(case=case, author=actor, body=reason, public=True)
    record_event(
        case,
        actor,
        CaseEvent.Kind.STATE_CHANGED,
        from_state=from_state,
        comment=comment,
        message="Solution rejected",
        recompute_clocks=True,
    )
    return case


@transaction.atomic
def case_cancel(
    *, case_id: int, actor: User, reason: str, expected_version: int | None = None
) -> Case:
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    reason = require_text(reason, "reason", "Tell us why you are cancelling the case.")
    return close_with_reason(case, actor, "cancel", CloseReason.CANCELLED, reason)


_REASONS_WITH_THEIR_OWN_VERB: dict[str, str] = {
    CloseReason.KNOWN_ISSUE_RESOLVED: (
        "Cases close as “known issue resolved” when their known issue is resolved; "
        "link the case to the known issue instead."
    ),
    CloseReason.ENHANCEMENT_TRANSFERRED: (
        "Transfer the enhancement request to product management instead: that closes the "
        "case and keeps the request on the product-feedback list."
    ),
}


@transaction.atomic
def case_close(
    *,
    case_id: int,
    actor: User,
    reason: str,
    note: str,
    expected_version: int | None = None,
    custom_fields: Mapping[str, object] | None = None,
) -> Case:
    """Staff close a case with one of the contract's closure reasons and a note, answering
    the plan's closure fields for its category (`custom_fields`; required ones must be)."""
    require_role(actor)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    if reason in _REASONS_WITH_THEIR_OWN_VERB:
        raise InvalidInput(
            _REASONS_WITH_THEIR_OWN_VERB[reason], field_errors={"reason": ["Not a closure reason."]}
        )
    if reason not in STAFF_CLOSE_REASONS:
        raise InvalidInput(
            "Choose a closure reason.",
            field_errors={"reason": [f"One of: {', '.join(STAFF_CLOSE_REASONS)}."]},
        )
    note = require_text(note, "note", "Add a closing note for the customer.")
    answers = intake_clean(
        plan=case.tenant.plan,
        category=case.category,
        values=custom_fields,
        stage=IntakeField.Stage.CLOSURE,
    )
    if answers:
        case.custom_fields = {**case.custom_fields, **answers}
        case.custom_search = searchable_text(case.custom_fields)
    extra = ("custom_fields", "custom_search") if answers else ()
    return close_with_reason(case, actor, "close", reason, note, extra_fields=extra)


def _locked_in_state(case_ids: Iterable[int], state: str) -> list[Case]:
    return with_tenants(
        list(
            Case.objects.filter(id__in=list(case_ids), state=state)
            .defer(*LONG_TEXT_FIELDS)
            .select_for_update()
            .order_by("id")
        )
    )


@transaction.atomic
def cases_close_for_no_response(*, case_ids: Iterable[int]) -> list[Case]:
    """The system's closure of the given cases still awaiting information, after both
    contact attempts went unanswered by the named closure date; other cases are left
    alone. Returns the cases closed."""
    cases = _locked_in_state(case_ids, State.AWAITING_INFORMATION)
    notes = {}
    for case in cases:
        plan = case.tenant.plan
        day = schedule.closure_day_of(case.auto_close_at or timezone.now(), plan)
        notes[case.id] = (
            f"We closed {case.reference} because we did not hear back by "
            f"{schedule.human_date(day)} after two attempts to reach you. If you still need "
            f"help, reopen the case within {plan.reopen_window_days} days or file a new one "
            "and mention it."
        )
    _close_cases(cases, None, "close_for_no_response", CloseReason.NO_RESPONSE, notes)
    return cases


@transaction.atomic
def cases_close_after_silence(*, case_ids: Iterable[int]) -> list[Case]:
    """The system's closure, as resolved, of the given cases whose proposed solution
    went unanswered for the plan's silence period; other cases are left alone."""
    cases = _locked_in_state(case_ids, State.SOLUTION_PROPOSED)
    notes = {
        case.id: (
            f"We closed {case.reference} as resolved: we proposed a solution and have not "
            "heard back. If the problem persists, reopen the case within "
            f"{case.tenant.plan.reopen_window_days} days."
        )
        for case in cases
    }
    _close_cases(cases, None, "close_after_silence", CloseReason.RESOLVED, notes)
    return cases


@transaction.atomic
def case_reopen(
    *, case_id: int, actor: User, reason: str, expected_version: int | None = None
) -> Case:
    """The customer reopens a closed case within the plan's window."""
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    reason = require_text(reason, "reason", "Tell us why the case needs to be reopened.")
    if (
        case.state == State.CLOSED
        and present(case.reopen_deadline, "reopen deadline") < timezone.now()
    ):
        raise StateConflict(
            f"{case.reference} closed on {case.closed_at:%d %b %Y}; cases can be reopened "
            f"within {case.tenant.plan.reopen_window_days} days of closure. Please file a "
            f"new case and mention {case.reference}."
        )
    from_state = run_transition(case, actor, "reopen")
    previous_reason = case.close_reason
    case.close_reason = ""
    case.closed_at = None
    # Ranks of closed cases stand still; the plan may have changed them since.
    case.priority_rank = priority_rank(case.tenant.plan_id, case.priority)
    case.plan_precedence = case.tenant.plan.queue_precedence
    save_case(case, "state", "close_reason", "closed_at", "priority_rank", "plan_precedence")
    comment = Comment.objects.create(case=case, author=actor, body=reason, public=True)
    record_event(
        case,
        actor,
        CaseEvent.Kind.REOPENED,
        from_state=from_state,
        comment=comment,
        message="Reopened",
        previous_close_reason=previous_reason,
        recompute_clocks=True,
    )
    return case


@transaction.atomic
def case_change_priority(
    *,
    case_id: int,
    actor: User,
    priority: str,
    reason: str,
    expected_version: int | None = None,
) -> Case:
    """Staff change the priority; the contracts want the reason on record. Someone on the
    tenant's account team in a role that may escalate at once (a technical account
    manager) may raise it whatever their staff role, but not lower it."""
    case, by_account_team = locked_case_to_escalate(actor, case_id)
    check_version(case, expected_version)
    if by_account_team and not raises_priority(case, priority):
        raise NotPermitted(
            "As the customer's account team you may raise a case's priority, not lower it."
        )
    return set_priority(case, actor, priority, reason)
