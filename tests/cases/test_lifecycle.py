"""Every transition of the case lifecycle through its service, and every refusal."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.models import Case, CaseEvent, Channel, CloseReason, ContactAttempt, State
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict, VersionConflict
from tenants.roles import Role
from tests.cases.helpers import file_case
from tests.factories import PNG_BYTES, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def in_progress(cast) -> Case:
    case = file_case(cast)
    return services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)


def solution_proposed(cast) -> Case:
    case = in_progress(cast)
    return services.case_propose_solution(
        case_id=case.id, actor=cast.engineer, body="Raise the export timeout to 300 s."
    )


def kinds(case: Case) -> list[str]:
    return list(case.events.values_list("kind", flat=True))


def test_filed_case_gets_readable_reference_and_created_event(cast):
    first = file_case(cast)
    second = file_case(cast)
    assert (first.reference, second.reference) == ("ACME-00001", "ACME-00002")
    assert first.state == State.NEW
    assert first.reporter == cast.contact_a
    assert first.partner is None
    assert kinds(first) == [CaseEvent.Kind.CREATED]


def test_partner_filed_case_records_partner_and_stays_with_tenant(cast):
    case = file_case(cast, actor=cast.partner_with_letter)
    assert case.tenant == cast.tenant_a
    assert case.partner == cast.partner
    assert case.reporter == cast.partner_with_letter


def test_filing_for_another_tenant_is_not_found(cast):
    with pytest.raises(NotFound):
        file_case(cast, actor=cast.contact_b)
    with pytest.raises(NotFound):
        file_case(cast, actor=cast.partner_without_letter)
    assert not Case.objects.exists()


def test_case_with_bad_intake_is_refused_with_field_errors_and_nothing_saved(cast):
    with pytest.raises(InvalidInput) as error:
        file_case(cast, summary=" ", category="gossip", priority="P9", environment_access="")
    assert set(error.value.field_errors) == {
        "summary",
        "category",
        "priority",
        "environment_access",
    }
    assert not Case.objects.exists()
    cast.tenant_a.refresh_from_db()
    assert cast.tenant_a.last_case_number == 0


def test_mail_files_at_the_plans_lowest_priority(cast):
    case = file_case(cast, channel=Channel.EMAIL, priority="P1")
    assert case.priority == "P4"


def test_staff_log_a_phone_case_for_a_contact(cast):
    case = file_case(cast, actor=cast.engineer, channel=Channel.PHONE, reporter=cast.contact_a)
    assert case.reporter == cast.contact_a
    with pytest.raises(InvalidInput, match="authorized contact") as refused:
        file_case(cast, actor=cast.engineer, reporter=cast.contact_b)
    assert list(refused.value.field_errors) == ["reporter"]


def test_only_staff_file_in_someone_elses_name(cast):
    colleague = ContactFactory(tenant=cast.tenant_a).user
    with pytest.raises(NotPermitted) as refused:
        file_case(cast, actor=cast.contact_a, reporter=colleague)
    assert list(refused.value.field_errors) == ["reporter"]
    officer = UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    with pytest.raises(NotPermitted):
        file_case(cast, actor=officer, reporter=cast.contact_a)
    assert not Case.objects.exists()
    assert file_case(cast, actor=cast.contact_a, reporter=cast.contact_a).reporter == cast.contact_a


def test_attachments_are_stored_with_the_case(cast):
    log = SimpleUploadedFile("server.log", b"ERROR timeout\n", content_type="text/plain")
    case = file_case(cast, attachments=[log])
    attachment = case.attachments.get()
    assert attachment.filename == "server.log"
    assert attachment.size == 14
    assert attachment.file.read() == b"ERROR timeout\n"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("tool.exe", b"MZ..."), "not accepted"),
        (SimpleUploadedFile("empty.log", b""), "is empty"),
        (SimpleUploadedFile("huge.log", b"x" * 2048), "the limit is 1.0"),
    ],
)
def test_bad_attachment_refuses_the_whole_case(cast, settings, upload, message):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(InvalidInput, match=message):
        file_case(cast, attachments=[SimpleUploadedFile("ok.png", PNG_BYTES), upload])
    assert not Case.objects.exists()


def test_assigning_takes_a_new_case_into_work(cast):
    case = in_progress(cast)
    assert case.state == State.IN_PROGRESS
    assert case.owner == cast.engineer
    assert kinds(case)[-1] == CaseEvent.Kind.OWNER_CHANGED


def test_engineer_cannot_assign_to_someone_else_but_triage_lead_can(cast):
    case = file_case(cast)
    with pytest.raises(NotPermitted, match="triage lead"):
        services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.manager)
    case = services.case_assign(case_id=case.id, actor=cast.triage_lead, owner=cast.engineer)
    assert case.owner == cast.engineer


def test_customer_cannot_assign(cast):
    case = file_case(cast)
    with pytest.raises(NotPermitted):
        services.case_assign(case_id=case.id, actor=cast.contact_a, owner=cast.contact_a)


def test_request_info_is_contact_attempt_one_and_reply_resumes(cast):
    case = in_progress(cast)
    case = services.case_request_info(
        case_id=case.id, actor=cast.engineer, body="Please attach the HAR file."
    )
    assert case.state == State.AWAITING_INFORMATION
    attempt = case.contact_attempts.get()
    assert (attempt.round, attempt.number, attempt.method) == (1, 1, "request_info")
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="Attached.")
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_partner_reply_also_resumes_the_case(cast):
    case = in_progress(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Which browser?")
    services.case_comment(case_id=case.id, actor=cast.partner_with_letter, body="Firefox 130")
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_phone_attempt_counts_as_the_second_attempt_and_no_third(cast):
    case = in_progress(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Need logs")
    attempt = services.case_log_phone_attempt(
        case_id=case.id, actor=cast.engineer, note="Voicemail left"
    )
    assert (attempt.number, attempt.method) == (2, ContactAttempt.Method.PHONE)
    with pytest.raises(StateConflict, match="Both contact attempts"):
        services.case_log_phone_attempt(case_id=case.id, actor=cast.engineer, note="Again")


def test_phone_attempt_needs_a_case_waiting_on_the_customer(cast):
    case = in_progress(cast)
    with pytest.raises(StateConflict, match="not waiting on the customer"):
        services.case_log_phone_attempt(case_id=case.id, actor=cast.engineer, note="Called")


def test_second_wait_on_the_customer_starts_a_new_round(cast):
    case = in_progress(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Logs?")
    services.case_comment(case_id=case.id, actor=cast.contact_a, body="Here.")
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Screenshot?")
    assert list(case.contact_attempts.values_list("round", "number")) == [(1, 1), (2, 1)]


def test_accepting_the_solution_closes_as_resolved(cast):
    case = solution_proposed(cast)
    case = services.case_accept_solution(case_id=case.id, actor=cast.contact_a)
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.RESOLVED)
    assert case.closed_at is not None


def test_rejecting_the_solution_needs_a_reason_and_returns_to_work(cast):
    case = solution_proposed(cast)
    with pytest.raises(InvalidInput):
        services.case_reject_solution(case_id=case.id, actor=cast.contact_a, reason="")
    case = services.case_reject_solution(
        case_id=case.id, actor=cast.contact_a, reason="Still times out."
    )
    assert case.state == State.IN_PROGRESS


def test_customer_cancels_with_reason(cast):
    case = file_case(cast)
    case = services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Found it myself")
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.CANCELLED)


@pytest.mark.parametrize(
    "reason",
    [CloseReason.RESOLVED, CloseReason.DUPLICATE, CloseReason.OUTSIDE_CAUSE, CloseReason.CANCELLED],
)
def test_staff_close_with_each_reason(cast, reason):
    case = in_progress(cast)
    case = services.case_close(case_id=case.id, actor=cast.engineer, reason=reason, note="Done.")
    assert (case.state, case.close_reason) == (State.CLOSED, reason)
    assert kinds(case)[-1] == CaseEvent.Kind.CLOSED


def test_only_engineers_close_a_case_not_security_or_customers(cast):
    case = in_progress(cast)
    officer = UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    for outsider in (officer, cast.contact_a):
        with pytest.raises(NotPermitted, match="Only a support engineer"):
            services.case_close(case_id=case.id, actor=outsider, reason="resolved", note="Done.")
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_staff_close_refuses_no_response_reason_which_only_the_system_uses(cast):
    case = in_progress(cast)
    with pytest.raises(InvalidInput, match="closure reason"):
        services.case_close(
            case_id=case.id, actor=cast.engineer, reason=CloseReason.NO_RESPONSE, note="x"
        )


@pytest.mark.parametrize(
    ("reason", "pointer"),
    [
        (CloseReason.KNOWN_ISSUE_RESOLVED, "link the case to the known issue"),
        (CloseReason.ENHANCEMENT_TRANSFERRED, "Transfer the enhancement request"),
    ],
)
def test_staff_close_points_reasons_with_their_own_verb_to_that_verb(cast, reason, pointer):
    case = in_progress(cast)
    with pytest.raises(InvalidInput, match=pointer):
        services.case_close(case_id=case.id, actor=cast.engineer, reason=reason, note="x")
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_system_closes_for_no_response_only_when_awaiting_information(cast):
    case = in_progress(cast)
    assert services.cases_close_for_no_response(case_ids=[case.id]) == []
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Logs?")
    [case] = services.cases_close_for_no_response(case_ids=[case.id])
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.NO_RESPONSE)
    assert case.events.last().actor is None


def test_system_closes_silent_proposed_solution_as_resolved(cast):
    case = solution_proposed(cast)
    [case] = services.cases_close_after_silence(case_ids=[case.id])
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.RESOLVED)


def test_reopen_within_the_window(cast):
    case = solution_proposed(cast)
    services.case_accept_solution(case_id=case.id, actor=cast.contact_a)
    case = services.case_reopen(case_id=case.id, actor=cast.contact_a, reason="It came back")
    assert case.state == State.IN_PROGRESS
    assert (case.close_reason, case.closed_at) == ("", None)
    assert kinds(case)[-1] == CaseEvent.Kind.REOPENED


def test_reopen_after_the_window_is_refused_naming_the_window(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)):
        case = solution_proposed(cast)
        services.case_accept_solution(case_id=case.id, actor=cast.contact_a)
    with (
        time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)),
        pytest.raises(StateConflict, match="within 14 days"),
    ):
        services.case_reopen(case_id=case.id, actor=cast.contact_a, reason="Again")


@pytest.mark.parametrize(
    ("verb", "setup", "kwargs"),
    [
        ("case_propose_solution", file_case, {"body": "x"}),
        ("case_request_info", file_case, {"body": "x"}),
        ("case_accept_solution", in_progress, {}),
        ("case_reject_solution", in_progress, {"reason": "x"}),
        ("case_reopen", in_progress, {"reason": "x"}),
    ],
)
def test_transition_from_the_wrong_state_is_refused_and_changes_nothing(cast, verb, setup, kwargs):
    case = setup(cast)
    staff_verbs = {"case_propose_solution", "case_request_info"}
    actor = cast.engineer if verb in staff_verbs else cast.contact_a
    before = (case.state, case.version, case.events.count())
    with pytest.raises(StateConflict, match="so it cannot be"):
        getattr(services, verb)(case_id=case.id, actor=actor, **kwargs)
    case.refresh_from_db()
    assert (case.state, case.version, case.events.count()) == before


@pytest.mark.parametrize(
    ("verb", "actor_name", "kwargs"),
    [
        ("case_propose_solution", "contact_a", {"body": "Fixed, trust me"}),
        ("case_request_info", "partner_with_letter", {"body": "x"}),
        ("case_close", "contact_a", {"reason": "duplicate", "note": "x"}),
        ("case_cancel", "engineer", {"reason": "x"}),
    ],
)
def test_transition_by_the_wrong_role_is_refused(cast, verb, actor_name, kwargs):
    case = in_progress(cast)
    with pytest.raises(NotPermitted):
        getattr(services, verb)(case_id=case.id, actor=getattr(cast, actor_name), **kwargs)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_engineer_cannot_accept_a_solution_for_the_customer(cast):
    case = solution_proposed(cast)
    with pytest.raises(NotPermitted):
        services.case_accept_solution(case_id=case.id, actor=cast.engineer)


def test_outsiders_get_not_found_for_every_verb(cast):
    case = in_progress(cast)
    for actor in (cast.contact_b, cast.partner_without_letter):
        with pytest.raises(NotFound):
            services.case_comment(case_id=case.id, actor=actor, body="Hi")
        with pytest.raises(NotFound):
            services.case_cancel(case_id=case.id, actor=actor, reason="x")


def test_customer_cannot_write_internal_notes_or_reply_on_closed_cases(cast):
    case = file_case(cast)
    with pytest.raises(NotPermitted):
        services.case_comment(case_id=case.id, actor=cast.contact_a, body="x", public=False)
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Not needed")
    with pytest.raises(StateConflict, match="Reopen it"):
        services.case_comment(case_id=case.id, actor=cast.contact_a, body="One more thing")


def test_first_public_staff_reply_is_the_initial_response(cast):
    case = in_progress(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking", public=False)
    case.refresh_from_db()
    assert case.first_responded_at is None
    services.case_comment(case_id=case.id, actor=cast.engineer, body="We are on it")
    case.refresh_from_db()
    assert case.first_responded_at is not None


def test_priority_change_needs_a_reason_and_a_plan_priority(cast):
    case = in_progress(cast)
    with pytest.raises(InvalidInput, match="reason"):
        services.case_change_priority(
            case_id=case.id, actor=cast.engineer, priority="P1", reason=""
        )
    with pytest.raises(InvalidInput, match="plan's priorities"):
        services.case_change_priority(
            case_id=case.id, actor=cast.engineer, priority="P7", reason="x"
        )
    case = services.case_change_priority(
        case_id=case.id, actor=cast.engineer, priority="P1", reason="Production down"
    )
    event = case.events.last()
    assert (case.priority, event.kind) == ("P1", CaseEvent.Kind.PRIORITY_CHANGED)
    assert event.data == {"previous": "P2", "priority": "P1", "reason": "Production down"}


def test_change_based_on_a_stale_version_is_a_conflict(cast):
    case = in_progress(cast)
    seen_by_both = case.version
    services.case_change_priority(
        case_id=case.id,
        actor=cast.engineer,
        priority="P1",
        reason="Outage",
        expected_version=seen_by_both,
    )
    with pytest.raises(StateConflict, match="changed by someone else"):
        services.case_change_priority(
            case_id=case.id,
            actor=cast.triage_lead,
            priority="P3",
            reason="Not urgent",
            expected_version=seen_by_both,
        )
    case.refresh_from_db()
    assert case.priority == "P1"


def test_internal_events_and_notes_are_hidden_from_customers(cast):
    from cases.selectors import comments_for, events_for

    case = in_progress(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Suspect DB", public=False)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Investigating")
    assert [c.body for c in comments_for(cast.contact_a, case)] == ["Investigating"]
    assert len(comments_for(cast.engineer, case)) == 2
    assert all(e.public for e in events_for(cast.contact_a, case))


@pytest.mark.parametrize(
    ("verb", "arguments"),
    [
        (services.case_accept_solution, {"note": ""}),
        (services.case_reject_solution, {"reason": "Still slow"}),
        (services.case_cancel, {"reason": "Not needed"}),
    ],
)
def test_customer_verbs_refuse_a_stale_version_and_change_nothing(cast, verb, arguments):
    case = solution_proposed(cast)
    seen = case.version
    services.case_comment(case_id=case.id, actor=cast.engineer, body="One more thing.")
    with pytest.raises(VersionConflict, match="changed by someone else"):
        verb(case_id=case.id, actor=cast.contact_a, expected_version=seen, **arguments)
    case.refresh_from_db()
    assert case.state == State.SOLUTION_PROPOSED
    verb(case_id=case.id, actor=cast.contact_a, expected_version=case.version, **arguments)


def test_reply_and_reopen_refuse_a_stale_version(cast):
    case = file_case(cast)
    stale = case.version
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Not needed")
    with pytest.raises(VersionConflict):
        services.case_reopen(
            case_id=case.id, actor=cast.contact_a, reason="Back", expected_version=stale
        )
    with pytest.raises(VersionConflict):
        services.case_comment(
            case_id=case.id, actor=cast.engineer, body="Hi", expected_version=stale
        )


@pytest.mark.parametrize("verb", [services.case_request_info, services.case_propose_solution])
def test_staff_verbs_refuse_customers_whatever_the_state(cast, verb):
    for case in (file_case(cast), in_progress(cast)):
        with pytest.raises(NotPermitted, match="support engineer"):
            verb(case_id=case.id, actor=cast.contact_a, body="Try this")


def test_overlong_intake_text_is_refused_before_anything_is_stored(cast):
    with pytest.raises(InvalidInput) as error:
        file_case(cast, product="p" * 101, browsers="b" * 201)
    assert set(error.value.field_errors) == {"product", "browsers"}
    assert not Case.objects.exists()


def test_attachment_names_are_cleaned_and_kept_short():
    from cases.attachments import clean_filename

    assert clean_filename("C:\\Users\\ann\\trace.log") == "trace.log"
    assert clean_filename("bad\x00name.txt") == "badname.txt"
    assert clean_filename("..") == "attachment"
    long_name = clean_filename("x" * 300 + ".log")
    assert len(long_name) == 120
    assert long_name.endswith(".log")
