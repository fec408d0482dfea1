"""Macros: placeholders, effects through the case services in one transaction, rollback
on any refusal, who sees and keeps which macro, usage counts."""

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, Comment, Macro, MacroAssign, MacroStateAction, State
from cases.selectors import macros_usable_by
from cases.services import MacroFields
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict, VersionConflict
from tenants.roles import Role
from tests.cases.helpers import file_case, fresh, ny, taken
from tests.factories import KnownIssueFactory, MacroFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def named_cast(cast):
    """The cast with the names a reply uses, and tenant A in New York."""
    cast.contact_a.first_name, cast.contact_a.last_name = "Ann", "Archer"
    cast.contact_a.save()
    cast.engineer.first_name, cast.engineer.last_name = "Eve", "Engel"
    cast.engineer.save()
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save()
    return cast


@pytest.fixture
def monday_morning():
    with time_machine.travel(ny(6, 10), tick=False):
        yield


def test_placeholders_fill_in_contact_reference_due_time_in_the_customers_zone_and_engineer(
    named_cast, monday_morning
):
    cast = named_cast
    case = file_case(cast)
    macro = MacroFactory(
        body="Hi {customer_name}, {case_reference} is due {due_time}. {engineer_name}"
    )
    preview = services.macro_preview(case=fresh(case), actor=cast.engineer, macro=macro)
    # P2 answers by the next business day: Tuesday 17:00 in New York, EDT in April.
    assert preview.body == f"Hi Ann Archer, {case.reference} is due Tue 7 Apr 17:00 EDT. Eve Engel"


def test_unknown_placeholder_is_refused_when_the_macro_is_saved(cast):
    with pytest.raises(InvalidInput) as refused:
        services.macro_create(
            actor=cast.engineer,
            fields=MacroFields(name="Typo", body="Hello {customer}", internal_note="{due}"),
        )
    assert "{customer}" in refused.value.message
    assert "{customer_name}" in refused.value.message
    assert "{due}" in refused.value.field_errors["internal_note"][0]
    assert not Macro.objects.exists()


def test_priority_without_reason_and_unknown_priority_are_refused(cast):
    with pytest.raises(InvalidInput) as refused:
        services.macro_create(
            actor=cast.engineer, fields=MacroFields(name="Up", body="Raised.", priority="P9")
        )
    assert set(refused.value.field_errors) == {"priority", "priority_reason"}


def test_request_info_macro_assigns_raises_priority_links_notes_and_waits_on_the_customer(
    named_cast, monday_morning
):
    cast = named_cast
    case = file_case(cast)
    issue = KnownIssueFactory()
    macro = services.macro_create(
        actor=cast.triage_lead,
        fields=MacroFields(
            name="Need a HAR",
            body="Hello {customer_name}, please attach a HAR file to {case_reference}.",
            shared=True,
            state_action=MacroStateAction.REQUEST_INFO,
            priority="P1",
            priority_reason="Production export blocked",
            assign=MacroAssign.ME,
            known_issue=issue,
            internal_note="Asked for a HAR by macro for {case_reference}.",
        ),
    )
    done = services.macro_apply(
        case_id=case.id, actor=cast.engineer, macro_id=macro.id, expected_version=case.version
    )
    assert done.state == State.AWAITING_INFORMATION
    assert done.owner == cast.engineer
    assert done.priority == "P1"
    assert done.known_issue == issue
    public = Comment.objects.get(case=case, public=True, by_staff=True)
    assert public.body == f"Hello Ann Archer, please attach a HAR file to {case.reference}."
    note = Comment.objects.get(case=case, public=False, author=cast.engineer)
    assert note.body == f"Asked for a HAR by macro for {case.reference}."
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {CaseEvent.Kind.OWNER_CHANGED, CaseEvent.Kind.CONTACT_ATTEMPT} <= kinds
    macro.refresh_from_db()
    assert macro.usage_count == 1
    assert macro.last_used_at == timezone.now()


def test_propose_solution_macro_sends_the_edited_text(cast):
    case = taken(cast)
    macro = MacroFactory(state_action=MacroStateAction.PROPOSE_SOLUTION)
    services.macro_apply(
        case_id=case.id,
        actor=cast.engineer,
        macro_id=macro.id,
        expected_version=fresh(case).version,
        edited_body="Clear the cache of {case_reference}, then retry.",
    )
    assert fresh(case).state == State.SOLUTION_PROPOSED
    sent = Comment.objects.get(case=case, public=True, by_staff=True)
    assert sent.body == f"Clear the cache of {case.reference}, then retry."


def _nothing_changed(case: Case, macro: Macro) -> None:
    after = fresh(case)
    assert (after.state, after.owner_id, after.priority, after.version) == (
        case.state,
        case.owner_id,
        case.priority,
        case.version,
    )
    assert not Comment.objects.filter(case=case, by_staff=True).exists()
    macro.refresh_from_db()
    assert macro.usage_count == 0


def test_a_refused_state_action_rolls_back_the_assignment_priority_and_note(cast):
    case = fresh(file_case(cast))  # new, and the macro does not take it: cannot propose
    macro = MacroFactory(
        state_action=MacroStateAction.PROPOSE_SOLUTION,
        priority="P1",
        priority_reason="Outage",
        internal_note="Proposed by macro.",
    )
    with pytest.raises(StateConflict) as refused:
        services.macro_apply(
            case_id=case.id, actor=cast.engineer, macro_id=macro.id, expected_version=case.version
        )
    assert "cannot be given a proposed solution" in refused.value.message
    _nothing_changed(case, macro)


def test_an_engineer_cannot_hand_a_case_to_someone_else_by_macro(cast):
    case = fresh(file_case(cast))
    macro = MacroFactory(assign=MacroAssign.USER, assign_to=cast.triage_lead)
    with pytest.raises(NotPermitted):
        services.macro_apply(
            case_id=case.id, actor=cast.engineer, macro_id=macro.id, expected_version=case.version
        )
    _nothing_changed(case, macro)


def test_a_stale_version_changes_nothing(cast):
    case = fresh(taken(cast))
    macro = MacroFactory()
    with pytest.raises(VersionConflict):
        services.macro_apply(
            case_id=case.id,
            actor=cast.engineer,
            macro_id=macro.id,
            expected_version=case.version - 1,
        )
    _nothing_changed(case, macro)


def test_preview_lists_effects_in_words_and_writes_nothing(cast):
    case = fresh(file_case(cast))
    macro = MacroFactory(
        state_action=MacroStateAction.REQUEST_INFO,
        assign=MacroAssign.ME,
        priority="P3",
        priority_reason="Workaround exists",
    )
    preview = services.macro_preview(case=case, actor=cast.engineer, macro=macro)
    assert preview.effects == [
        "Assign the case to you.",
        "Change the priority to P3 (Workaround exists).",
        "Send the reply as a request for information; the case waits on the customer.",
    ]
    assert preview.warnings == []
    _nothing_changed(case, macro)


def test_preview_warns_of_what_the_services_would_refuse(cast):
    case = fresh(file_case(cast))
    macro = MacroFactory(state_action=MacroStateAction.REQUEST_INFO)
    preview = services.macro_preview(case=case, actor=cast.engineer, macro=macro)
    assert preview.warnings == ["A new case cannot be put on hold."]


def test_personal_macro_is_seen_and_used_by_its_owner_only(cast):
    other = UserFactory(username="oli@support.test", roles=[Role.ENGINEER])
    mine = services.macro_create(
        actor=cast.engineer, fields=MacroFields(name="Mine", body="Thanks, {customer_name}.")
    )
    assert mine.owner == cast.engineer
    assert list(macros_usable_by(cast.engineer)) == [mine]
    assert list(macros_usable_by(other)) == []
    assert list(macros_usable_by(cast.manager)) == []
    case = fresh(taken(cast))
    with pytest.raises(NotFound):
        services.macro_apply(
            case_id=case.id, actor=other, macro_id=mine.id, expected_version=case.version
        )
    with pytest.raises(NotFound):
        services.macro_preview(case=case, actor=other, macro=mine)
    with pytest.raises(NotFound):
        services.macro_update(
            actor=other, macro_id=mine.id, fields=MacroFields(name="Stolen", body="x")
        )
    with pytest.raises(NotFound):
        services.macro_archive(actor=other, macro_id=mine.id)


def test_customers_see_and_use_no_macro(cast):
    case = fresh(file_case(cast))
    macro = MacroFactory()
    assert not macros_usable_by(cast.contact_a).exists()
    with pytest.raises(NotFound):
        services.macro_apply(
            case_id=case.id, actor=cast.contact_a, macro_id=macro.id, expected_version=None
        )


def test_shared_macros_are_kept_by_triage_leads_not_engineers(cast):
    with pytest.raises(NotPermitted):
        services.macro_create(
            actor=cast.engineer, fields=MacroFields(name="All", body="Hi.", shared=True)
        )
    shared = services.macro_create(
        actor=cast.triage_lead, fields=MacroFields(name="All", body="Hi.", shared=True)
    )
    assert shared.is_shared
    with pytest.raises(NotPermitted):
        services.macro_update(
            actor=cast.engineer, macro_id=shared.id, fields=MacroFields(name="Mine", body="Hi.")
        )
    with pytest.raises(NotPermitted):
        services.macro_archive(actor=cast.engineer, macro_id=shared.id)
    services.macro_update(
        actor=cast.manager,
        macro_id=shared.id,
        fields=MacroFields(name="Greeting", body="Hello.", shared=True),
    )
    shared.refresh_from_db()
    assert (shared.name, shared.body, shared.owner) == ("Greeting", "Hello.", None)


def test_archived_macro_is_kept_but_neither_offered_nor_applied(cast):
    macro = services.macro_create(
        actor=cast.triage_lead, fields=MacroFields(name="Old", body="Hi.", shared=True)
    )
    services.macro_archive(actor=cast.triage_lead, macro_id=macro.id)
    assert Macro.objects.filter(id=macro.id, is_archived=True).exists()
    assert not macros_usable_by(cast.engineer).exists()
    case = fresh(taken(cast))
    with pytest.raises(NotFound):
        services.macro_apply(
            case_id=case.id, actor=cast.engineer, macro_id=macro.id, expected_version=case.version
        )


def test_usage_count_counts_every_use(cast):
    macro = MacroFactory()
    case = taken(cast)
    for _ in range(3):
        services.macro_apply(
            case_id=case.id, actor=cast.engineer, macro_id=macro.id, expected_version=None
        )
    macro.refresh_from_db()
    assert macro.usage_count == 3
    assert Comment.objects.filter(case=case, by_staff=True, public=True).count() == 3
