"""Turn a stored calendar into the pure `BusinessCalendar` the business-time math uses."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sla.business_time import BusinessCalendar


def to_business_calendar(calendar: Any) -> BusinessCalendar:
    """Convert anything shaped like `sla.models.Calendar` (read by attribute, no queries).

    Raises ValueError with a message fit for a form: unknown zone, bad or overlapping
    interval, unknown holiday country or subdivision, bad date.

    The conversion is cached on the values themselves rather than on (id, updated_at):
    `Calendar.clean()` validates edited, unsaved rows whose id and updated_at still
    name the old values. Returning the same instance for the same values also keeps the
    per-year tables the calendar builds warm across cases and requests.
    """
    weekly_hours = getattr(calendar, "weekly_hours", None) or {}
    custom_holidays = getattr(calendar, "custom_holidays", None) or []
    try:
        weekly_key = json.dumps(weekly_hours, sort_keys=True, default=str)
        holidays_key = json.dumps(custom_holidays, default=str)
    except (TypeError, ValueError) as error:
        raise ValueError(f"The calendar's hours or holidays are not plain JSON: {error}") from None
    return _convert(
        str(getattr(calendar, "time_zone", "") or "UTC"),
        bool(getattr(calendar, "always_open", False)),
        weekly_key,
        str(getattr(calendar, "holiday_country", "") or ""),
        str(getattr(calendar, "holiday_subdivision", "") or ""),
        holidays_key,
    )


@lru_cache(maxsize=256)
def _convert(
    time_zone: str,
    always_open: bool,
    weekly_hours: str,
    holiday_country: str,
    holiday_subdivision: str,
    custom_holidays: str,
) -> BusinessCalendar:
    return BusinessCalendar.from_values(
        time_zone=time_zone,
        weekly_hours=json.loads(weekly_hours),
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        custom_holidays=json.loads(custom_holidays),
        always_open=always_open,
    )
