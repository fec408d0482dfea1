"""The plan's contact rules read as plain answers: which certifications it accepts, the
first day a new contact may take effect (the notice period, counted on the plan's
business calendar), and who takes a place of the contact limit. The services in
`tenants.services` enforce them; the portal and admin forms ask them for their defaults
and choices. Reads only: nothing here writes."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from sla.business_time import BusinessCalendar
from sla.calendars import to_business_calendar
from supportdesk.errors import InvalidInput
from tenants.models import LetterOfAuthorization, PartnerMember, SupportPlan, Tenant


def accepted_certification(plan: SupportPlan, certification: str, *, field: str) -> str:
    """The certification as stored: stripped, and where the plan lists accepted names, the
    listed name it matches (case aside). Refuses one the plan does not accept, naming
    those it does; an empty one passes (the caller decides whether one is required)."""
    value = (certification or "").strip()
    names = plan.accepted_certification_names
    if not value or not names:
        return value
    for name in names:
        if name.casefold() == value.casefold():
            return name
    listed = "; ".join(names)
    raise InvalidInput(
        f"The {plan} plan accepts only these certifications: {listed}.",
        field_errors={field: [f"Choose one of: {listed}."]},
    )


def _is_business_day(calendar: BusinessCalendar, day: dt.date) -> bool:
    if calendar.is_always_open:
        return True
    return bool(calendar.weekly_hours[day.weekday()]) and not calendar.is_holiday(day)


def first_effective_date(plan: SupportPlan, requested_at: dt.datetime | None = None) -> dt.date:
    """The first day a contact asked for at `requested_at` (now by default) may take
    effect: the day itself without a notice period, else the Nth business day after it
    on the plan's calendar (weekly hours and holidays), N the plan's notice in business
    days. Five business days from a Monday is the next Monday; a holiday in between
    moves it one business day later."""
    moment = requested_at or timezone.now()
    calendar = to_business_calendar(plan.calendar)
    day = moment.astimezone(calendar.zone).date()
    remaining = plan.contact_notice_business_days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if _is_business_day(calendar, day):
            remaining -= 1
    return day


def effective_from_within_notice(
    plan: SupportPlan,
    effective_from: dt.date | None,
    *,
    requested_at: dt.datetime | None = None,
    field: str = "effective_from",
    past_without_notice: bool = False,
) -> dt.date:
    """The day a new contact takes effect: the one asked for, or the first allowed day
    when none is given. Refuses a day earlier than the notice period allows, naming the
    first allowed day. Without a notice period, staff may record a start already past
    (`past_without_notice`: access from now, as from today); a customer may not."""
    first = first_effective_date(plan, requested_at)
    if effective_from is None:
        return first
    if past_without_notice and plan.contact_notice_business_days == 0:
        return effective_from
    if effective_from < first:
        days = plan.contact_notice_business_days
        notice = (
            f"{days} business day{'s' if days != 1 else ''} notice" if days else "no backdating"
        )
        raise InvalidInput(
            f"The {plan} plan asks for {notice} for a new contact: the earliest start is "
            f"{first:%d %B %Y}.",
            field_errors={field: [f"The earliest start is {first:%d %B %Y} ({first:%Y-%m-%d})."]},
        )
    return effective_from


def partner_members_counted(tenant: Tenant) -> QuerySet[PartnerMember]:
    """The partner members who take places of the tenant's contact limit when its plan
    says partners count: the active members of active partners holding an active letter
    of authorization for the tenant (certified or not: a place is a person who may be
    given access, as it is for contacts). None when the plan does not count partners."""
    if not tenant.plan.partners_count_toward_limit:
        return PartnerMember.objects.none()
    partners = LetterOfAuthorization.objects.filter(
        tenant=tenant, status=LetterOfAuthorization.Status.ACTIVE, partner__is_active=True
    ).values("partner_id")
    return PartnerMember.objects.filter(is_active=True, partner_id__in=partners)
