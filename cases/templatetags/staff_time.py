"""Times on staff pages: in the staff user's zone (activated by
tenants.middleware.StaffTimeZoneMiddleware), always labelled with the zone's abbreviation,
and beside an SLA time the customer's local time (the tenant's zone) when it differs:
"Fri 4 Dec 10:42 EST customer · Sat 5 Dec 00:42 JST your time".

Templates use the filters (`{{ case.created_at|staff_time }}`,
`{{ case.next_due_at|due_pair:case.tenant.time_zone }}`); admin columns built in Python
call `staff_time_html` and `due_pair_html`.
"""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

_NONE = "—"


def staff_time_text(
    value: dt.datetime, *, zone: dt.tzinfo | None = None, short: bool = False
) -> str:
    """ "Fri 4 Dec 15:42 CET" in the zone (the active one by default); the year is added
    when it is not this year, the weekday left out when short."""
    local = timezone.localtime(value, zone)
    text = f"{local.day} {local:%b}"
    if local.year != timezone.localtime(timezone.now(), zone).year:
        text += f" {local.year}"
    if not short:
        text = f"{local:%a} {text}"
    return f"{text} {local:%H:%M} {local.tzname() or 'UTC'}"


def _time_html(value: dt.datetime, zone: dt.tzinfo | None, short: bool) -> SafeString:
    return format_html(
        '<time datetime="{}">{}</time>',
        value.isoformat(),
        staff_time_text(value, zone=zone, short=short),
    )


def staff_time_html(value: dt.datetime | None, *, short: bool = False) -> SafeString:
    """The time in the staff user's zone, labelled, in a `<time>` element."""
    if value is None:
        return SafeString(_NONE)
    return _time_html(value, None, short)


def _zone(name: str) -> dt.tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _same_clock(value: dt.datetime, one: dt.tzinfo, other: dt.tzinfo) -> bool:
    """Whether both zones show the same wall time and abbreviation at that instant (so one
    of them says it all): the same zone, or two that agree then (Paris and Berlin)."""
    here, there = value.astimezone(one), value.astimezone(other)
    return here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname()


def due_pair_html(
    value: dt.datetime | None, customer_zone: str, *, short: bool = False
) -> SafeString:
    """An SLA time in the customer's zone and the staff user's, each labelled; one time
    when both zones show the same."""
    if value is None:
        return SafeString(_NONE)
    staff = timezone.get_current_timezone()
    customer = _zone(customer_zone)
    if customer is None or _same_clock(value, staff, customer):
        return _time_html(value, None, short)
    return format_html(
        '<span class="sd-time-pair">{} <span class="sd-time-whose">customer</span> · '
        '{} <span class="sd-time-whose">your time</span></span>',
        _time_html(value, customer, short),
        _time_html(value, None, short),
    )


@register.filter
def staff_time(value: dt.datetime | None) -> SafeString:
    """`{{ case.created_at|staff_time }}`: "Fri 4 Dec 15:42 CET" in the staff user's zone."""
    return staff_time_html(value)


@register.filter
def staff_time_short(value: dt.datetime | None) -> SafeString:
    """`{{ case.created_at|staff_time_short }}`: "4 Dec 15:42 CET", for narrow columns."""
    return staff_time_html(value, short=True)


@register.filter
def due_pair(value: dt.datetime | None, customer_zone: str) -> SafeString:
    """`{{ row.due|due_pair:case.tenant.time_zone }}`: the customer's time, then yours."""
    return due_pair_html(value, customer_zone)
