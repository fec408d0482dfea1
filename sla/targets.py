"""SLA targets: how long a clock may run, stored on plans as compact strings.

Compact forms (case-insensitive, surrounding spaces ignored):

========  =====================================================================
``30m``   30 minutes of elapsed clock time, counted around the clock in UTC
``1h``    1 hour of elapsed clock time, whatever the calendar says
``90bm``  90 business minutes on the calendar
``4bh``   4 business hours on the calendar
``2bd``   2 business days (see below)
``nbd``   by the end of the next business day
``immediate``  at once: due at the clock's start (receipt), met only by an answer
          at that instant, such as a phone call that reached the customer
========  =====================================================================

On a 24×7 calendar business minutes and hours are wall-clock durations in UTC and a
business day is exactly 24 hours. The arithmetic lives in `sla.business_time`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

# A target longer than this is a typo, not a contract (≈ 19 years of minutes).
MAX_MINUTES = 10_000_000
MAX_BUSINESS_DAYS = 10_000


class TargetKind(StrEnum):
    CLOCK = "clock"
    BUSINESS = "business"
    BUSINESS_DAYS = "business_days"
    NEXT_BUSINESS_DAY = "next_business_day"
    IMMEDIATE = "immediate"


_PATTERN = re.compile(r"(?P<amount>\d+)\s*(?P<unit>m|h|bm|bh|bd)")


@dataclass(frozen=True)
class Target:
    """An SLA target; `amount` is minutes for CLOCK and BUSINESS, days for BUSINESS_DAYS."""

    kind: TargetKind
    amount: int = 0

    def __post_init__(self) -> None:
        if self.kind in (TargetKind.NEXT_BUSINESS_DAY, TargetKind.IMMEDIATE):
            if self.amount != 0:
                name = self.kind.value.replace("_", "-")
                raise ValueError(f"A {name} target takes no amount.")
            return
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValueError(f"A target amount must be a whole number, not {self.amount!r}.")
        limit = MAX_BUSINESS_DAYS if self.kind is TargetKind.BUSINESS_DAYS else MAX_MINUTES
        if not 0 < self.amount <= limit:
            raise ValueError(f"A target amount must be between 1 and {limit}, not {self.amount}.")

    @classmethod
    def minutes(cls, minutes: int) -> Target:
        return cls(TargetKind.CLOCK, minutes)

    @classmethod
    def hours(cls, hours: int | float) -> Target:
        return cls(TargetKind.CLOCK, _whole_minutes(hours * 60))

    @classmethod
    def business_minutes(cls, minutes: int) -> Target:
        return cls(TargetKind.BUSINESS, minutes)

    @classmethod
    def business_hours(cls, hours: int | float) -> Target:
        return cls(TargetKind.BUSINESS, _whole_minutes(hours * 60))

    @classmethod
    def business_days(cls, days: int) -> Target:
        return cls(TargetKind.BUSINESS_DAYS, days)

    @classmethod
    def next_business_day(cls) -> Target:
        return cls(TargetKind.NEXT_BUSINESS_DAY)

    @classmethod
    def immediate(cls) -> Target:
        return cls(TargetKind.IMMEDIATE)

    @classmethod
    def parse(cls, text: str) -> Target:
        """Read a compact form such as ``"4bh"``; raise ValueError naming the bad input."""
        if not isinstance(text, str):
            raise ValueError(f"An SLA target must be text such as '4bh', not {text!r}.")
        cleaned = text.strip().lower()
        if cleaned == "nbd":
            return cls.next_business_day()
        if cleaned == "immediate":
            return cls.immediate()
        match = _PATTERN.fullmatch(cleaned)
        if match is None:
            raise ValueError(
                f"{text!r} is not an SLA target; write a whole number followed by a unit: "
                "'30m' or '1h' (clock time), '90bm' or '4bh' (business time), "
                "'2bd' (business days), 'nbd' (next business day), or 'immediate'."
            )
        amount, unit = int(match["amount"]), match["unit"]
        try:
            if unit == "bd":
                return cls.business_days(amount)
            minutes = amount * 60 if unit.endswith("h") else amount
            kind = TargetKind.BUSINESS if unit.startswith("b") else TargetKind.CLOCK
            return cls(kind, minutes)
        except ValueError as error:
            raise ValueError(f"{text!r} is not a usable SLA target: {error}") from error

    @property
    def code(self) -> str:
        """The compact form stored in JSON; `Target.parse(t.code) == t`."""
        if self.kind is TargetKind.NEXT_BUSINESS_DAY:
            return "nbd"
        if self.kind is TargetKind.IMMEDIATE:
            return "immediate"
        if self.kind is TargetKind.BUSINESS_DAYS:
            return f"{self.amount}bd"
        prefix = "b" if self.kind is TargetKind.BUSINESS else ""
        if self.amount % 60 == 0:
            return f"{self.amount // 60}{prefix}h"
        return f"{self.amount}{prefix}m"

    @property
    def duration(self) -> timedelta | None:
        """The business (or clock) time the target allows, for CLOCK and BUSINESS targets."""
        if self.kind in (TargetKind.CLOCK, TargetKind.BUSINESS):
            return timedelta(minutes=self.amount)
        if self.kind is TargetKind.IMMEDIATE:
            return timedelta(0)
        return None

    @property
    def is_clock_time(self) -> bool:
        """True when the target ignores the calendar and counts elapsed time."""
        return self.kind in (TargetKind.CLOCK, TargetKind.IMMEDIATE)

    def __str__(self) -> str:
        if self.kind is TargetKind.NEXT_BUSINESS_DAY:
            return "next business day"
        if self.kind is TargetKind.IMMEDIATE:
            return "immediately"
        if self.kind is TargetKind.BUSINESS_DAYS:
            return _plural(self.amount, "business day")
        prefix = "business " if self.kind is TargetKind.BUSINESS else ""
        if self.amount % 60 == 0:
            return _plural(self.amount // 60, f"{prefix}hour")
        return _plural(self.amount, f"{prefix}minute")

    def meaning(self, calendar: str) -> str:
        """What the target promises, in words, on the named calendar: "4 business hours
        on New York business hours", "1 hour around the clock"."""
        if self.kind is TargetKind.IMMEDIATE:
            return "immediately: met only by an answer at once, such as a phone call"
        if self.kind is TargetKind.CLOCK:
            return f"{self} around the clock, whatever the calendar"
        if self.kind is TargetKind.NEXT_BUSINESS_DAY:
            return f"by the end of the next business day on {calendar}"
        return f"{self} on {calendar}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _whole_minutes(minutes: float) -> int:
    if isinstance(minutes, float):
        if not minutes.is_integer():
            raise ValueError(f"A target must be a whole number of minutes, not {minutes}.")
        return int(minutes)
    return minutes
