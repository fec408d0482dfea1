"""Due-time computations per second, single process.

Run: .venv/bin/python bench/bench_business_time.py [--count N] [--repeats R]

Random starts over 2025–2027 (any minute, so many fall outside hours), targets up to
30 business days, a Mon–Fri 09:00–17:00 America/New_York calendar with US holidays, a
24×7 calendar, and next-business-day. Year tables are warmed first: the figures are the
steady state of a long-running worker. Prints the median of the repeats.

Last, the very long target tests/sla/test_business_time.py checks for consistency only
(10,000 business days, about 40 years, from 1 Dec 2025): its time with cold year tables,
as a fresh calendar computes it, and warm. The suite used to assert it under 2 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Run as a plain script from anywhere: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sla.business_time import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
)
from sla.targets import Target

OFFICE = BusinessCalendar.from_values(
    time_zone="America/New_York",
    weekly_hours={day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    holiday_country="US",
)
AROUND_THE_CLOCK = BusinessCalendar.always_open("America/New_York")


def random_starts(rng: random.Random, count: int) -> list[datetime]:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    return [base + timedelta(minutes=rng.randrange(3 * 365 * 1440)) for _ in range(count)]


def random_targets(rng: random.Random, count: int) -> list[Target]:
    """Half business hours (1 to 240, i.e. up to 30 days of 8 hours), half business days."""
    return [
        Target.business_minutes(rng.randint(1, 240) * 60 - rng.choice((0, 30)))
        if rng.random() < 0.5
        else Target.business_days(rng.randint(1, 30))
        for _ in range(count)
    ]


def rate(work: Callable[[], int], repeats: int) -> float:
    """Median operations per second over `repeats` runs of `work` (which returns its count)."""
    rates = []
    for _ in range(repeats):
        began = time.perf_counter()
        done = work()
        rates.append(done / (time.perf_counter() - began))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000, help="computations per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()

    rng = random.Random(20250101)
    starts = random_starts(rng, options.count)
    targets = random_targets(rng, options.count)
    next_day = Target.next_business_day()
    pairs = list(zip(starts, targets, strict=True))

    def office() -> int:
        for start, target in pairs:
            add_business_time(start, target, OFFICE)
        return len(pairs)

    def around_the_clock() -> int:
        for start, target in pairs:
            add_business_time(start, target, AROUND_THE_CLOCK)
        return len(pairs)

    def next_business_day() -> int:
        for start in starts:
            add_business_time(start, next_day, OFFICE)
        return len(starts)

    ends = [start + timedelta(days=rng.randint(0, 60)) for start in starts]

    def between() -> int:
        for start, end in zip(starts, ends, strict=True):
            business_time_between(start, end, OFFICE)
        return len(starts)

    office()  # warm the per-year tables, as a running worker would have them
    cases = [
        ("Mon–Fri 9–17 New York, US holidays, targets ≤ 30 business days", office),
        ("24×7, same targets", around_the_clock),
        ("next business day, Mon–Fri 9–17 New York, US holidays", next_business_day),
        ("business_time_between, spans ≤ 60 days, same calendar", between),
    ]
    print(
        f"Due-time computations per second ({options.count} per run, median of {options.repeats})"
    )
    for label, work in cases:
        print(f"  {rate(work, options.repeats):>12,.0f} /s   {label}")
    very_long()


def very_long(repeats: int = 5) -> None:
    """One 10,000-business-day target, cold (a fresh calendar builds ~40 year tables)
    and warm; median seconds of `repeats`."""
    start = datetime(2025, 12, 1, 18, 0, tzinfo=UTC)  # 13:00 in New York
    target = Target.business_days(10_000)

    def timed(calendar: BusinessCalendar) -> float:
        began = time.perf_counter()
        add_business_time(start, target, calendar)
        return time.perf_counter() - began

    cold = [timed(fresh_office()) for _ in range(repeats)]
    warm_calendar = fresh_office()
    timed(warm_calendar)
    warm = [timed(warm_calendar) for _ in range(repeats)]
    print("10,000 business days from 1 Dec 2025 (was a 2 s assertion in the suite)")
    print(f"  {statistics.median(cold) * 1000:>12,.3f} ms  cold year tables")
    print(f"  {statistics.median(warm) * 1000:>12,.3f} ms  warm year tables")


def fresh_office() -> BusinessCalendar:
    return BusinessCalendar.from_values(
        time_zone="America/New_York",
        weekly_hours={day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        holiday_country="US",
    )


if __name__ == "__main__":
    main()
