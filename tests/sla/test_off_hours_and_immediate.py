"""Off-hours initial-response targets and the "immediate" target, on plain data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sla.business_time import BusinessCalendar, add_business_time, is_open_at
from sla.clocks import ClockEvent, ClockEventKind, ClockPolicy, DueTimes, compute_due_times
from sla.targets import Target, TargetKind

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessCalendar.from_values(
    time_zone="Europe/Berlin",
    weekly_hours={day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    holiday_country="DE",
    holiday_subdivision="BE",
)
POLICIES = {
    # In hours: 1 business hour; received outside them: 4 hours of clock time.
    "P1": ClockPolicy(
        OFFICE,
        initial_response=Target.business_hours(1),
        off_hours_initial_response=Target.hours(4),
        update_interval=Target.business_hours(2),
    ),
    "P2": ClockPolicy(OFFICE, initial_response=Target.business_hours(4)),
    "PH": ClockPolicy(
        OFFICE, initial_response=Target.immediate(), update_interval=Target.business_hours(2)
    ),
}
K = ClockEventKind


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """May 2025, Berlin: Fri 16, Sat 17, Mon 19, Wed 28, Thu 29 (Ascension Day) …"""
    return datetime(2025, 5, day, hour, minute, tzinfo=BERLIN)


def due(events: list[ClockEvent], now: datetime) -> DueTimes:
    return compute_due_times(events, POLICIES, now)


def received(when: datetime, priority: str = "P1") -> ClockEvent:
    return ClockEvent(when, K.RECEIVED, priority)


def test_case_received_in_business_hours_gets_the_in_hours_target() -> None:
    times = due([received(at(16, 10))], now=at(16, 10))
    assert times.initial_response_due == at(16, 11)
    assert not any("outside business hours" in line for line in times.explanation)


def test_case_received_on_a_weekend_gets_the_off_hours_target_and_says_so() -> None:
    times = due([received(at(17, 3))], now=at(17, 3))
    assert times.initial_response_due == at(17, 7)
    assert (
        "Received outside business hours (Sat 2025-05-17 03:00 CEST): the off-hours target "
        "of 4 hours applies." in times.explanation
    )


def test_case_received_at_the_closing_instant_is_off_hours() -> None:
    times = due([received(at(16, 17))], now=at(16, 17))
    assert times.initial_response_due == at(16, 21)


def test_case_received_a_minute_before_closing_is_in_hours() -> None:
    times = due([received(at(16, 16, 59))], now=at(16, 16, 59))
    # One business hour: 1 minute on Friday, 59 on Monday from the opening.
    assert times.initial_response_due == at(19, 9, 59)


def test_case_received_at_the_opening_instant_is_in_hours() -> None:
    times = due([received(at(19, 9))], now=at(19, 9))
    assert times.initial_response_due == at(19, 10)


def test_case_received_on_a_public_holiday_gets_the_off_hours_target() -> None:
    """Ascension Day, Thursday 29 May 2025, is a holiday in Berlin: 11:00 is off-hours."""
    times = due([received(at(29, 11))], now=at(29, 11))
    assert times.initial_response_due == at(29, 15)


def test_priority_without_off_hours_target_keeps_its_target_outside_hours() -> None:
    times = due([received(at(17, 3), "P2")], now=at(17, 3))
    assert times.initial_response_due == at(19, 13)


def test_off_hours_target_governs_after_an_upgrade_from_a_case_received_off_hours() -> None:
    events = [received(at(17, 3), "P2"), ClockEvent(at(17, 4), K.PRIORITY_CHANGED, "P1")]
    assert due(events, now=at(17, 5)).initial_response_due == at(17, 7)


def test_is_open_at_includes_the_opening_and_excludes_the_closing() -> None:
    assert is_open_at(at(16, 9), OFFICE)
    assert is_open_at(at(16, 16, 59), OFFICE)
    assert not is_open_at(at(16, 17), OFFICE)
    assert not is_open_at(at(17, 12), OFFICE)
    assert not is_open_at(at(29, 12), OFFICE)
    assert is_open_at(at(17, 3), BusinessCalendar.always_open())


def test_immediate_target_parses_and_has_its_own_kind() -> None:
    target = Target.parse(" Immediate ")
    assert target == Target.immediate()
    assert target.kind is TargetKind.IMMEDIATE
    assert (target.code, str(target)) == ("immediate", "immediately")
    with pytest.raises(ValueError, match="takes no amount"):
        Target(TargetKind.IMMEDIATE, 5)


@pytest.mark.parametrize("start", [at(16, 10), at(17, 3), at(29, 12)])
def test_immediate_target_is_due_at_the_start_whatever_the_calendar(start: datetime) -> None:
    assert add_business_time(start, Target.immediate(), OFFICE) == start


def test_immediate_initial_response_is_due_at_receipt() -> None:
    times = due([received(at(17, 3), "PH")], now=at(17, 3))
    assert times.initial_response_due == at(17, 3)
    assert (
        "Initial response: immediately from the receipt at Sat 2025-05-17 03:00 CEST"
        in (times.explanation[1])
    )


def test_immediate_target_is_met_by_an_answer_at_receipt() -> None:
    events = [received(at(16, 10), "PH"), ClockEvent(at(16, 10), K.PUBLIC_STAFF_REPLY)]
    times = due(events, now=at(16, 12))
    assert times.initial_response_met_at == at(16, 10)
    assert "Initial response given at Fri 2025-05-16 10:00 CEST, on time." in times.explanation
    assert times.next_update_due == at(16, 12)


def test_immediate_target_answered_later_is_late_by_the_wait() -> None:
    events = [received(at(16, 10), "PH"), ClockEvent(at(16, 10, 5), K.PUBLIC_STAFF_REPLY)]
    times = due(events, now=at(16, 11))
    assert "Initial response given at Fri 2025-05-16 10:05 CEST, 5m late." in times.explanation


def test_update_interval_note_is_explained() -> None:
    policy = ClockPolicy(
        OFFICE,
        update_interval=Target.hours(1),
        update_interval_note="Agreed with the customer: an update every 1 hour.",
    )
    events = [received(at(16, 10), "X"), ClockEvent(at(16, 10), K.PUBLIC_STAFF_REPLY)]
    times = compute_due_times(events, {"X": policy}, now=at(16, 10))
    assert times.next_update_due == at(16, 11)
    assert "Agreed with the customer: an update every 1 hour." in times.explanation
