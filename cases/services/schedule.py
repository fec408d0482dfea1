"""When the follow-up and solution automations next act on a case.

The case services set and clear these columns as the case moves; the periodic tasks in
`cases.services.automation` select the rows whose time has come. Periods are business
days on the plan's calendar, as the plan's fields say.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from cases.models import Case
from sla.business_time import BusinessCalendar, add_business_time
from sla.calendars import to_business_calendar
from sla.targets import Target
from tenants.models import SupportPlan

FOLLOW_UP_FIELDS = ("follow_up_due_at", "auto_close_at")
SOLUTION_FIELDS = ("solution_reminder_at", "solution_close_at")


def plan_calendar(plan: SupportPlan) -> BusinessCalendar:
    return to_business_calendar(plan.calendar)


def business_days_later(start: datetime, days: int, calendar: BusinessCalendar) -> datetime:
    """`days` business days after `start`; zero days is `start` itself."""
    if days <= 0:
        return start
    return add_business_time(start, Target.business_days(days), calendar)


def closure_day(sent_at: datetime, plan: SupportPlan) -> tuple[date, datetime]:
    """The closure date a follow-up names — `auto_close_after_days` business days after
    it is sent — and the instant the case closes: the end of that day on the calendar."""
    calendar = plan_calendar(plan)
    day = business_days_later(sent_at, plan.auto_close_after_days, calendar)
    closing = day.astimezone(calendar.zone).date()
    end = datetime.combine(closing + timedelta(days=1), time(), calendar.zone)
    return closing, end.astimezone(UTC)


def local_day(instant: datetime, plan: SupportPlan) -> date:
    """The date of `instant` on the plan's calendar."""
    return instant.astimezone(plan_calendar(plan).zone).date()


def closure_day_of(closes_at: datetime, plan: SupportPlan) -> date:
    """The named closure date of a case that closes at `closes_at` (the end of that day)."""
    return local_day(closes_at - timedelta(microseconds=1), plan)


def local_time(instant: datetime, plan: SupportPlan) -> str:
    """An instant for people on the plan's calendar, e.g. "Friday 14 March 2025, 17:00 EST"."""
    local = instant.astimezone(plan_calendar(plan).zone)
    return f"{human_date(local.date())}, {local:%H:%M} {local.tzname() or ''}".rstrip()


def human_date(day: date) -> str:
    """A date as the customer reads it, e.g. "Friday 14 March 2025"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def schedule_follow_up(case: Case, now: datetime) -> list[str]:
    """Attempt 1 was just made: attempt 2 falls due after the plan's follow-up period."""
    plan = case.tenant.plan
    case.follow_up_due_at = business_days_later(now, plan.follow_up_after_days, plan_calendar(plan))
    case.auto_close_at = None
    return list(FOLLOW_UP_FIELDS)


def schedule_solution_silence(case: Case, since: datetime) -> list[str]:
    """A solution was proposed (or the customer wrote without deciding): remind after
    the plan's reminder period and close as resolved after its silence period."""
    plan = case.tenant.plan
    calendar = plan_calendar(plan)
    close_at = business_days_later(since, plan.solution_auto_close_days, calendar)
    remind_at = business_days_later(since, plan.solution_reminder_days, calendar)
    case.solution_close_at = close_at
    case.solution_reminder_at = remind_at if remind_at < close_at else None
    return list(SOLUTION_FIELDS)


def clear(case: Case, *fields: str) -> list[str]:
    """Cancel pending automations; returns the fields to save."""
    for name in fields:
        setattr(case, name, None)
    return list(fields)
