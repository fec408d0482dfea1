"""A phone call logged on a case is what it is for the contract: a response when it
reached the customer, the next contact attempt when the case waits on their information
and the call did not reach them, and an internal note otherwise."""

import pytest

from cases import services
from cases.models import CaseEvent, ContactAttempt, State
from cases.selectors import comments_for
from tests.cases.helpers import fresh, ny, request_info, taken

pytestmark = pytest.mark.django_db


def awaiting(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    request_info(cast, case)
    time_machine.move_to(ny(7, 10), tick=False)
    return fresh(case)


def test_unanswered_call_while_waiting_on_the_customer_is_contact_attempt_two(cast, time_machine):
    case = awaiting(cast, time_machine)
    event = services.case_log_phone_call(
        case_id=case.id, actor=cast.engineer, note="Voicemail left.", reached=False
    )
    assert event.kind == CaseEvent.Kind.CONTACT_ATTEMPT
    attempt = case.contact_attempts.order_by("number").last()
    assert (attempt.number, attempt.method, attempt.note) == (
        2,
        ContactAttempt.Method.PHONE,
        "Voicemail left.",
    )
    case = fresh(case)
    assert case.auto_close_at == attempt.closure_date
    assert case.follow_up_due_at is None
    [note] = comments_for(cast.contact_a, case).filter(body__contains="tried to reach you")
    assert "we will close it as having received no response" in note.body


def test_call_that_reached_a_waiting_customer_is_a_response_not_an_attempt(cast, time_machine):
    case = awaiting(cast, time_machine)
    event = services.case_log_phone_call(
        case_id=case.id, actor=cast.engineer, note="They will send the logs today.", reached=True
    )
    assert (event.kind, event.public) == (CaseEvent.Kind.PHONE_CALL, True)
    assert case.contact_attempts.count() == 1
    assert fresh(case).state == State.AWAITING_INFORMATION


def test_unanswered_call_after_both_attempts_is_an_internal_note(cast, time_machine):
    case = awaiting(cast, time_machine)
    services.case_log_phone_attempt(case_id=case.id, actor=cast.engineer, note="Voicemail.")
    event = services.case_log_phone_call(
        case_id=case.id, actor=cast.engineer, note="Still no answer.", reached=False
    )
    assert (event.kind, event.public) == (CaseEvent.Kind.PHONE_CALL, False)
    assert case.contact_attempts.count() == 2


def test_unanswered_call_on_a_case_in_progress_moves_no_clock(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking.")
    due = fresh(case).next_update_due
    time_machine.move_to(ny(7, 10), tick=False)
    services.case_log_phone_call(
        case_id=case.id, actor=cast.engineer, note="No answer.", reached=False
    )
    assert fresh(case).next_update_due == due
    assert not case.contact_attempts.exists()


def test_reached_call_restarts_the_update_interval_from_the_call(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking.")
    assert fresh(case).next_update_due == ny(8, 10)
    time_machine.move_to(ny(7, 15), tick=False)
    services.case_log_phone_call(
        case_id=case.id, actor=cast.engineer, note="Agreed a workaround.", reached=True
    )
    assert fresh(case).next_update_due == ny(9, 15)
