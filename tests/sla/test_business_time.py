"""Business-time arithmetic: worked examples, then properties against a brute-force
minute-by-minute reference. No database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.business_time import (
    BusinessCalendar,
    add_business_duration,
    add_business_time,
    business_time_between,
    next_business_instant,
)
from sla.targets import Target

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in WEEKDAYS}


def nine_to_five(zone: str = "America/New_York", **extra: object) -> BusinessCalendar:
    return BusinessCalendar.from_values(time_zone=zone, weekly_hours=NINE_TO_FIVE, **extra)


US_OFFICE = nine_to_five(holiday_country="US")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def due(start: datetime, code: str, calendar: BusinessCalendar = US_OFFICE) -> datetime:
    return add_business_time(start, Target.parse(code), calendar)


# Worked examples, as vendors publish them


def test_friday_afternoon_case_with_four_business_hours_is_due_monday_midday() -> None:
    assert due(ny(2025, 5, 16, 16, 30), "4bh") == ny(2025, 5, 19, 12, 30)


def test_results_are_utc() -> None:
    result = due(ny(2025, 5, 16, 16, 30), "4bh")
    assert result.tzinfo is UTC
    assert result == datetime(2025, 5, 19, 16, 30, tzinfo=UTC)


def test_clock_started_on_saturday_counts_from_monday_opening() -> None:
    assert due(ny(2025, 5, 17, 10, 0), "4bh") == ny(2025, 5, 19, 13, 0)


def test_clock_started_at_closing_counts_from_next_opening() -> None:
    assert due(ny(2025, 5, 13, 17, 0), "2bh") == ny(2025, 5, 14, 11, 0)


def test_clock_started_before_opening_counts_from_opening() -> None:
    assert due(ny(2025, 5, 13, 6, 15), "30bm") == ny(2025, 5, 13, 9, 30)


def test_clock_started_on_independence_day_counts_from_next_business_day() -> None:
    assert due(ny(2025, 7, 4, 10, 0), "4bh") == ny(2025, 7, 7, 13, 0)


def test_observed_holiday_is_closed_when_july_fourth_falls_on_saturday() -> None:
    assert due(ny(2026, 7, 2, 16, 0), "2bh") == ny(2026, 7, 6, 10, 0)


def test_custom_holiday_is_closed() -> None:
    calendar = nine_to_five(custom_holidays=["2025-05-19"])
    assert due(ny(2025, 5, 16, 16, 30), "4bh", calendar) == ny(2025, 5, 20, 12, 30)


def test_target_used_up_exactly_at_closing_is_due_at_closing_not_next_opening() -> None:
    assert due(ny(2025, 5, 12, 13, 0), "4bh") == ny(2025, 5, 12, 17, 0)


def test_one_business_day_from_opening_is_due_at_that_days_closing() -> None:
    assert due(ny(2025, 5, 12, 9, 0), "1bd") == ny(2025, 5, 12, 17, 0)


def test_business_days_keep_the_local_time_of_day() -> None:
    assert due(ny(2025, 5, 13, 10, 45), "2bd") == ny(2025, 5, 15, 10, 45)
    assert due(ny(2025, 5, 16, 16, 30), "1bd") == ny(2025, 5, 19, 16, 30)


def test_business_days_from_saturday_end_at_closing() -> None:
    assert due(ny(2025, 5, 17, 11, 0), "1bd") == ny(2025, 5, 19, 17, 0)
    assert due(ny(2025, 5, 17, 11, 0), "2bd") == ny(2025, 5, 20, 17, 0)


def test_business_day_on_a_short_day_is_capped_at_its_closing() -> None:
    calendar = BusinessCalendar.from_values(
        weekly_hours={**NINE_TO_FIVE, "fri": [["09:00", "13:00"]]}, time_zone="UTC"
    )
    start = datetime(2025, 5, 15, 15, 0, tzinfo=UTC)
    assert due(start, "1bd", calendar) == datetime(2025, 5, 16, 13, 0, tzinfo=UTC)


def test_next_business_day_from_friday_evening_is_monday_closing() -> None:
    assert due(ny(2025, 5, 16, 19, 0), "nbd") == ny(2025, 5, 19, 17, 0)


def test_next_business_day_from_wednesday_morning_is_thursday_closing() -> None:
    assert due(ny(2025, 5, 14, 8, 0), "nbd") == ny(2025, 5, 15, 17, 0)


def test_next_business_day_skips_a_holiday() -> None:
    assert due(ny(2025, 7, 3, 12, 0), "nbd") == ny(2025, 7, 7, 17, 0)


def test_thirty_business_days_span_christmas_and_new_year() -> None:
    start = ny(2025, 12, 1, 10, 0)
    # December 2–31 holds 21 business days once Christmas Day is out, 2 January is the
    # 22nd, 5–9 January bring 27, and 14 January is the 30th.
    assert due(start, "30bd") == ny(2026, 1, 14, 10, 0)
    with_eves = nine_to_five(holiday_country="US", custom_holidays=["2025-12-24", "2025-12-26"])
    assert due(start, "30bd", with_eves) == ny(2026, 1, 16, 10, 0)
    assert due(start, "240bh", with_eves) == due(start, "30bd", with_eves)


def test_split_intervals_skip_the_lunch_break() -> None:
    calendar = BusinessCalendar.from_values(
        time_zone="Europe/Berlin",
        weekly_hours={day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in WEEKDAYS},
    )
    assert due(berlin(2025, 5, 12, 11, 0), "2bh", calendar) == berlin(2025, 5, 12, 14, 0)
    assert due(berlin(2025, 5, 12, 11, 30), "30bm", calendar) == berlin(2025, 5, 12, 12, 0)
    assert due(berlin(2025, 5, 12, 12, 30), "1bh", calendar) == berlin(2025, 5, 12, 14, 0)
    assert due(berlin(2025, 5, 12, 14, 0), "1bd", calendar) == berlin(2025, 5, 13, 14, 0)
    assert business_time_between(
        berlin(2025, 5, 12, 8, 0), berlin(2025, 5, 12, 18, 0), calendar
    ) == timedelta(hours=7)


def test_business_calendar_keeps_local_hours_across_berlin_spring_forward() -> None:
    calendar = nine_to_five("Europe/Berlin")
    # Friday 16:00 CET is 15:00 UTC; Monday 10:00 CEST is 08:00 UTC.
    assert due(berlin(2025, 3, 28, 16, 0), "2bh", calendar) == berlin(2025, 3, 31, 10, 0)
    assert due(berlin(2025, 3, 28, 16, 0), "2bh", calendar) == datetime(
        2025, 3, 31, 8, 0, tzinfo=UTC
    )


def test_business_calendar_keeps_local_hours_across_new_york_fall_back() -> None:
    assert due(ny(2025, 10, 31, 15, 0), "4bh") == ny(2025, 11, 3, 11, 0)
    assert due(ny(2025, 10, 31, 15, 0), "1bd") == ny(2025, 11, 3, 15, 0)


def test_round_the_clock_local_days_last_23_and_25_hours_on_dst_days() -> None:
    calendar = BusinessCalendar.from_values(
        time_zone="Europe/Berlin",
        weekly_hours={day: [["00:00", "24:00"]] for day in (*WEEKDAYS, "sat", "sun")},
    )
    spring = business_time_between(berlin(2025, 3, 30), berlin(2025, 3, 31), calendar)
    autumn = business_time_between(berlin(2025, 10, 26), berlin(2025, 10, 27), calendar)
    assert (spring, autumn) == (timedelta(hours=23), timedelta(hours=25))


def test_interval_in_the_dst_gap_counts_only_wall_times_that_exist() -> None:
    calendar = BusinessCalendar.from_values(
        time_zone="America/New_York", weekly_hours={"sun": [["01:00", "04:00"]]}
    )
    # 2025-03-09: 02:00–03:00 does not exist; 2025-11-02: 01:00–02:00 happens twice.
    spring = business_time_between(ny(2025, 3, 9), ny(2025, 3, 10), calendar)
    autumn = business_time_between(ny(2025, 11, 2), ny(2025, 11, 3), calendar)
    assert (spring, autumn) == (timedelta(hours=2), timedelta(hours=4))


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize(
    "local_start",
    [datetime(2025, 3, 30, 1, 30), datetime(2025, 3, 9, 1, 30), datetime(2025, 10, 26, 1, 30)],
)
def test_round_the_clock_hour_across_dst_change_is_one_utc_hour(
    zone: str, local_start: datetime
) -> None:
    start = local_start.replace(tzinfo=ZoneInfo(zone))
    for target in (Target.hours(1), Target.business_hours(1)):
        assert due(start, target.code, BusinessCalendar.always_open(zone)) - start == timedelta(
            hours=1
        )
    assert due(start, "1h", US_OFFICE) - start == timedelta(hours=1)


def test_round_the_clock_business_day_is_24_hours_even_across_dst() -> None:
    calendar = BusinessCalendar.always_open("Europe/Berlin")
    start = berlin(2025, 3, 29, 12, 0)
    assert due(start, "1bd", calendar) - start == timedelta(hours=24)
    assert due(start, "1bd", calendar) == berlin(2025, 3, 30, 13, 0)
    assert business_time_between(start, berlin(2025, 3, 30, 12, 0), calendar) == timedelta(hours=23)


def test_round_the_clock_next_business_day_ends_at_local_midnight() -> None:
    calendar = BusinessCalendar.always_open("America/New_York")
    assert due(ny(2025, 5, 16, 19, 0), "nbd", calendar) == ny(2025, 5, 18, 0, 0)


def test_clock_targets_ignore_the_business_calendar() -> None:
    assert due(ny(2025, 5, 16, 16, 30), "1h") == ny(2025, 5, 16, 17, 30)
    assert due(ny(2025, 5, 17, 10, 0), "30m") == ny(2025, 5, 17, 10, 30)


def test_very_long_targets_are_consistent() -> None:
    """How fast they are is measured in bench/bench_business_time.py, not here: a
    wall-clock limit fails on a loaded machine."""
    start = ny(2025, 12, 1, 13, 0)
    far = due(start, "10000bd")
    assert far.year in (2065, 2066)
    assert business_time_between(start, far, US_OFFICE) == timedelta(hours=8 * 10000)


def test_business_time_between_is_zero_when_end_is_not_after_start() -> None:
    a = ny(2025, 5, 12, 10, 0)
    assert business_time_between(a, a, US_OFFICE) == timedelta(0)
    assert business_time_between(a, a - timedelta(hours=3), US_OFFICE) == timedelta(0)


def test_business_time_between_spans_years() -> None:
    a, b = ny(2024, 12, 31, 16, 0), ny(2026, 1, 2, 10, 0)
    year_2025 = business_time_between(ny(2025, 1, 1), ny(2026, 1, 1), US_OFFICE)
    assert year_2025 == timedelta(hours=8 * (261 - 11))
    assert business_time_between(a, b, US_OFFICE) == year_2025 + timedelta(hours=2)


def test_next_business_instant() -> None:
    assert next_business_instant(ny(2025, 5, 17, 10, 0), US_OFFICE) == ny(2025, 5, 19, 9, 0)
    assert next_business_instant(ny(2025, 5, 19, 10, 0), US_OFFICE) == ny(2025, 5, 19, 10, 0)
    assert next_business_instant(ny(2025, 5, 19, 16, 59), US_OFFICE) == ny(2025, 5, 19, 16, 59)
    assert next_business_instant(ny(2025, 5, 19, 17, 0), US_OFFICE) == ny(2025, 5, 20, 9, 0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(datetime(2025, 5, 12, 9, 0), Target.business_hours(1), US_OFFICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_between(ny(2025, 5, 12), datetime(2025, 5, 13), US_OFFICE)


def test_describe_names_hours_zone_and_holidays() -> None:
    calendar = BusinessCalendar.from_values(
        time_zone="Europe/Berlin",
        weekly_hours={**NINE_TO_FIVE, "sat": [["10:00", "14:00"]]},
        holiday_country="de",
        holiday_subdivision="be",
        custom_holidays=["2025-12-24"],
    )
    assert calendar.describe() == (
        "Mon–Fri 09:00–17:00; Sat 10:00–14:00 (Europe/Berlin); "
        "closed on public holidays of DE-BE and 1 custom closed date"
    )
    assert BusinessCalendar.always_open().describe() == "24×7 (UTC)"


def test_calendars_with_equal_values_are_equal_and_hashable() -> None:
    assert nine_to_five(holiday_country="US") == US_OFFICE
    assert hash(nine_to_five(holiday_country="US")) == hash(US_OFFICE)


# Target parsing and wording


@pytest.mark.parametrize(
    ("code", "wording"),
    [
        ("30m", "30 minutes"),
        ("1h", "1 hour"),
        ("90bm", "90 business minutes"),
        ("4bh", "4 business hours"),
        ("1bd", "1 business day"),
        ("2bd", "2 business days"),
        ("nbd", "next business day"),
        ("immediate", "immediately"),
    ],
)
def test_target_codes_round_trip_and_read_as_words(code: str, wording: str) -> None:
    target = Target.parse(code)
    assert (target.code, str(target)) == (code, wording)


def test_target_parse_tolerates_case_and_spaces() -> None:
    assert Target.parse(" 4BH ") == Target.business_hours(4)
    assert Target.parse("120bm") == Target.business_hours(2)
    assert Target.parse("NBD") == Target.next_business_day()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not an SLA target"),
        ("4", "not an SLA target"),
        ("4x", "not an SLA target"),
        ("bh", "not an SLA target"),
        ("-1h", "not an SLA target"),
        ("1.5bh", "not an SLA target"),
        ("4 business hours", "not an SLA target"),
        ("0h", "between 1 and"),
        ("0bd", "between 1 and"),
        ("99999999bh", "between 1 and"),
    ],
)
def test_target_parse_rejects_bad_text_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Target.parse(text)


def test_target_parse_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="must be text"):
        Target.parse(4)  # type: ignore[arg-type]


def test_targets_refuse_fractional_minutes() -> None:
    with pytest.raises(ValueError, match="whole number of minutes"):
        Target.hours(1 / 7)


def test_targets_refuse_a_yes_or_no_as_an_amount() -> None:
    """`True` is an int to Python; a target of "True minutes" is a form bug, not one minute."""
    with pytest.raises(ValueError, match="whole number"):
        Target.minutes(True)


def test_only_clock_targets_count_elapsed_time() -> None:
    assert Target.hours(4).is_clock_time
    assert not Target.business_hours(4).is_clock_time
    assert not Target.business_days(2).is_clock_time
    assert not Target.next_business_day().is_clock_time


# Properties against a brute-force reference

MINUTE = timedelta(minutes=1)
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Asia/Kolkata",
]
# Around DST changes (EU and US, both directions), Christmas, and Independence Day.
ANCHORS = [
    datetime(2024, 3, 10, 12, tzinfo=UTC),
    datetime(2024, 3, 31, 12, tzinfo=UTC),
    datetime(2024, 10, 27, 12, tzinfo=UTC),
    datetime(2024, 11, 3, 12, tzinfo=UTC),
    datetime(2024, 12, 25, 12, tzinfo=UTC),
    datetime(2025, 4, 6, 12, tzinfo=UTC),
    datetime(2025, 7, 4, 12, tzinfo=UTC),
    datetime(2025, 12, 31, 12, tzinfo=UTC),
]


@dataclass(frozen=True)
class Spec:
    """A calendar as plain minutes, read by the reference without the code under test."""

    zone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]  # minutes since local midnight
    custom: frozenset[date]
    country: str

    @cached_property
    def calendar(self) -> BusinessCalendar:
        def clock(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        return BusinessCalendar.from_values(
            time_zone=self.zone,
            weekly_hours={
                weekday: [[clock(a), clock(b)] for a, b in intervals]
                for weekday, intervals in enumerate(self.hours)
            },
            holiday_country=self.country,
            custom_holidays=sorted(self.custom),
        )

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @cached_property
    def country_days(self) -> frozenset[date]:
        if not self.country:
            return frozenset()
        return frozenset(holidays.country_holidays(self.country, years=range(2023, 2028)))

    def local_date(self, u: datetime) -> date:
        return u.astimezone(self.tz).date()

    def is_open(self, u: datetime) -> bool:
        local = u.astimezone(self.tz)
        day = local.date()
        if day in self.custom or day in self.country_days:
            return False
        minute = local.hour * 60 + local.minute
        return any(a <= minute < b for a, b in self.hours[day.weekday()])

    def add(self, start: datetime, minutes: int) -> datetime:
        u, counted = start, 0
        while True:
            counted += self.is_open(u)
            u += MINUTE
            if counted == minutes:
                return u

    def between(self, a: datetime, b: datetime) -> timedelta:
        count, u = 0, a
        while u < b:
            count += self.is_open(u)
            u += MINUTE
        return count * MINUTE

    def add_business_days(self, start: datetime, days: int) -> datetime:
        u = start
        while not self.is_open(u):
            u += MINUTE
        first_day = self.local_date(u)
        position, v = 0, u - MINUTE
        while self.local_date(v) == first_day:
            position += self.is_open(v)
            v -= MINUTE
        counts: dict[date, int] = {}
        business_days: list[date] = []
        v = u
        while True:
            day = self.local_date(v)
            if len(business_days) == days + 1 and day != business_days[-1]:
                break
            if self.is_open(v):
                if day not in counts:
                    business_days.append(day)
                counts[day] = counts.get(day, 0) + 1
            v += MINUTE
        minutes = sum(counts[day] for day in business_days[:-1])
        return self.add(start, minutes + min(position, counts[business_days[-1]]))

    def next_business_day_close(self, start: datetime) -> datetime:
        start_day, u, found, last_open = self.local_date(start), start, None, None
        while True:
            day = self.local_date(u)
            if found is not None and day != found:
                return last_open + MINUTE
            if day > start_day and self.is_open(u):
                found, last_open = day, u
            u += MINUTE


@st.composite
def specs(draw: st.DrawFn, min_weekly_minutes: int = 60) -> Spec:
    zone = draw(st.sampled_from(ZONES))
    days = []
    for _ in range(7):
        if not draw(st.booleans()):
            days.append(())
            continue
        points = sorted(
            draw(st.sets(st.integers(0, 96), min_size=2, max_size=4).filter(lambda s: len(s) != 3))
        )
        days.append(tuple((points[i] * 15, points[i + 1] * 15) for i in range(0, len(points), 2)))
    weekly = sum(b - a for intervals in days for a, b in intervals)
    if weekly < min_weekly_minutes:
        days[0] = ((9 * 60, 17 * 60),)
    custom = draw(
        st.frozensets(
            st.sampled_from(ANCHORS).flatmap(
                lambda anchor: st.integers(-5, 12).map(lambda d: anchor.date() + timedelta(d))
            ),
            max_size=4,
        )
    )
    return Spec(zone, tuple(days), custom, draw(st.sampled_from(["", "", "US", "DE"])))


def starts() -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda anchor, minutes: anchor + timedelta(minutes=minutes),
        st.sampled_from(ANCHORS),
        st.integers(-6 * 1440, 6 * 1440),
    )


def weekly_minutes(spec: Spec) -> int:
    return sum(b - a for intervals in spec.hours for a, b in intervals)


brute_force = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@brute_force
@given(spec=specs(), start=starts(), fraction=st.floats(0.001, 1.5))
def test_add_business_time_matches_minute_by_minute_reference(
    spec: Spec, start: datetime, fraction: float
) -> None:
    minutes = max(1, int(weekly_minutes(spec) * fraction))
    target = Target.business_minutes(minutes)
    assert add_business_time(start, target, spec.calendar) == spec.add(start, minutes)


@brute_force
@given(spec=specs(), a=starts(), length=st.integers(0, 9 * 1440))
def test_business_time_between_matches_minute_by_minute_reference(
    spec: Spec, a: datetime, length: int
) -> None:
    b = a + timedelta(minutes=length)
    assert business_time_between(a, b, spec.calendar) == spec.between(a, b)


@brute_force
@given(spec=specs(), start=starts(), days=st.integers(1, 3))
def test_business_days_match_reference(spec: Spec, start: datetime, days: int) -> None:
    expected = spec.add_business_days(start, days)
    assert add_business_time(start, Target.business_days(days), spec.calendar) == expected


@brute_force
@given(spec=specs(), start=starts())
def test_next_business_day_matches_reference(spec: Spec, start: datetime) -> None:
    expected = spec.next_business_day_close(start)
    assert add_business_time(start, Target.next_business_day(), spec.calendar) == expected


@settings(max_examples=150, deadline=None)
@given(
    spec=specs(),
    start=starts(),
    minutes=st.integers(1, 30 * 8 * 60),
    seconds=st.integers(0, 59),
)
def test_business_time_between_inverts_add_business_time(
    spec: Spec, start: datetime, minutes: int, seconds: int
) -> None:
    start += timedelta(seconds=seconds, microseconds=seconds * 7)
    target = Target.business_minutes(minutes)
    end = add_business_time(start, target, spec.calendar)
    assert end > start
    assert business_time_between(start, end, spec.calendar) == target.duration
    assert add_business_duration(start, timedelta(minutes=minutes), spec.calendar) == end


@settings(max_examples=100, deadline=None)
@given(spec=specs(), start=starts(), days=st.integers(1, 30))
def test_due_times_land_inside_business_hours_or_at_closing(
    spec: Spec, start: datetime, days: int
) -> None:
    for target in (Target.business_days(days), Target.next_business_day()):
        end = add_business_time(start, target, spec.calendar)
        assert end > start
        assert spec.is_open(end - MINUTE)


@settings(max_examples=100, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=starts(),
    minutes=st.integers(1, 60 * 24 * 60),
)
def test_round_the_clock_durations_are_utc_durations(
    zone: str, start: datetime, minutes: int
) -> None:
    calendar = BusinessCalendar.always_open(zone)
    local_start = start.astimezone(ZoneInfo(zone))
    end = add_business_time(local_start, Target.business_minutes(minutes), calendar)
    assert end - start == timedelta(minutes=minutes)
    assert business_time_between(local_start, end, calendar) == timedelta(minutes=minutes)


@settings(max_examples=100, deadline=None)
@given(
    text=st.one_of(
        st.just("nbd"),
        st.builds(
            lambda n, unit: f"{n}{unit}",
            st.integers(1, 100_000),
            st.sampled_from(["m", "h", "bm", "bh", "bd"]),
        ).filter(lambda t: not t.endswith("bd") or int(t[:-2]) <= 10_000),
    )
)
def test_target_parse_and_code_round_trip(text: str) -> None:
    target = Target.parse(text)
    assert Target.parse(target.code) == target
    assert Target.parse(str(target.code).upper()) == target


def test_time_type_intervals_are_accepted_with_midnight_closing() -> None:
    calendar = BusinessCalendar.from_values(weekly_hours={0: [(time(20), time(0))]})
    monday_evening = datetime(2025, 5, 12, 21, 0, tzinfo=UTC)
    assert due(monday_evening, "3bh", calendar) == datetime(2025, 5, 13, 0, 0, tzinfo=UTC)
    assert due(monday_evening, "4bh", calendar) == datetime(2025, 5, 19, 21, 0, tzinfo=UTC)
