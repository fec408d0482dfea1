"""The periodic tasks, run as functions while time-machine moves the clock: the
two-attempt follow-up, solution reminders and closures, SLA alerts and escalation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services, tasks
from cases.models import Case, CaseEvent, Channel, CloseReason, Comment, State
from notifications.models import Notification
from tests.cases.helpers import (
    file_case,
    fresh,
    ny,
    propose,
    reply_as_customer,
    reply_as_staff,
    request_info,
    taken,
    utc_iso,
)

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind


def events(case: Case, kind: str) -> list[CaseEvent]:
    return list(case.events.filter(kind=kind))


def awaiting_since_monday(cast, time_machine) -> Case:
    """Information requested Mon 6 April 10:00: the follow-up is due Thu 9 April 10:00."""
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    return request_info(cast, case)


# --- the two-attempt follow-up ---------------------------------------------------------


def test_request_for_information_is_attempt_one_and_schedules_the_follow_up(cast, time_machine):
    case = fresh(awaiting_since_monday(cast, time_machine))
    assert case.follow_up_due_at == ny(9, 10), "3 business days on the plan calendar"
    assert case.auto_close_at is None
    attempt = case.contact_attempts.get()
    assert (attempt.round, attempt.number, attempt.method) == (1, 1, "request_info")


def test_follow_up_waits_for_the_plans_follow_up_time(cast, time_machine):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(9, 9, 59), tick=False)
    assert tasks.send_follow_ups() == 0
    assert case.contact_attempts.count() == 1


def test_follow_up_is_attempt_two_and_names_the_closure_date(cast, time_machine):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(9, 10), tick=False)
    assert tasks.send_follow_ups() == 1

    attempt = case.contact_attempts.get(number=2)
    assert (attempt.round, attempt.method, attempt.made_by) == (1, "follow_up", None)
    # 5 business days after Thu 9 April is Thu 16 April; the case closes when it ends.
    assert attempt.closure_date == ny(17, 0)
    note = case.comments.get(author__isnull=True)
    assert note.public
    assert note.by_staff
    assert note.author_name == "SupportDesk"
    assert "If we don't hear from you by Thursday 16 April 2026, we will close" in note.body
    assert "Monday 6 April 2026" in note.body
    [event] = events(case, Kind.CONTACT_ATTEMPT)[1:]
    assert event.public
    assert event.actor is None
    assert event.comment == note
    assert event.data == {
        "notify": ["customer"],
        "round": 1,
        "number": 2,
        "method": "follow_up",
        "closure_date": utc_iso(ny(17, 0)),
        "closure_day": "2026-04-16",
    }
    case = fresh(case)
    assert case.state == State.AWAITING_INFORMATION
    assert (case.follow_up_due_at, case.auto_close_at) == (None, ny(17, 0))


def test_case_closes_for_no_response_after_the_named_date(cast, time_machine):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(9, 10), tick=False)
    tasks.send_follow_ups()

    time_machine.move_to(ny(16, 23, 59), tick=False)
    assert tasks.close_unanswered_cases() == 0
    assert fresh(case).state == State.AWAITING_INFORMATION

    time_machine.move_to(ny(17, 0), tick=False)
    assert tasks.close_unanswered_cases() == 1
    case = fresh(case)
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.NO_RESPONSE)
    assert case.auto_close_at is None
    [closed] = events(case, Kind.CLOSED)
    assert closed.actor is None
    assert closed.data == {
        "reason": "no_response",
        "automatic": True,
        "notify": ["customer", "owner"],
    }
    assert "did not hear back by Thursday 16 April 2026" in closed.comment.body
    assert closed.comment.author is None


def test_follow_up_and_closure_happen_once_however_often_the_tasks_run(cast, time_machine):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(9, 10), tick=False)
    assert [tasks.send_follow_ups(), tasks.send_follow_ups()] == [1, 0]
    time_machine.move_to(ny(20, 9), tick=False)
    assert [tasks.close_unanswered_cases(), tasks.close_unanswered_cases()] == [1, 0]
    assert tasks.send_follow_ups() == 0
    assert case.contact_attempts.count() == 2
    assert len(events(case, Kind.CLOSED)) == 1
    assert case.comments.filter(author__isnull=True).count() == 2


def test_missed_runs_catch_up_and_the_closure_date_counts_from_the_follow_up(cast, time_machine):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(13, 15), tick=False)  # the worker was down since Thursday
    assert tasks.close_unanswered_cases() == 0
    assert tasks.send_follow_ups() == 1
    # The customer still gets the full five business days from the note they receive.
    assert case.contact_attempts.get(number=2).closure_date == ny(21, 0)
    assert fresh(case).state == State.AWAITING_INFORMATION


@pytest.mark.parametrize("channel", [Channel.PORTAL, Channel.EMAIL, Channel.API])
def test_customer_reply_cancels_the_pending_follow_up(cast, time_machine, channel):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(8, 12), tick=False)
    reply_as_customer(cast, case, channel=channel)
    case = fresh(case)
    assert case.state == State.IN_PROGRESS
    assert (case.follow_up_due_at, case.auto_close_at) == (None, None)
    time_machine.move_to(ny(30, 12), tick=False)
    assert tasks.send_follow_ups() == 0
    assert tasks.close_unanswered_cases() == 0
    assert case.contact_attempts.count() == 1


def test_customer_reply_after_the_follow_up_cancels_the_closure(cast, time_machine):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(9, 10), tick=False)
    tasks.send_follow_ups()
    time_machine.move_to(ny(14, 10), tick=False)
    services.case_comment(case_id=case.id, actor=cast.partner_with_letter, body="Attached.")
    case = fresh(case)
    assert (case.state, case.auto_close_at) == (State.IN_PROGRESS, None)
    time_machine.move_to(ny(30, 12), tick=False)
    assert tasks.close_unanswered_cases() == 0
    assert fresh(case).state == State.IN_PROGRESS


def test_a_new_wait_after_a_reply_starts_a_fresh_two_attempt_round(cast, time_machine):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(9, 10), tick=False)
    tasks.send_follow_ups()
    time_machine.move_to(ny(10, 10), tick=False)
    reply_as_customer(cast, case)
    request_info(cast, case)
    time_machine.move_to(ny(15, 10), tick=False)
    assert tasks.send_follow_ups() == 1
    assert list(case.contact_attempts.values_list("round", "number", "method")) == [
        (1, 1, "request_info"),
        (1, 2, "follow_up"),
        (2, 1, "request_info"),
        (2, 2, "follow_up"),
    ]


def test_phone_attempt_is_attempt_two_and_sets_the_closure_date(cast, time_machine):
    case = awaiting_since_monday(cast, time_machine)
    time_machine.move_to(ny(8, 14), tick=False)
    attempt = services.case_log_phone_attempt(
        case_id=case.id, actor=cast.engineer, note="Voicemail left for Ann."
    )
    # Five business days after Wed 8 April is Wed 15 April.
    assert (attempt.number, attempt.method, attempt.closure_date) == (2, "phone", ny(16, 0))
    case = fresh(case)
    assert (case.follow_up_due_at, case.auto_close_at) == (None, ny(16, 0))
    note = case.comments.filter(channel=Channel.PHONE).get()
    assert note.public
    assert note.author == cast.engineer
    assert "by Wednesday 15 April 2026" in note.body
    assert "Voicemail" not in note.body, "the call note stays internal"
    event = events(case, Kind.CONTACT_ATTEMPT)[-1]
    assert event.data["closure_day"] == "2026-04-15"

    time_machine.move_to(ny(9, 10), tick=False)
    assert tasks.send_follow_ups() == 0, "the call was attempt 2; no follow-up note"
    time_machine.move_to(ny(16, 0), tick=False)
    assert tasks.close_unanswered_cases() == 1
    assert fresh(case).close_reason == CloseReason.NO_RESPONSE


# --- Solution Proposed: reminder, then closure as resolved ------------------------------


def proposed_on_monday(cast, time_machine) -> Case:
    """Proposed Mon 6 April 10:00: reminder Thu 9 April 10:00, closure Wed 15 April 10:00."""
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    return propose(cast, case)


def test_proposed_solution_gets_one_reminder_then_closes_as_resolved(cast, time_machine):
    case = fresh(proposed_on_monday(cast, time_machine))
    assert (case.solution_reminder_at, case.solution_close_at) == (ny(9, 10), ny(15, 10))

    time_machine.move_to(ny(9, 9, 59), tick=False)
    assert tasks.send_solution_reminders() == 0
    time_machine.move_to(ny(9, 10), tick=False)
    assert [tasks.send_solution_reminders(), tasks.send_solution_reminders()] == [1, 0]
    [reminder] = events(case, Kind.SOLUTION_REMINDER)
    assert reminder.public
    assert reminder.actor is None
    assert reminder.data == {"notify": ["customer"], "closes_at": utc_iso(ny(15, 10))}
    assert "Wednesday 15 April 2026, 10:00 EDT" in reminder.message

    time_machine.move_to(ny(15, 9, 59), tick=False)
    assert tasks.close_silent_solutions() == 0
    time_machine.move_to(ny(15, 10), tick=False)
    assert [tasks.close_silent_solutions(), tasks.close_silent_solutions()] == [1, 0]
    case = fresh(case)
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.RESOLVED)
    [closed] = events(case, Kind.CLOSED)
    assert closed.data["automatic"] is True
    assert closed.comment.author is None


def test_missed_runs_close_a_silent_solution_without_a_late_reminder(cast, time_machine):
    case = proposed_on_monday(cast, time_machine)
    time_machine.move_to(ny(20, 10), tick=False)
    assert tasks.send_solution_reminders() == 1
    assert events(case, Kind.SOLUTION_REMINDER) == []
    assert tasks.close_silent_solutions() == 1
    assert fresh(case).state == State.CLOSED


def test_answering_a_proposed_solution_cancels_reminder_and_closure(cast, time_machine):
    case = proposed_on_monday(cast, time_machine)
    time_machine.move_to(ny(7, 10), tick=False)
    services.case_reject_solution(case_id=case.id, actor=cast.contact_a, reason="Still fails.")
    case = fresh(case)
    assert (case.solution_reminder_at, case.solution_close_at) == (None, None)
    time_machine.move_to(ny(30, 10), tick=False)
    assert tasks.send_solution_reminders() == 0
    assert tasks.close_silent_solutions() == 0
    assert fresh(case).state == State.IN_PROGRESS


def test_customer_message_without_a_verdict_restarts_the_silence(cast, time_machine):
    case = proposed_on_monday(cast, time_machine)
    time_machine.move_to(ny(8, 10), tick=False)
    reply_as_customer(cast, case, "Testing it this week.")
    case = fresh(case)
    assert (case.solution_reminder_at, case.solution_close_at) == (ny(13, 10), ny(17, 10))
    time_machine.move_to(ny(15, 10), tick=False)
    assert tasks.close_silent_solutions() == 0
    assert fresh(case).state == State.SOLUTION_PROPOSED


# --- SLA alerts: reminders, at-risk warnings, breaches, escalation ----------------------


def test_initial_response_at_risk_then_breached_and_escalated(cast, time_machine):
    # Filed Mon 10:00, next business day: due Tue 17:00 after 15 business hours; 75% of
    # them (11h 15m) are used at Tue 13:15.
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)

    time_machine.move_to(ny(7, 13, 14), tick=False)
    tasks.send_sla_alerts()
    assert events(case, Kind.SLA_AT_RISK) == []

    time_machine.move_to(ny(7, 13, 15), tick=False)
    tasks.send_sla_alerts()
    [warning] = events(case, Kind.SLA_AT_RISK)
    assert warning.data == {
        "notify": ["owner", "triage_lead"],
        "metric": "initial_response",
        "due": utc_iso(ny(7, 17)),
    }
    assert not warning.public
    assert warning.actor is None
    assert warning.message == "Initial response at risk: due Tue 2026-04-07 17:00 EDT"

    time_machine.move_to(ny(7, 17), tick=False)
    tasks.send_sla_alerts()
    [breach] = events(case, Kind.SLA_BREACHED)
    [escalation] = events(case, Kind.ESCALATED)
    assert breach.data["notify"] == ["owner", "triage_lead"]
    assert escalation.data["notify"] == ["manager"]
    assert breach.data["metric"] == escalation.data["metric"] == "initial_response"
    case = fresh(case)
    assert case.breached_at == case.escalated_at == ny(7, 17)
    assert case.is_escalated
    assert case.next_sla_alert_at is None


def test_unowned_case_warnings_go_to_the_triage_lead(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(cast)
    time_machine.move_to(ny(7, 17), tick=False)
    tasks.send_sla_alerts()
    [breach] = events(case, Kind.SLA_BREACHED)
    assert breach.data["notify"] == ["triage_lead"]


def test_owner_is_reminded_before_an_update_falls_due(cast, time_machine):
    # Replied Mon 11:00; the next update (2 business days = 16h) is due Wed 11:00. Half
    # the interval is used Tue 11:00 (reminder), three quarters Tue 15:00 (at risk).
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    time_machine.move_to(ny(6, 11), tick=False)
    reply_as_staff(cast, case)
    assert fresh(case).next_sla_alert_at == ny(7, 11)

    time_machine.move_to(ny(7, 11), tick=False)
    tasks.send_sla_alerts()
    [reminder] = events(case, Kind.UPDATE_REMINDER)
    assert reminder.data["notify"] == ["owner"]
    assert reminder.data["metric"] == "next_update"
    assert "next update is due Wed 2026-04-08 11:00 EDT" in reminder.message

    time_machine.move_to(ny(7, 15), tick=False)
    tasks.send_sla_alerts()
    assert [e.data["metric"] for e in events(case, Kind.SLA_AT_RISK)] == ["next_update"]

    time_machine.move_to(ny(7, 16), tick=False)
    reply_as_staff(cast, case, "Update: patch in testing.")
    case = fresh(case)
    assert case.next_update_due == ny(9, 16)
    assert case.next_sla_alert_at == ny(8, 16), "a new interval, new reminders"


def test_a_missed_run_sends_the_breach_but_not_the_stale_warnings(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    time_machine.move_to(ny(8, 9), tick=False)
    tasks.send_sla_alerts()
    assert [e.kind for e in case.events.filter(actor__isnull=True)] == [
        Kind.SLA_BREACHED,
        Kind.ESCALATED,
    ]
    assert fresh(case).breached_at == ny(7, 17), "breached when it fell due"
    assert fresh(case).escalated_at == ny(8, 9), "escalated when the sweep saw it"
    # A later recompute (here an internal note) does not bring the skipped warning back.
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Note", public=False)
    assert fresh(case).sla_alerts == []
    tasks.send_sla_alerts()
    assert events(case, Kind.SLA_AT_RISK) == []


def test_sla_alerts_are_sent_once_however_often_the_task_runs(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    for moment in (ny(7, 13, 15), ny(7, 13, 15), ny(7, 17), ny(7, 17), ny(8, 17)):
        time_machine.move_to(moment, tick=False)
        tasks.send_sla_alerts()
    kinds = list(case.events.filter(actor__isnull=True).values_list("kind", flat=True))
    assert kinds == [Kind.SLA_AT_RISK, Kind.SLA_BREACHED, Kind.ESCALATED]


def test_a_recompute_does_not_reschedule_alerts_already_sent(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast)
    time_machine.move_to(ny(7, 13, 30), tick=False)
    tasks.send_sla_alerts()
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Note", public=False)
    case = fresh(case)
    assert [alert["kind"] for alert in case.sla_alerts] == ["sla_breached"]
    time_machine.move_to(ny(7, 17), tick=False)
    tasks.send_sla_alerts()
    assert len(events(case, Kind.SLA_AT_RISK)) == 1


def test_upgrade_that_is_already_late_breaches_at_the_next_run(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = taken(cast, priority="P3")
    time_machine.move_to(ny(6, 12), tick=False)
    services.case_change_priority(
        case_id=case.id, actor=cast.triage_lead, priority="P1", reason="Outage confirmed."
    )
    tasks.send_sla_alerts()
    [breach] = events(case, Kind.SLA_BREACHED)
    assert breach.data["due"] == utc_iso(ny(6, 11))


def test_paused_and_closed_cases_get_no_alerts(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    waiting = request_info(cast, taken(cast))
    closed = taken(cast)
    services.case_close(
        case_id=closed.id, actor=cast.engineer, reason=CloseReason.DUPLICATE, note="Dup."
    )
    time_machine.move_to(ny(30, 10), tick=False)
    assert tasks.send_sla_alerts() == 0
    assert not CaseEvent.objects.filter(
        case__in=[waiting, closed], kind__in=[Kind.SLA_AT_RISK, Kind.SLA_BREACHED]
    ).exists()


def test_a_comment_without_author_is_signed_by_the_system(cast):
    case = file_case(cast)
    assert Comment(case=case, body="x").author_name == "SupportDesk"
    assert Comment(case=case, body="x", author=cast.engineer).author_name != "SupportDesk"


def _queries_to_follow_up(cast, time_machine, count: int) -> int:
    """Queries of one follow-up sweep over `count` due cases (each gets its email)."""
    time_machine.move_to(ny(6, 10), tick=False)
    for _ in range(count):
        request_info(cast, taken(cast))
    time_machine.move_to(ny(9, 10), tick=False)
    sent_before = Notification.objects.filter(event="case.follow_up").count()
    with CaptureQueriesContext(connection) as queries:
        assert tasks.send_follow_ups() == count
    assert Notification.objects.filter(event="case.follow_up").count() == sent_before + count
    return len(queries)


def test_a_sweep_writes_the_emails_of_many_cases_in_a_fixed_number_of_queries(cast, time_machine):
    """Recipients (reporter access, watchers, notification lists, attempts) are read once
    per batch, not once per case: the sweep costs what its due rows cost."""
    few = _queries_to_follow_up(cast, time_machine, 2)
    many = _queries_to_follow_up(cast, time_machine, 12)
    assert many - few <= 10, "the rows' own updates at most, no query per recipient"
