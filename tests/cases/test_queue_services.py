"""The queue's case services beyond the lifecycle: known issues, escalation, merging,
enhancement transfer, and the role each needs."""

import pytest

from cases import services
from cases.models import Case, CaseEvent, CloseReason, State
from knowledge.models import KnownIssue, ProductFeedback
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from tests.cases.helpers import file_case, taken
from tests.factories import CaseFactory, KnownIssueFactory

pytestmark = pytest.mark.django_db


def last_event(case: Case) -> CaseEvent:
    return case.events.order_by("id").last()


# Known issues


def test_linking_a_case_to_a_known_issue_records_a_public_event(cast):
    case = taken(cast)
    issue = KnownIssueFactory()
    case = services.case_link_known_issue(
        case_id=case.id, actor=cast.engineer, known_issue_id=issue.id
    )
    assert case.known_issue == issue
    event = last_event(case)
    assert (event.kind, event.public) == (CaseEvent.Kind.KNOWN_ISSUE_LINKED, True)
    assert event.data["known_issue"] == issue.id


def test_a_resolved_known_issue_cannot_take_new_cases(cast):
    case = taken(cast)
    issue = KnownIssueFactory(stage=KnownIssue.Stage.RESOLVED)
    with pytest.raises(StateConflict, match="already resolved"):
        services.case_link_known_issue(
            case_id=case.id, actor=cast.engineer, known_issue_id=issue.id
        )


def test_linking_needs_an_open_case_and_an_existing_issue(cast):
    case = taken(cast)
    with pytest.raises(NotFound):
        services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=999)
    services.case_close(case_id=case.id, actor=cast.engineer, reason="resolved", note="Done")
    with pytest.raises(StateConflict, match="closed"):
        services.case_link_known_issue(
            case_id=case.id, actor=cast.engineer, known_issue_id=KnownIssueFactory().id
        )


def test_customer_cannot_link_a_known_issue(cast):
    case = file_case(cast)
    with pytest.raises(NotPermitted):
        services.case_link_known_issue(
            case_id=case.id, actor=cast.contact_a, known_issue_id=KnownIssueFactory().id
        )


def test_unlinking_needs_a_reason_and_keeps_it_on_the_timeline(cast):
    case = taken(cast)
    issue = KnownIssueFactory()
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    with pytest.raises(InvalidInput):
        services.case_unlink_known_issue(case_id=case.id, actor=cast.engineer, reason=" ")
    case = services.case_unlink_known_issue(
        case_id=case.id, actor=cast.engineer, reason="Different stack trace"
    )
    assert case.known_issue is None
    assert last_event(case).data["reason"] == "Different stack trace"


def test_known_issue_created_from_a_case_is_linked_to_it(cast):
    case = taken(cast, product="Acme's own billing fork")
    issue = services.case_create_known_issue(
        case_id=case.id,
        actor=cast.engineer,
        title="Invoice export times out",
        public_summary="Large exports time out; export one month at a time.",
        product="Billing",
    )
    case.refresh_from_db()
    assert case.known_issue == issue
    assert (issue.created_by, issue.product, issue.stage) == (
        cast.engineer,
        "Billing",
        KnownIssue.Stage.INVESTIGATING,
    )


def test_known_issue_from_a_case_refuses_bad_fields_and_creates_nothing(cast):
    case = taken(cast)
    with pytest.raises(InvalidInput) as error:
        services.case_create_known_issue(
            case_id=case.id, actor=cast.engineer, title="", public_summary=""
        )
    assert set(error.value.field_errors) == {"title", "public_summary"}
    assert not KnownIssue.objects.exists()


def test_resolving_a_known_issue_closes_its_open_cases_only(cast):
    issue = KnownIssueFactory(title="Invoice export times out")
    linked = [taken(cast), file_case(cast), taken(cast)]
    for case in linked:
        services.case_link_known_issue(
            case_id=case.id, actor=cast.engineer, known_issue_id=issue.id
        )
    services.case_request_info(case_id=linked[2].id, actor=cast.engineer, body="Logs?")
    already_closed = taken(cast)
    services.case_link_known_issue(
        case_id=already_closed.id, actor=cast.engineer, known_issue_id=issue.id
    )
    services.case_close(
        case_id=already_closed.id, actor=cast.engineer, reason="outside_cause", note="Proxy"
    )
    unrelated = taken(cast)

    closed = services.known_issue_resolve(
        known_issue_id=issue.id, actor=cast.triage_lead, note="Fixed in release 2026.11."
    )

    assert sorted(case.id for case in closed) == sorted(case.id for case in linked)
    for case in linked:
        case.refresh_from_db()
        assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.KNOWN_ISSUE_RESOLVED)
        event = last_event(case)
        assert event.kind == CaseEvent.Kind.CLOSED
        assert event.comment.public
        assert "Fixed in release 2026.11." in event.comment.body
    already_closed.refresh_from_db()
    unrelated.refresh_from_db()
    assert already_closed.close_reason == CloseReason.OUTSIDE_CAUSE
    assert unrelated.state == State.IN_PROGRESS
    issue.refresh_from_db()
    assert issue.is_resolved
    assert issue.resolved_at is not None
    assert issue.resolution_note == "Fixed in release 2026.11."


def test_resolving_twice_is_a_conflict_and_needs_a_note(cast):
    issue = KnownIssueFactory()
    with pytest.raises(InvalidInput):
        services.known_issue_resolve(known_issue_id=issue.id, actor=cast.triage_lead, note="")
    services.known_issue_resolve(known_issue_id=issue.id, actor=cast.triage_lead, note="Fixed")
    with pytest.raises(StateConflict, match="already resolved"):
        services.known_issue_resolve(known_issue_id=issue.id, actor=cast.manager, note="Again")


def test_case_close_cannot_claim_a_known_issue_was_resolved(cast):
    case = taken(cast)
    with pytest.raises(InvalidInput, match="link the case"):
        services.case_close(
            case_id=case.id,
            actor=cast.engineer,
            reason=CloseReason.KNOWN_ISSUE_RESOLVED,
            note="Fixed",
        )


# Escalation


def test_escalation_is_internal_and_shows_on_the_case(cast):
    case = taken(cast)
    case = services.case_escalate(
        case_id=case.id, actor=cast.engineer, reason="Customer threatens to cancel"
    )
    assert case.is_escalated
    assert (case.escalated_by, case.escalation_reason) == (
        cast.engineer,
        "Customer threatens to cancel",
    )
    event = last_event(case)
    assert (event.kind, event.public) == (CaseEvent.Kind.ESCALATED, False)


def test_escalating_twice_names_who_escalated_first(cast):
    case = taken(cast)
    services.case_escalate(case_id=case.id, actor=cast.engineer, reason="Angry")
    with pytest.raises(StateConflict, match="already escalated by"):
        services.case_escalate(case_id=case.id, actor=cast.triage_lead, reason="Still angry")


def test_escalation_needs_a_reason_and_an_open_case(cast):
    case = taken(cast)
    with pytest.raises(InvalidInput):
        services.case_escalate(case_id=case.id, actor=cast.engineer, reason="")
    services.case_close(case_id=case.id, actor=cast.engineer, reason="resolved", note="Done")
    with pytest.raises(StateConflict, match="closed"):
        services.case_escalate(case_id=case.id, actor=cast.engineer, reason="Late")


def test_manager_marks_an_escalation_handled_with_a_note(cast):
    case = taken(cast)
    services.case_escalate(case_id=case.id, actor=cast.engineer, reason="Angry")
    case = services.case_de_escalate(
        case_id=case.id, actor=cast.manager, note="Called the CIO; plan agreed."
    )
    assert not case.is_escalated
    assert (case.escalated_by, case.escalation_reason) == (None, "")
    event = last_event(case)
    assert (event.kind, event.public) == (CaseEvent.Kind.DE_ESCALATED, False)
    assert event.data["escalation_reason"] == "Angry"
    with pytest.raises(StateConflict, match="not escalated"):
        services.case_de_escalate(case_id=case.id, actor=cast.manager, note="Again")


# Merging duplicates


def test_merge_closes_duplicates_pointing_at_the_kept_case(cast):
    keep, first, second = taken(cast), file_case(cast), taken(cast)
    primary = services.case_merge(
        actor=cast.triage_lead,
        into_id=keep.id,
        duplicate_ids=[first.id, second.id],
        note="Same export timeout.",
    )
    assert primary == keep
    for duplicate in (first, second):
        duplicate.refresh_from_db()
        assert (duplicate.state, duplicate.close_reason) == (State.CLOSED, CloseReason.DUPLICATE)
        assert duplicate.merged_into == keep
        closing = last_event(duplicate)
        assert closing.data["merged_into"] == keep.reference
        assert keep.reference in closing.comment.body
    merged = last_event(keep)
    assert merged.kind == CaseEvent.Kind.MERGED
    assert merged.data["merged"] == [first.reference, second.reference]
    assert keep.merged_cases.count() == 2


def test_merge_refuses_cases_of_another_customer_and_changes_nothing(cast):
    keep = taken(cast)
    other = CaseFactory(tenant=cast.tenant_b)
    with pytest.raises(InvalidInput, match="another customer"):
        services.case_merge(
            actor=cast.triage_lead, into_id=keep.id, duplicate_ids=[other.id], note="x"
        )
    other.refresh_from_db()
    assert other.state == State.NEW
    assert other.merged_into is None


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("into_closed", "merge into an open case"),
        ("duplicate_closed", "already closed"),
        ("itself", "into itself"),
        ("none", "Choose the duplicate"),
    ],
)
def test_merge_refusals(cast, setup, message):
    keep, duplicate = taken(cast), taken(cast)
    duplicate_ids = [duplicate.id]
    if setup == "into_closed":
        services.case_close(case_id=keep.id, actor=cast.engineer, reason="resolved", note="x")
    elif setup == "duplicate_closed":
        services.case_close(case_id=duplicate.id, actor=cast.engineer, reason="resolved", note="x")
    elif setup == "itself":
        duplicate_ids = [keep.id]
    elif setup == "none":
        duplicate_ids = []
    with pytest.raises((InvalidInput, StateConflict), match=message):
        services.case_merge(
            actor=cast.triage_lead, into_id=keep.id, duplicate_ids=duplicate_ids, note="x"
        )


def test_merge_of_an_unknown_case_is_not_found(cast):
    keep = taken(cast)
    with pytest.raises(NotFound):
        services.case_merge(actor=cast.triage_lead, into_id=keep.id, duplicate_ids=[0], note="x")


# Enhancement requests


def test_transferring_an_enhancement_keeps_a_record_and_closes_the_case(cast):
    case = taken(cast, category="enhancement_request", product="Reports")
    feedback = services.case_transfer_enhancement(
        case_id=case.id, actor=cast.engineer, description="Schedule exports weekly."
    )
    case.refresh_from_db()
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.ENHANCEMENT_TRANSFERRED)
    assert (feedback.case, feedback.tenant, feedback.title, feedback.product) == (
        case,
        cast.tenant_a,
        case.summary,
        "Reports",
    )
    assert feedback.status == ProductFeedback.Status.RECEIVED
    closing = last_event(case)
    assert closing.data["product_feedback"] == feedback.id
    assert f"PF-{feedback.id}" in closing.comment.body


def test_transfer_needs_a_description_and_an_open_case(cast):
    case = taken(cast)
    with pytest.raises(InvalidInput):
        services.case_transfer_enhancement(case_id=case.id, actor=cast.engineer, description="")
    assert not ProductFeedback.objects.exists()
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    services.case_close(case_id=case.id, actor=cast.engineer, reason="resolved", note="x")
    with pytest.raises(StateConflict):
        services.case_transfer_enhancement(case_id=case.id, actor=cast.engineer, description="x")


def test_case_close_points_enhancements_to_the_transfer(cast):
    case = taken(cast)
    with pytest.raises(InvalidInput, match="product management"):
        services.case_close(
            case_id=case.id,
            actor=cast.engineer,
            reason=CloseReason.ENHANCEMENT_TRANSFERRED,
            note="x",
        )


# Stale pages


@pytest.mark.parametrize(
    ("verb", "kwargs"),
    [
        ("case_escalate", {"reason": "x"}),
        ("case_link_known_issue", {"known_issue_id": None}),
        ("case_transfer_enhancement", {"description": "x"}),
        ("case_create_known_issue", {"title": "t", "public_summary": "s"}),
    ],
)
def test_new_verbs_refuse_a_stale_version(cast, verb, kwargs):
    case = taken(cast)
    if "known_issue_id" in kwargs:
        kwargs["known_issue_id"] = KnownIssueFactory().id
    stale = case.version - 1
    with pytest.raises(StateConflict, match="changed by someone else"):
        getattr(services, verb)(
            case_id=case.id, actor=cast.engineer, expected_version=stale, **kwargs
        )


# Role limits: an engineer cannot do a triage lead's or a manager's action.


def _assign_to_other(cast, case):
    services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.triage_lead)


def _merge(cast, case):
    other = taken(cast)
    services.case_merge(actor=cast.engineer, into_id=case.id, duplicate_ids=[other.id], note="x")


def _resolve(cast, case):
    issue = KnownIssueFactory()
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    services.known_issue_resolve(known_issue_id=issue.id, actor=cast.engineer, note="Fixed")


def _de_escalate(cast, case):
    services.case_escalate(case_id=case.id, actor=cast.engineer, reason="Angry")
    services.case_de_escalate(case_id=case.id, actor=cast.engineer, note="Handled")


@pytest.mark.parametrize(
    ("attempt", "role"),
    [
        (_assign_to_other, "triage lead"),
        (_merge, "triage lead"),
        (_resolve, "triage lead"),
        (_de_escalate, "support manager"),
    ],
)
def test_engineer_cannot_do_a_triage_leads_or_managers_action(cast, attempt, role):
    case = taken(cast)
    with pytest.raises(NotPermitted, match=f"Only a {role}"):
        attempt(cast, case)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    assert case.owner == cast.engineer


def test_triage_lead_cannot_handle_an_escalation_but_a_manager_can(cast):
    case = taken(cast)
    services.case_escalate(case_id=case.id, actor=cast.engineer, reason="Angry")
    with pytest.raises(NotPermitted, match="support manager"):
        services.case_de_escalate(case_id=case.id, actor=cast.triage_lead, note="x")
    services.case_de_escalate(case_id=case.id, actor=cast.manager, note="Handled")


@pytest.mark.parametrize(
    ("verb", "kwargs"),
    [
        ("case_escalate", {"reason": "x"}),
        ("case_transfer_enhancement", {"description": "x"}),
        ("case_unlink_known_issue", {"reason": "x"}),
    ],
)
def test_customers_cannot_use_staff_verbs(cast, verb, kwargs):
    case = file_case(cast)
    with pytest.raises(NotPermitted):
        getattr(services, verb)(case_id=case.id, actor=cast.contact_a, **kwargs)


def test_customers_of_linked_open_cases_hear_when_the_known_issue_moves_on(cast):
    from django.core import mail

    from notifications.tasks import send_pending_notifications

    issue = KnownIssueFactory(stage=KnownIssue.Stage.IN_DEVELOPMENT)
    case = taken(cast)
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    send_pending_notifications()
    mail.outbox.clear()
    fields = {"title": issue.title, "public_summary": issue.public_summary}
    services.known_issue_edit(
        known_issue_id=issue.id, actor=cast.engineer, stage=KnownIssue.Stage.IN_TESTING, **fields
    )
    services.known_issue_edit(
        known_issue_id=issue.id, actor=cast.engineer, stage=KnownIssue.Stage.IN_TESTING, **fields
    )
    send_pending_notifications()
    assert [m.to[0] for m in mail.outbox] == [cast.contact_a.email]
    assert "Fix in testing" in mail.outbox[0].body


def test_linking_a_known_issue_stops_the_update_clock_and_unlinking_restarts_it(cast):
    case = taken(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking into it.")
    case.refresh_from_db()
    assert case.next_update_due is not None
    issue = KnownIssueFactory()
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    case.refresh_from_db()
    assert case.next_update_due is None
    assert any("known issue was linked" in line for line in case.sla_explanation)
    services.case_unlink_known_issue(case_id=case.id, actor=cast.engineer, reason="Other cause")
    case.refresh_from_db()
    assert case.next_update_due is not None
