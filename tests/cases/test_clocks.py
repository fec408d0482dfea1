"""Due times on cases: computed from the timeline by every service that moves a clock."""

import datetime as dt

import pytest

from cases import services
from cases.models import Case, Channel
from cases.services.clocks import case_recompute_clocks
from tests.cases.helpers import (
    file_case,
    fresh,
    ny,
    propose,
    reply_as_customer,
    reply_as_staff,
    request_info,
    taken,
)

pytestmark = pytest.mark.django_db


def test_new_case_is_due_an_initial_response_by_the_end_of_the_next_business_day(
    cast, time_machine
):
    time_machine.move_to(ny(10, 16, 30), tick=False)  # a Friday
    case = fresh(file_case(cast))
    assert case.initial_response_due == ny(13, 17)
    assert case.next_update_due is None
    assert case.resolution_due is None
    assert case.next_due_at == ny(13, 17)
    assert not case.sla_paused
    explanation = "\n".join(case.sla_explanation)
    assert "Priority P2" in explanation
    assert "Mon–Fri 09:00–17:00 (America/New_York)" in explanation
    assert "Initial response: next business day from the receipt at Fri 2026-04-10 16:30" in (
        explanation
    )
    assert "due Mon 2026-04-13 17:00 EDT" in explanation


@pytest.mark.parametrize(
    ("channel", "due"),
    [
        (Channel.PORTAL, ny(7, 17)),
        (Channel.API, ny(7, 17)),
        (Channel.EMAIL, ny(8, 10)),  # mail arrives at P4: two business days
    ],
)
def test_every_channel_gets_clocks(cast, time_machine, channel, due):
    time_machine.move_to(ny(6, 10), tick=False)
    case = fresh(file_case(cast, channel=channel, priority="P3"))
    assert case.initial_response_due == due


def test_first_public_staff_reply_meets_the_response_and_starts_the_update_clock(
    cast, time_machine
):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    time_machine.move_to(ny(6, 11), tick=False)
    reply_as_staff(cast, case)
    case = fresh(case)
    assert case.first_responded_at == ny(6, 11)
    assert case.initial_response_due == ny(7, 17)
    assert case.next_update_due == ny(8, 11)
    assert case.next_due_at == ny(8, 11), "a met initial response is no longer due"
    assert any(
        "Initial response given at Mon 2026-04-06 11:00 EDT, on time" in line
        for line in case.sla_explanation
    )

    time_machine.move_to(ny(7, 15), tick=False)
    reply_as_staff(cast, case, "Update: the fix is in review.")
    assert fresh(case).next_update_due == ny(9, 15)


def test_internal_notes_and_customer_messages_do_not_count_as_updates(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    time_machine.move_to(ny(7, 10), tick=False)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Note", public=False)
    reply_as_customer(cast, case, "Any news?")
    assert fresh(case).next_update_due == ny(8, 10)


def test_waiting_on_the_customer_pauses_the_clocks_and_a_reply_resumes_them(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    time_machine.move_to(ny(6, 11), tick=False)
    reply_as_staff(cast, case)
    time_machine.move_to(ny(7, 11), tick=False)  # 8 business hours of 16 used
    request_info(cast, case)
    case = fresh(case)
    assert case.sla_paused
    assert case.next_update_due is None
    assert case.next_due_at is None
    assert case.next_sla_alert_at is None
    assert any("Paused since Tue 2026-04-07 11:00 EDT" in line for line in case.sla_explanation)

    time_machine.move_to(ny(9, 14), tick=False)
    reply_as_customer(cast, case)
    case = fresh(case)
    assert not case.sla_paused
    # The request for information was itself a public update at Tue 11:00, so all 16
    # business hours of the interval remain, counted from the resumption: Thu 14:00 +
    # 3h + 8h (Fri) + 5h = Mon 14:00. Paused: Tue 11–17, Wed, Thu 9–14 = 19 business hours.
    assert case.next_update_due == ny(13, 14)
    assert any("plus 19h paused" in line for line in case.sla_explanation)


def test_proposed_solution_stops_the_update_clock_and_a_rejection_restarts_it(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    time_machine.move_to(ny(7, 10), tick=False)
    propose(cast, case)
    case = fresh(case)
    assert case.next_update_due is None
    assert case.next_due_at is None
    assert any("No update is due: a solution was proposed" in line for line in case.sla_explanation)

    time_machine.move_to(ny(8, 12), tick=False)
    services.case_reject_solution(case_id=case.id, actor=cast.contact_a, reason="Still fails.")
    assert fresh(case).next_update_due == ny(10, 12)


def test_priority_change_applies_the_new_targets_to_the_whole_history(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(cast, priority="P3")
    assert fresh(case).initial_response_due == ny(7, 17)
    time_machine.move_to(ny(6, 10, 20), tick=False)
    services.case_change_priority(
        case_id=case.id, actor=cast.engineer, priority="P1", reason="Production is down."
    )
    case = fresh(case)
    assert case.initial_response_due == ny(6, 11), "1 hour from receipt, not from the change"
    assert case.next_due_at == ny(6, 11)
    assert any("Priority changed from P3 to P1" in line for line in case.sla_explanation)


def test_closing_stops_the_clocks_and_reopening_restarts_them(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    propose(cast, case)
    services.case_accept_solution(case_id=case.id, actor=cast.contact_a)
    case = fresh(case)
    assert (case.next_update_due, case.next_due_at, case.sla_alerts) == (None, None, [])
    assert case.initial_response_due == ny(7, 17), "met, so it stays visible"

    time_machine.move_to(ny(8, 9, 30), tick=False)
    services.case_reopen(case_id=case.id, actor=cast.contact_a, reason="It broke again.")
    case = fresh(case)
    assert case.next_update_due == ny(10, 9, 30)
    assert case.next_due_at == ny(10, 9, 30)


def test_questions_and_requests_have_no_clocks(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    for category in ("question", "request"):
        case = fresh(file_case(cast, category=category))
        assert case.initial_response_due is None
        assert case.next_due_at is None
        assert case.sla_alerts == []
        assert "carry no SLA targets" in case.sla_explanation[0]
        reply_as_staff(cast, case)
        assert fresh(case).next_update_due is None


def test_due_times_rebuild_from_the_timeline_alone(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    time_machine.move_to(ny(7, 11), tick=False)
    request_info(cast, case)
    time_machine.move_to(ny(8, 11), tick=False)
    reply_as_customer(cast, case)
    stored = fresh(case)
    Case.objects.filter(id=case.id).update(
        initial_response_due=None, next_update_due=None, next_due_at=None, sla_explanation=[]
    )
    rebuilt = fresh(case)
    case_recompute_clocks(rebuilt)
    rebuilt = fresh(case)
    for field in ("initial_response_due", "next_update_due", "next_due_at", "sla_explanation"):
        assert getattr(rebuilt, field) == getattr(stored, field)


def test_due_time_rows_say_met_overdue_and_paused(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    reply_as_staff(cast, case)
    rows = fresh(case).due_time_rows(now=ny(9, 12))
    assert [(row["label"], row["status"]) for row in rows] == [
        ("Initial response", "met"),
        ("Next update", "overdue"),
    ]
    request_info(cast, case)
    rows = fresh(case).due_time_rows(now=ny(9, 12))
    assert ("Clocks", "paused") in [(row["label"], row["status"]) for row in rows]
    assert rows[0]["met_at"] == dt.datetime(2026, 4, 6, 14, tzinfo=dt.UTC)
