"""Converting stored calendars into business calendars. No database: rows are stand-ins."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from sla.business_time import BusinessCalendar, add_business_time
from sla.calendars import to_business_calendar
from sla.models import Calendar
from sla.targets import Target

NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def row(**values: Any) -> SimpleNamespace:
    defaults: dict[str, Any] = {
        "id": 1,
        "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
        "time_zone": "Europe/Berlin",
        "always_open": False,
        "weekly_hours": NINE_TO_FIVE,
        "holiday_country": "DE",
        "holiday_subdivision": "BE",
        "custom_holidays": ["2025-12-24"],
    }
    return SimpleNamespace(**{**defaults, **values})


def test_stored_calendar_becomes_a_business_calendar() -> None:
    calendar = to_business_calendar(row())
    assert calendar.time_zone == "Europe/Berlin"
    assert calendar.weekly_hours[0] == ((time(9), time(17)),)
    assert calendar.weekly_hours[5] == ()
    assert (calendar.holiday_country, calendar.holiday_subdivision) == ("DE", "BE")
    assert calendar.custom_holidays == {date(2025, 12, 24)}
    assert calendar.is_holiday(date(2025, 3, 8))  # International Women's Day, Berlin only
    assert calendar.is_holiday(date(2025, 12, 24))
    assert not calendar.is_always_open


def test_round_the_clock_row_becomes_an_always_open_calendar() -> None:
    calendar = to_business_calendar(row(always_open=True, time_zone="UTC"))
    start = datetime(2025, 5, 17, 10, 0, tzinfo=UTC)
    assert calendar.is_always_open
    assert add_business_time(start, Target.business_hours(4), calendar) == start.replace(hour=14)


def test_split_intervals_and_midnight_closing_are_read() -> None:
    calendar = to_business_calendar(
        row(
            weekly_hours={
                "mon": [["13:00", "17:00"], ["09:00", "12:00"]],
                "sat": [["20:00", "24:00"]],
            }
        )
    )
    assert calendar.weekly_hours[0] == ((time(9), time(12)), (time(13), time(17)))
    assert calendar.describe().startswith("Mon 09:00–12:00, 13:00–17:00; Sat 20:00–24:00")


def test_blank_zone_and_holiday_region_read_as_utc_and_no_public_holidays() -> None:
    """A row whose zone or holiday region is empty or missing (None) counts in UTC with
    only its own holidays, never as a zone or country called "None"."""
    for blank in ("", None):
        calendar = to_business_calendar(
            row(time_zone=blank, holiday_country=blank, holiday_subdivision=blank)
        )
        assert calendar.time_zone == "UTC"
        assert (calendar.holiday_country, calendar.holiday_subdivision) == ("", "")
        assert not calendar.is_holiday(date(2025, 3, 8))
        assert calendar.is_holiday(date(2025, 12, 24))


def test_same_values_give_the_same_cached_instance() -> None:
    first = to_business_calendar(row())
    assert to_business_calendar(row(id=2)) is first
    assert to_business_calendar(row(custom_holidays=["2025-12-31"])) is not first


def test_edited_unsaved_row_with_same_id_and_timestamp_is_converted_afresh() -> None:
    to_business_calendar(row())
    with pytest.raises(ValueError, match="Unknown time zone"):
        to_business_calendar(row(time_zone="Mars/Olympus_Mons"))


def test_empty_json_values_are_accepted() -> None:
    calendar = to_business_calendar(
        row(
            weekly_hours=NINE_TO_FIVE,
            custom_holidays=None,
            holiday_country="",
            holiday_subdivision="",
        )
    )
    assert calendar.custom_holidays == frozenset()
    assert calendar.holiday_country == ""


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone 'Mars/Olympus_Mons'"),
        ({"time_zone": "../etc/passwd"}, "Unknown time zone"),
        ({"weekly_hours": {"mon": [["25:00", "26:00"]]}}, "'25:00' is not a time of day"),
        ({"weekly_hours": {"mon": [["9am", "5pm"]]}}, "'9am' is not a time of day"),
        ({"weekly_hours": {"mon": [["17:00", "09:00"]]}}, "opening 17:00 is not before closing"),
        ({"weekly_hours": {"mon": [["09:00", "09:00"]]}}, "is not before closing 09:00"),
        ({"weekly_hours": {"mon": [["09:00"]]}}, "is not \\[opening, closing\\]"),
        ({"weekly_hours": {"mon": "09:00-17:00"}}, "expected a list of"),
        (
            {"weekly_hours": {"tue": [["09:00", "12:00"], ["11:00", "17:00"]]}},
            "Tue: intervals 09:00–12:00 and 11:00–17:00 overlap",
        ),
        ({"weekly_hours": {"funday": [["09:00", "17:00"]]}}, "unknown day 'funday'"),
        ({"weekly_hours": [["09:00", "17:00"]]}, "must map days to intervals"),
        ({"weekly_hours": {}}, "no opening hours"),
        ({"holiday_country": "XX"}, "Unknown holiday country 'XX'"),
        ({"holiday_subdivision": "ZZ"}, "Unknown holiday subdivision 'ZZ' for DE"),
        ({"holiday_country": "", "holiday_subdivision": "BE"}, "needs a holiday country"),
        ({"custom_holidays": ["2025-13-01"]}, "'2025-13-01' is not an ISO date"),
        ({"custom_holidays": [20251224]}, "20251224 is not an ISO date"),
        ({"custom_holidays": "2025-12-24"}, "must be a list of ISO dates"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_business_calendar(row(**values))


def test_model_clean_reports_conversion_errors_as_validation_errors() -> None:
    calendar = Calendar(
        name="Broken", time_zone="Europe/Berlin", weekly_hours={"mon": [["17:00", "09:00"]]}
    )
    with pytest.raises(ValidationError, match="not before closing"):
        calendar.clean()


def test_model_defaults_convert_to_monday_to_friday_nine_to_five_utc() -> None:
    calendar = to_business_calendar(Calendar(name="Default"))
    assert calendar == BusinessCalendar.from_values(weekly_hours=NINE_TO_FIVE)
