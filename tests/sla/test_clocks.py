"""Due times rebuilt from a case's timeline given as plain data. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.business_time import BusinessCalendar, business_time_between
from sla.clocks import (
    ClockEvent,
    ClockEventKind,
    ClockPolicy,
    DueTimes,
    compute_due_times,
    instant_when_used,
)
from sla.targets import Target

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessCalendar.from_values(
    time_zone="Europe/Berlin",
    weekly_hours={day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    holiday_country="DE",
    holiday_subdivision="BE",
)
POLICIES = {
    "P1": ClockPolicy(
        BusinessCalendar.always_open("Europe/Berlin"),
        initial_response=Target.hours(1),
        update_interval=Target.hours(4),
        resolution=Target.business_days(2),
        calendar_name="Around the clock",
    ),
    "P2": ClockPolicy(
        OFFICE,
        initial_response=Target.business_hours(4),
        update_interval=Target.business_days(1),
        resolution=Target.business_days(5),
        calendar_name="Berlin office",
    ),
    "P3": ClockPolicy(
        OFFICE,
        initial_response=Target.next_business_day(),
        update_interval=Target.business_days(2),
        calendar_name="Berlin office",
    ),
}
K = ClockEventKind


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in May 2025, Berlin time: Mon 12, Fri 16, Mon 19, Fri 23, Mon 26 …"""
    return datetime(2025, 5, day, hour, minute, tzinfo=BERLIN)


def ev(kind: ClockEventKind, when: datetime, priority: str | None = None) -> ClockEvent:
    return ClockEvent(when, kind, priority)


def due(events: list[ClockEvent], now: datetime) -> DueTimes:
    return compute_due_times(events, POLICIES, now)


def test_initial_response_is_due_four_business_hours_after_receipt() -> None:
    times = due([ev(K.RECEIVED, at(16, 16, 30), "P2")], now=at(16, 17))
    assert times.initial_response_due == at(19, 12, 30)
    assert times.initial_response_met_at is None
    assert times.next_update_due is None
    assert times.resolution_due == at(23, 16, 30)
    assert not times.paused


def test_due_times_are_utc() -> None:
    times = due([ev(K.RECEIVED, at(16, 16, 30), "P2")], now=at(16, 17))
    assert times.initial_response_due is not None
    assert times.initial_response_due.tzinfo is UTC


def test_first_public_staff_reply_meets_initial_response_and_starts_update_clock() -> None:
    events = [ev(K.RECEIVED, at(16, 16, 30), "P2"), ev(K.PUBLIC_STAFF_REPLY, at(19, 10))]
    times = due(events, now=at(19, 11))
    assert times.initial_response_met_at == at(19, 10)
    assert times.initial_response_due == at(19, 12, 30)
    assert times.next_update_due == at(20, 10)


def test_each_public_staff_reply_restarts_the_update_interval() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.PUBLIC_STAFF_REPLY, at(13, 15, 45)),
    ]
    times = due(events, now=at(13, 16))
    assert times.initial_response_met_at == at(12, 10)
    assert times.next_update_due == at(14, 15, 45)


def test_pause_hides_due_times_while_the_case_waits_on_the_customer() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.PAUSED, at(12, 10)),
    ]
    times = due(events, now=at(13, 12))
    assert times.paused
    assert (times.next_update_due, times.resolution_due) == (None, None)
    assert times.initial_response_due == at(12, 13)
    assert times.paused_total == timedelta(hours=10)  # Mon 10–17 and Tue 9–12
    assert any("Paused since Mon 2025-05-12 10:00 CEST" in line for line in times.explanation)


def test_resume_pushes_due_times_by_the_business_time_spent_paused() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PAUSED, at(12, 10)),
        ev(K.RESUMED, at(13, 10)),
    ]
    times = due(events, now=at(13, 11))
    assert times.paused_total == timedelta(hours=8)
    assert times.initial_response_due == at(13, 13)  # Mon 13:00 plus 8 business hours
    assert times.resolution_due == at(19, 17)  # Fri 16 17:00 plus 8 business hours


def test_a_reply_during_a_pause_counts_only_the_pause_before_it() -> None:
    """The initial response is met at the reply: the pause that goes on after it no longer
    moves the initial-response due time (the resolution clock still stops for all of it)."""
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PAUSED, at(12, 9, 30)),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.RESUMED, at(13, 10)),
    ]
    times = due(events, now=at(13, 11))
    assert times.initial_response_due == at(12, 13, 30)  # four hours plus the half-hour paused
    assert times.resolution_due == at(20, 9, 30)  # Fri 16 17:00 plus 8.5 business hours


def test_the_resolution_clock_stops_for_a_pause_and_a_later_held_solution_apart() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PAUSED, at(12, 10)),
        ev(K.RESUMED, at(12, 11)),
        ev(K.SOLUTION_PROPOSED, at(12, 14)),
        ev(K.SOLUTION_REJECTED, at(12, 15)),
    ]
    times = due(events, now=at(12, 16))
    assert times.resolution_due == at(19, 11)  # the two stopped hours, not the gap between


def test_a_pause_overlapping_a_held_solution_stops_the_resolution_clock_once() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PAUSED, at(12, 10)),
        ev(K.SOLUTION_PROPOSED, at(12, 11)),
        ev(K.RESUMED, at(12, 12)),
        ev(K.SOLUTION_REJECTED, at(12, 13)),
    ]
    times = due(events, now=at(12, 16))
    assert times.resolution_due == at(19, 12)  # stopped 10:00-13:00, three hours


def test_pause_outside_business_hours_pushes_nothing() -> None:
    events = [
        ev(K.RECEIVED, at(16, 16, 30), "P2"),
        ev(K.PAUSED, at(16, 18)),
        ev(K.RESUMED, at(19, 8)),
    ]
    times = due(events, now=at(19, 8, 30))
    assert times.paused_total == timedelta(0)
    assert times.initial_response_due == at(19, 12, 30)


def test_pause_after_the_target_ran_out_does_not_hide_a_breach() -> None:
    events = [ev(K.RECEIVED, at(12, 9), "P2"), ev(K.PAUSED, at(12, 14))]
    times = due(events, now=at(12, 15))
    assert times.initial_response_due == at(12, 13)


def test_solution_proposed_stops_the_update_clock_and_holds_resolution() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.SOLUTION_PROPOSED, at(13, 9)),
    ]
    times = due(events, now=at(14, 9))
    assert (times.next_update_due, times.resolution_due) == (None, None)
    assert any("No update is due: a solution was proposed" in x for x in times.explanation)


def test_rejected_solution_restarts_update_clock_and_pushes_resolution_by_the_wait() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.SOLUTION_PROPOSED, at(13, 9)),
        ev(K.SOLUTION_REJECTED, at(14, 9)),
    ]
    times = due(events, now=at(14, 10))
    assert times.next_update_due == at(14, 17)  # one business day from Wed 09:00
    assert times.resolution_due == at(19, 17)  # Fri 16 17:00 plus the 8 business hours held


def test_known_issue_link_stops_update_and_resolution_clocks() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.KNOWN_ISSUE_LINKED, at(12, 11)),
    ]
    times = due(events, now=at(20, 9))
    assert (times.next_update_due, times.resolution_due) == (None, None)
    assert times.initial_response_met_at == at(12, 10)


def test_priority_change_recomputes_initial_response_from_original_receipt() -> None:
    events = [ev(K.RECEIVED, at(12, 9), "P3"), ev(K.PRIORITY_CHANGED, at(12, 11), "P2")]
    times = due(events, now=at(12, 11, 30))
    assert times.priority == "P2"
    assert times.initial_response_due == at(12, 13)
    assert any("changed from P3 to P2" in line for line in times.explanation)


def test_priority_upgrade_can_make_the_response_due_at_once() -> None:
    events = [ev(K.RECEIVED, at(12, 9), "P3"), ev(K.PRIORITY_CHANGED, at(12, 11), "P1")]
    times = due(events, now=at(12, 11, 30))
    assert times.initial_response_due == at(12, 10)


def test_priority_change_recomputes_update_due_from_last_staff_reply() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.PRIORITY_CHANGED, at(12, 12), "P1"),
    ]
    times = due(events, now=at(12, 12))
    assert times.next_update_due == at(12, 14)  # 4 clock hours after the reply


def test_reopen_restarts_update_and_resolution_but_initial_response_stays_met() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.CLOSED, at(13, 9)),
        ev(K.REOPENED, at(19, 14)),
    ]
    times = due(events, now=at(19, 15))
    assert times.initial_response_met_at == at(12, 10)
    assert times.initial_response_due == at(12, 13)
    assert times.next_update_due == at(20, 14)
    assert times.resolution_due == at(26, 14)


def test_reopen_without_any_reply_restarts_the_initial_response_clock() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.CLOSED, at(12, 9, 30)),
        ev(K.REOPENED, at(19, 14)),
    ]
    assert due(events, now=at(19, 15)).initial_response_due == at(20, 10)


def test_closed_case_runs_no_clocks() -> None:
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PAUSED, at(12, 9, 30)),
        ev(K.CLOSED, at(12, 10)),
        ev(K.PUBLIC_STAFF_REPLY, at(12, 11)),
    ]
    times = due(events, now=at(20, 9))
    assert times == DueTimes(
        paused_total=timedelta(minutes=30),
        explanation=times.explanation,
        priority="P2",
    )
    assert times.explanation[-1] == "Case closed at Mon 2025-05-12 10:00 CEST: no clock runs."


def test_explanation_names_calendar_target_start_pauses_and_due_time() -> None:
    events = [
        ev(K.RECEIVED, at(16, 16, 30), "P2"),
        ev(K.PAUSED, at(19, 9)),
        ev(K.RESUMED, at(19, 10)),
    ]
    lines = due(events, now=at(19, 11)).explanation
    assert lines[0].startswith("Priority P2: calendar 'Berlin office', Mon–Fri 09:00–17:00")
    assert lines[1] == (
        "Paused Mon 2025-05-19 09:00 CEST – Mon 2025-05-19 10:00 CEST while waiting on "
        "the customer (1h of business time)."
    )
    assert lines[2] == (
        "Initial response: 4 business hours from the receipt at Fri 2025-05-16 16:30 CEST, "
        "plus 1h paused: due Mon 2025-05-19 13:30 CEST."
    )
    assert "Updates every 1 business day are due once the initial response" in lines[3]


def test_explanation_says_when_counting_starts_outside_business_hours() -> None:
    lines = due([ev(K.RECEIVED, at(17, 10), "P2")], now=at(17, 11)).explanation
    assert any(
        "outside business hours, so counting from Mon 2025-05-19 09:00 CEST" in line
        for line in lines
    )


def test_late_initial_response_is_explained() -> None:
    events = [ev(K.RECEIVED, at(12, 9), "P2"), ev(K.PUBLIC_STAFF_REPLY, at(12, 14, 15))]
    lines = due(events, now=at(12, 15)).explanation
    assert "Initial response given at Mon 2025-05-12 14:15 CEST, 1h 15m late." in lines


def test_events_after_now_are_ignored_and_order_of_input_does_not_matter() -> None:
    events = [
        ev(K.PUBLIC_STAFF_REPLY, at(12, 10)),
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PAUSED, at(12, 16)),
    ]
    times = due(events, now=at(12, 11))
    assert times.next_update_due == at(13, 10)
    assert not times.paused


def test_priority_without_targets_yields_no_due_times() -> None:
    times = due([ev(K.RECEIVED, at(12, 9), "P9")], now=at(12, 10))
    assert times.initial_response_due is None
    assert times.explanation == ["No SLA targets apply to priority P9."]


def test_empty_timeline_yields_no_due_times() -> None:
    assert due([], now=at(12, 10)).initial_response_due is None


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([ev(K.PUBLIC_STAFF_REPLY, at(12, 9))], "must start with RECEIVED"),
        ([ev(K.RECEIVED, at(12, 9))], "must carry the case's priority"),
        (
            [ev(K.RECEIVED, at(12, 9), "P2"), ev(K.PRIORITY_CHANGED, at(12, 10))],
            "must carry the new priority",
        ),
        (
            [ev(K.RECEIVED, at(12, 9), "P2"), ev(K.RECEIVED, at(12, 10), "P2")],
            "RECEIVED only once",
        ),
    ],
)
def test_malformed_timelines_are_refused(events: list[ClockEvent], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        due(events, now=at(12, 11))


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due([ev(K.RECEIVED, at(12, 9), "P2")], now=datetime(2025, 5, 12, 10))


@settings(max_examples=60, deadline=None)
@given(
    received=st.integers(0, 14 * 24 * 60),
    pauses=st.lists(
        st.tuples(st.integers(0, 5 * 24 * 60), st.integers(1, 3 * 24 * 60)), max_size=3
    ),
)
def test_paused_business_time_is_added_to_the_business_time_allowed(
    received: int, pauses: list[tuple[int, int]]
) -> None:
    start = datetime(2025, 5, 5, tzinfo=UTC) + timedelta(minutes=received)
    events = [ev(K.RECEIVED, start, "P2")]
    cursor = start
    for gap, length in pauses:
        cursor += timedelta(minutes=gap)
        events.append(ev(K.PAUSED, cursor))
        cursor += timedelta(minutes=length)
        events.append(ev(K.RESUMED, cursor))
    times = due(events, now=cursor + timedelta(minutes=1))
    assert times.initial_response_due is not None
    paused_before_due = sum(
        (
            business_time_between(a.at, min(b.at, times.initial_response_due), OFFICE)
            for a, b in zip(events[1::2], events[2::2], strict=True)
        ),
        timedelta(0),
    )
    allowed = business_time_between(start, times.initial_response_due, OFFICE)
    assert allowed - paused_before_due == timedelta(hours=4)


def test_each_running_clock_reports_the_business_time_it_allows() -> None:
    events = [ev(K.RECEIVED, at(16, 16, 30), "P2"), ev(K.PUBLIC_STAFF_REPLY, at(19, 10))]
    times = due(events, now=at(19, 11))
    assert times.budgets["initial_response"].allowed == timedelta(hours=4)
    assert times.budgets["next_update"].allowed == timedelta(hours=8)
    assert times.budgets["resolution"].allowed == timedelta(hours=40)
    assert times.budgets["next_update"].calendar is OFFICE


def test_clock_time_targets_are_budgeted_around_the_clock() -> None:
    times = due([ev(K.RECEIVED, at(16, 16, 30), "P1")], now=at(16, 17))
    budget = times.budgets["initial_response"]
    assert budget.allowed == timedelta(hours=1)
    assert budget.calendar.is_always_open


def test_a_paused_clock_has_no_budget_until_it_resumes() -> None:
    events = [ev(K.RECEIVED, at(12, 9), "P2"), ev(K.PAUSED, at(12, 10))]
    assert "initial_response" not in due(events, now=at(12, 11)).budgets


def test_three_quarters_of_a_target_are_used_counting_business_time_only() -> None:
    # 4 business hours from Fri 16:30 end Mon 12:30; 3 of them are used by Mon 11:30.
    times = due([ev(K.RECEIVED, at(16, 16, 30), "P2")], now=at(16, 17))
    mark = instant_when_used(
        times.initial_response_due, times.budgets["initial_response"], 0.75, at(16, 17)
    )
    assert mark == at(19, 11, 30)


def test_the_mark_does_not_depend_on_when_it_is_asked_and_is_now_once_passed() -> None:
    times = due([ev(K.RECEIVED, at(16, 16, 30), "P2")], now=at(16, 17))
    response_due, budget = times.initial_response_due, times.budgets["initial_response"]
    assert instant_when_used(response_due, budget, 0.75, at(17, 12)) == at(19, 11, 30)
    assert instant_when_used(response_due, budget, 0.75, at(19, 12)) == at(19, 12)
    with pytest.raises(ValueError, match="between 0 and 1"):
        instant_when_used(response_due, budget, 1.5, at(19, 12))


def test_the_mark_after_a_pause_counts_the_time_left_on_resumption() -> None:
    # Received Mon 9:00, paused 10:00–Tue 10:00: 1h used, 3h left from Tue 10:00, due
    # Tue 13:00; three quarters (3h) are used at Tue 12:00.
    events = [
        ev(K.RECEIVED, at(12, 9), "P2"),
        ev(K.PAUSED, at(12, 10)),
        ev(K.RESUMED, at(13, 10)),
    ]
    times = due(events, now=at(13, 10))
    assert times.initial_response_due == at(13, 13)
    mark = instant_when_used(
        times.initial_response_due, times.budgets["initial_response"], 0.75, at(13, 10)
    )
    assert mark == at(13, 12)
