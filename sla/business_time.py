"""Pure business-time arithmetic: no database, no clock, no Django.

A `BusinessCalendar` is a time zone, weekly opening intervals in local wall time and
closed dates. An instant is *business time* when its local wall-clock time, in the
calendar's zone, falls inside an opening interval of its local date and that date is
not a holiday. That one rule settles the DST edge cases:

* on a spring-forward day, wall times that do not exist are never open (09:00–17:00
  stays 09:00–17:00 local; an interval wholly inside the gap contributes nothing);
* on a fall-back day, wall times that happen twice are open both times (an interval
  spanning the repeated hour is an hour longer in real time).

A 24×7 calendar (`is_always_open`) has no gaps and ignores holidays; its durations are
plain UTC arithmetic, so a DST change neither adds nor removes an hour.

How it stays fast: for each local year the calendar lazily builds a table of its
opening segments as UTC microseconds with a running total of business time. Adding
business time is then one bisect to find where the start sits, a subtraction of whole
year totals for very long targets, and one bisect to find where the target is used
up — never a walk over minutes, intervals or weeks. Tables are cached on the calendar
instance, so keep one instance per calendar (see `sla.calendars`).

Boundaries: a clock starting outside business hours starts counting at the next
opening; a target used up exactly at closing is due at that closing instant.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from sla.targets import Target, TargetKind

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Interval = tuple[time, time]
"""Opening and closing wall time; a closing of 00:00 means midnight at the end of the day."""
WeeklyHours = tuple[tuple[Interval, ...], ...]
"""Seven tuples of intervals, Monday first."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_US = timedelta(microseconds=1)
_SECOND_US = 1_000_000
_MINUTE_US = 60 * _SECOND_US
_DAY_US = 86_400 * _SECOND_US
_OFFSET_SCAN_STEP_S = 6 * 3600
# Years in a row without a single business minute before we call the calendar unusable.
_MAX_EMPTY_YEARS = 50


@dataclass(frozen=True, slots=True)
class _YearTable:
    """Opening segments of one local year as UTC microseconds, sorted, with running sums."""

    starts: list[int]
    ends: list[int]
    cum_end: list[int]  # business time from the year's first opening to each segment's end
    seg_day: list[int]  # index into the business-day lists below
    day_dates: list[date]
    day_cum_start: list[int]
    day_total: list[int]
    day_last_seg: list[int]

    @property
    def total(self) -> int:
        return self.cum_end[-1] if self.cum_end else 0

    def elapsed(self, u: int) -> int:
        """Business time in this year before instant `u`."""
        k = bisect_right(self.starts, u) - 1
        if k < 0:
            return 0
        end = self.ends[k]
        if u >= end:
            return self.cum_end[k]
        return self.cum_end[k] - (end - u)


@dataclass(frozen=True)
class BusinessCalendar:
    """A business calendar as a hashable value; build one with `from_values` or
    `always_open`. Holidays from the `holidays` package are generated lazily per year."""

    time_zone: str = "UTC"
    weekly_hours: WeeklyHours = ((),) * 7
    holiday_country: str = ""
    holiday_subdivision: str = ""
    custom_holidays: frozenset[date] = frozenset()
    is_always_open: bool = False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _bounds: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)
    _years: dict[int, _YearTable] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _zone(self.time_zone))
        object.__setattr__(self, "custom_holidays", frozenset(self.custom_holidays))
        if len(self.weekly_hours) != 7:
            raise ValueError("Weekly hours need exactly seven days, Monday first.")
        bounds = tuple(
            _day_bounds(WEEKDAY_LABELS[weekday], intervals)
            for weekday, intervals in enumerate(self.weekly_hours)
        )
        object.__setattr__(self, "_bounds", bounds)
        ordered = tuple(tuple(sorted(day, key=lambda pair: pair[0])) for day in self.weekly_hours)
        object.__setattr__(self, "weekly_hours", ordered)
        if not self.is_always_open and not any(bounds):
            raise ValueError("The calendar has no opening hours; add weekly hours or mark it 24×7.")
        if self.holiday_subdivision and not self.holiday_country:
            raise ValueError("A holiday subdivision needs a holiday country.")
        if self.holiday_country:
            _check_holiday_country(self.holiday_country, self.holiday_subdivision)

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """A 24×7 calendar; the zone only matters for "next business day" (local midnight)."""
        return cls(time_zone=time_zone, is_always_open=True)

    @classmethod
    def from_values(
        cls,
        *,
        time_zone: str = "UTC",
        weekly_hours: Mapping[str | int, Iterable[Sequence[str | time]]] | None = None,
        holiday_country: str = "",
        holiday_subdivision: str = "",
        custom_holidays: Iterable[str | date] = (),
        always_open: bool = False,
    ) -> BusinessCalendar:
        """Build from plain values such as JSON: days as "mon".."sun" (or 0..6), times as
        "HH:MM" with "24:00" (or "00:00" as a closing) for midnight, dates as ISO strings.
        Raises ValueError saying which value is wrong."""
        return cls(
            time_zone=time_zone,
            weekly_hours=_parse_weekly_hours(weekly_hours or {}),
            holiday_country=(holiday_country or "").strip().upper(),
            holiday_subdivision=(holiday_subdivision or "").strip().upper(),
            custom_holidays=frozenset(_parse_dates(custom_holidays)),
            is_always_open=bool(always_open),
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def holidays_in(self, year: int) -> frozenset[date]:
        """Closed dates of one year: the country's public holidays plus custom dates."""
        country = (
            _country_holidays(self.holiday_country, self.holiday_subdivision, year)
            if self.holiday_country
            else frozenset()
        )
        return country | {d for d in self.custom_holidays if d.year == year}

    def is_holiday(self, day: date) -> bool:
        return day in self.custom_holidays or (
            bool(self.holiday_country)
            and day in _country_holidays(self.holiday_country, self.holiday_subdivision, day.year)
        )

    def describe(self) -> str:
        """One line for people, e.g. "Mon–Fri 09:00–17:00 (Europe/Berlin); holidays: DE-BE"."""
        if self.is_always_open:
            return f"24×7 ({self.time_zone})"
        groups: list[tuple[int, int, str]] = []
        for weekday, intervals in enumerate(self.weekly_hours):
            if not intervals:
                continue
            hours = ", ".join(f"{_hhmm(a)}–{_hhmm(b, closing=True)}" for a, b in intervals)
            if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == hours:
                groups[-1] = (groups[-1][0], weekday, hours)
            else:
                groups.append((weekday, weekday, hours))
        days = "; ".join(
            f"{WEEKDAY_LABELS[a]}{'' if a == b else '–' + WEEKDAY_LABELS[b]} {hours}"
            for a, b, hours in groups
        )
        text = f"{days} ({self.time_zone})"
        closed = []
        if self.holiday_country:
            region = "-".join(filter(None, (self.holiday_country, self.holiday_subdivision)))
            closed.append(f"public holidays of {region}")
        if self.custom_holidays:
            count = len(self.custom_holidays)
            closed.append(f"{count} custom closed date{'s' if count != 1 else ''}")
        return f"{text}; closed on {' and '.join(closed)}" if closed else text

    # The methods below work on UTC microseconds and local years; see the module docstring.

    def _table(self, year: int) -> _YearTable:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = self._build_year(year)
        return table

    def _build_year(self, year: int) -> _YearTable:
        first, last = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
        pieces = _offset_pieces(
            self._zone,
            (first - _EPOCH_ORDINAL - 2) * 86_400,
            (last - _EPOCH_ORDINAL + 2) * 86_400,
        )
        closed = self.holidays_in(year)
        table = _YearTable([], [], [], [], [], [], [], [])
        cum = 0
        for ordinal in range(first, last):
            bounds = self._bounds[(ordinal - 1) % 7]  # ordinal 1 (0001-01-01) is a Monday
            if not bounds:
                continue
            day = date.fromordinal(ordinal)
            if day in closed:
                continue
            segments = _day_segments((ordinal - _EPOCH_ORDINAL) * _DAY_US, bounds, pieces)
            if not segments:
                continue
            day_index = len(table.day_dates)
            table.day_dates.append(day)
            table.day_cum_start.append(cum)
            for start, end in segments:
                cum += end - start
                table.starts.append(start)
                table.ends.append(end)
                table.cum_end.append(cum)
                table.seg_day.append(day_index)
            table.day_total.append(cum - table.day_cum_start[-1])
            table.day_last_seg.append(len(table.ends) - 1)
        return table

    def _next_table(self, year: int) -> tuple[int, _YearTable]:
        """The first year after `year` with business time."""
        for candidate in range(year + 1, year + 1 + _MAX_EMPTY_YEARS):
            table = self._table(candidate)
            if table.total:
                return candidate, table
        raise ValueError(f"The calendar has no business time for {_MAX_EMPTY_YEARS} years.")

    def _locate(self, year: int, c: int) -> int:
        """The first instant at which `c` business microseconds of `year` have elapsed;
        `c` may overshoot into later years, or be 0 (the previous year's last closing)."""
        table = self._table(year)
        empty_years = 0
        while c > table.total or c <= 0:
            if c > 0:
                c -= table.total
                year += 1
                table = self._table(year)
            else:
                year -= 1
                table = self._table(year)
                c += table.total
            empty_years = 0 if table.total else empty_years + 1
            if empty_years > _MAX_EMPTY_YEARS:
                raise ValueError(f"The calendar has no business time for {_MAX_EMPTY_YEARS} years.")
        k = bisect_left(table.cum_end, c)
        return table.ends[k] - (table.cum_end[k] - c)

    def _add(self, u: int, year: int, duration: int) -> int:
        if duration <= 0:
            return u
        return self._locate(year, self._table(year).elapsed(u) + duration)

    def _between(self, a: int, year_a: int, b: int, year_b: int) -> int:
        if b <= a:
            return 0
        if year_a == year_b:
            table = self._table(year_a)
            return table.elapsed(b) - table.elapsed(a)
        first = self._table(year_a)
        total = first.total - first.elapsed(a)
        for year in range(year_a + 1, year_b):
            total += self._table(year).total
        return total + self._table(year_b).elapsed(b)

    def _next_open(self, u: int, year: int) -> int:
        table = self._table(year)
        k = bisect_right(table.starts, u) - 1
        if k >= 0 and u < table.ends[k]:
            return u
        if k + 1 < len(table.starts):
            return table.starts[k + 1]
        return self._next_table(year)[1].starts[0]

    def _add_business_days(self, u: int, year: int, days: int) -> int:
        """Same position within the business day, `days` business days later (capped at
        that day's closing); position 0 means the previous business day's closing."""
        table = self._table(year)
        k = bisect_right(table.starts, u) - 1
        if k < 0 or u >= table.ends[k]:
            k += 1
            if k >= len(table.starts):
                year, table = self._next_table(year)
                k = 0
            u = table.starts[k]
        day = table.seg_day[k]
        position = table.cum_end[k] - (table.ends[k] - u) - table.day_cum_start[day]
        index = day + days
        while index >= len(table.day_dates):
            index -= len(table.day_dates)
            year, table = self._next_table(year)
        c = table.day_cum_start[index] + min(position, table.day_total[index])
        return self._locate(year, c)

    def _next_business_day_close(self, day: date) -> int:
        year = day.year
        table = self._table(year)
        index = bisect_right(table.day_dates, day)
        if index >= len(table.day_dates):
            year, table = self._next_table(year)
            index = 0
        return table.ends[table.day_last_seg[index]]


def add_business_time(start: datetime, target: Target, calendar: BusinessCalendar) -> datetime:
    """When `target` runs out for a clock started at `start` (aware); returns aware UTC.

    Business days: the same position within the business day N business days later
    (the same local time when days have the same hours), capped at that day's closing;
    a clock starting outside hours starts at the next opening, so 1 business day from
    Saturday on a Mon–Fri 9–17 calendar is Monday 17:00. On 24×7 a business day is 24h.

    Immediate: `start` itself, whatever the calendar says.

    Next business day: the closing of the first business day after the start's local
    date; on 24×7, local midnight at the end of the next day.
    """
    u = _to_us(start, "start")
    kind = target.kind
    if kind is TargetKind.IMMEDIATE:
        return _from_us(u)
    if kind is TargetKind.CLOCK or (kind is TargetKind.BUSINESS and calendar.is_always_open):
        return _from_us(u + target.amount * _MINUTE_US)
    local = start.astimezone(calendar.zone)
    if kind is TargetKind.BUSINESS:
        return _from_us(calendar._add(u, local.year, target.amount * _MINUTE_US))
    if kind is TargetKind.BUSINESS_DAYS:
        if calendar.is_always_open:
            return _from_us(u + target.amount * _DAY_US)
        return _from_us(calendar._add_business_days(u, local.year, target.amount))
    if calendar.is_always_open:
        midnight = datetime.combine(local.date() + timedelta(days=2), time(), calendar.zone)
        return midnight.astimezone(UTC)
    return _from_us(calendar._next_business_day_close(local.date()))


def add_business_duration(
    start: datetime, duration: timedelta, calendar: BusinessCalendar
) -> datetime:
    """The first instant at which `duration` of business time has elapsed since `start`."""
    u = _to_us(start, "start")
    if calendar.is_always_open:
        return _from_us(u + max(duration // _US, 0))
    return _from_us(calendar._add(u, start.astimezone(calendar.zone).year, duration // _US))


def business_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    """Business time elapsed from `a` to `b`; zero when `b <= a`."""
    ua, ub = _to_us(a, "a"), _to_us(b, "b")
    if ub <= ua:
        return timedelta(0)
    if calendar.is_always_open:
        return timedelta(microseconds=ub - ua)
    zone = calendar.zone
    return timedelta(
        microseconds=calendar._between(ua, a.astimezone(zone).year, ub, b.astimezone(zone).year)
    )


def next_business_instant(instant: datetime, calendar: BusinessCalendar) -> datetime:
    """`instant` itself during business hours, otherwise the next opening (UTC)."""
    u = _to_us(instant, "instant")
    if calendar.is_always_open:
        return _from_us(u)
    return _from_us(calendar._next_open(u, instant.astimezone(calendar.zone).year))


def is_open_at(instant: datetime, calendar: BusinessCalendar) -> bool:
    """True during business hours: from an opening (included) to its closing (excluded),
    on a business day; always on 24×7."""
    return next_business_instant(instant, calendar) == instant


def _to_us(value: datetime, name: str) -> int:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}.")
    return (value - _EPOCH) // _US


def _from_us(u: int) -> datetime:
    return _EPOCH + timedelta(microseconds=u)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(
            f"Unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'."
        ) from error


def _offset_pieces(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """Split [lo, hi) (UTC seconds) into (start µs, end µs, UTC offset µs) pieces of
    constant offset. zoneinfo hides its transitions, so scan and bisect to the second."""

    def offset(second: int) -> int:
        moment = _EPOCH + timedelta(seconds=second)
        return moment.astimezone(zone).utcoffset() // _US  # type: ignore[operator]

    pieces: list[tuple[int, int, int]] = []
    start, current = lo, offset(lo)
    u = lo
    while u < hi:
        ahead = min(u + _OFFSET_SCAN_STEP_S, hi)
        if offset(ahead) == current:
            u = ahead
            continue
        low, high = u, ahead  # offset(low) == current != offset(high)
        while high - low > 1:
            middle = (low + high) // 2
            if offset(middle) == current:
                low = middle
            else:
                high = middle
        pieces.append((start * _SECOND_US, high * _SECOND_US, current))
        start, current, u = high, offset(high), high
    pieces.append((start * _SECOND_US, hi * _SECOND_US, current))
    return pieces


def _day_segments(
    midnight_wall: int,
    bounds: tuple[tuple[int, int], ...],
    pieces: list[tuple[int, int, int]],
) -> list[tuple[int, int]]:
    """UTC segments whose local wall time lies in the day's intervals. `midnight_wall`
    is the day's local midnight read as if it were UTC."""
    segments: list[tuple[int, int]] = []
    for opening, closing in bounds:
        wall_start, wall_end = midnight_wall + opening, midnight_wall + closing
        for piece_start, piece_end, offset in pieces:
            low = max(wall_start, piece_start + offset)
            high = min(wall_end, piece_end + offset)
            if low < high:
                segments.append((low - offset, high - offset))
    segments.sort()
    merged: list[tuple[int, int]] = []
    for start, end in segments:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _day_bounds(label: str, intervals: Sequence[Interval]) -> tuple[tuple[int, int], ...]:
    """Validate one day's intervals and turn them into microseconds since midnight."""
    bounds = []
    for interval in intervals:
        if len(interval) != 2 or not all(isinstance(t, time) for t in interval):
            raise ValueError(f"{label}: {interval!r} is not an (opening, closing) pair of times.")
        opening, closing = interval
        if opening.tzinfo is not None or closing.tzinfo is not None:
            raise ValueError(f"{label}: opening hours are local wall times, without a zone.")
        start, end = _time_us(opening), _time_us(closing) or _DAY_US
        if start >= end:
            raise ValueError(
                f"{label}: opening {_hhmm(opening)} is not before closing "
                f"{_hhmm(closing, closing=True)}."
            )
        bounds.append((start, end))
    bounds.sort()
    for (a_start, a_end), (b_start, b_end) in pairwise(bounds):
        if b_start < a_end:
            raise ValueError(
                f"{label}: intervals {_us_hhmm(a_start)}–{_us_hhmm(a_end)} and "
                f"{_us_hhmm(b_start)}–{_us_hhmm(b_end)} overlap."
            )
    return tuple(bounds)


def _time_us(value: time) -> int:
    return (value.hour * 3600 + value.minute * 60 + value.second) * _SECOND_US + value.microsecond


def _hhmm(value: time, *, closing: bool = False) -> str:
    if closing and value == time():
        return "24:00"
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _us_hhmm(value: int) -> str:
    return (
        "24:00"
        if value == _DAY_US
        else _hhmm(time(value // 3_600_000_000, value // 60_000_000 % 60))
    )


def _parse_weekly_hours(
    raw: Mapping[str | int, Iterable[Sequence[str | time]]],
) -> WeeklyHours:
    if not isinstance(raw, Mapping):
        raise ValueError(
            'Weekly hours must map days to intervals, e.g. {"mon": [["09:00", "17:00"]]}.'
        )
    days: list[tuple[Interval, ...]] = [()] * 7
    for key, intervals in raw.items():
        weekday = _weekday(key)
        where = f"weekly hours {WEEKDAY_KEYS[weekday]!r}"
        if isinstance(intervals, str | bytes) or not isinstance(intervals, Iterable):
            raise ValueError(f"{where}: expected a list of [opening, closing] pairs.")
        parsed = []
        for position, interval in enumerate(intervals):
            if isinstance(interval, str | bytes) or not isinstance(interval, Sequence):
                raise ValueError(f"{where}[{position}]: {interval!r} is not [opening, closing].")
            if len(interval) != 2:
                raise ValueError(f"{where}[{position}]: {interval!r} is not [opening, closing].")
            opening = _parse_time(interval[0], f"{where}[{position}]", closing=False)
            closing = _parse_time(interval[1], f"{where}[{position}]", closing=True)
            parsed.append((opening, closing))
        days[weekday] = tuple(parsed)
    return tuple(days)


_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(key: str | int) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return key
    if isinstance(key, str):
        name = key.strip().lower()
        for weekday, (short, full) in enumerate(zip(WEEKDAY_KEYS, _FULL_WEEKDAYS, strict=True)):
            if name in (short, full):
                return weekday
    raise ValueError(f"Weekly hours: unknown day {key!r}; use one of {', '.join(WEEKDAY_KEYS)}.")


def _parse_time(value: str | time, where: str, *, closing: bool) -> time:
    if isinstance(value, time):
        return value
    text = value.strip() if isinstance(value, str) else None
    if closing and text == "24:00":
        return time()
    try:
        if text is None or len(text) != 5 or text[2] != ":":
            raise ValueError
        return time(int(text[:2]), int(text[3:]))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a time of day written HH:MM.") from None


def _parse_dates(values: Iterable[str | date]) -> list[date]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValueError('Custom holidays must be a list of ISO dates, e.g. ["2026-12-24"].')
    days = []
    for position, value in enumerate(values):
        if isinstance(value, datetime):
            raise ValueError(f"Custom holidays[{position}]: {value!r} is a datetime, not a date.")
        if isinstance(value, date):
            days.append(value)
            continue
        try:
            days.append(date.fromisoformat(value.strip()))
        except (ValueError, AttributeError, TypeError):
            raise ValueError(
                f"Custom holidays[{position}]: {value!r} is not an ISO date (YYYY-MM-DD)."
            ) from None
    return days


def _check_holiday_country(country: str, subdivision: str) -> None:
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(
            f"Unknown holiday country {country!r}; use an ISO 3166 code such as 'US' or 'DE'."
        )
    if subdivision and subdivision not in supported[country]:
        raise ValueError(
            f"Unknown holiday subdivision {subdivision!r} for {country}; "
            f"known: {', '.join(supported[country])}."
        )


@lru_cache(maxsize=4096)
def _country_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    return frozenset(
        holidays.country_holidays(country, subdiv=subdivision or None, years=year).keys()
    )
