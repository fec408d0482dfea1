"""A staff user's time zone: every time on a staff page shows in it (settings.TIME_ZONE
until they choose one). A staff user sets their own; a support manager may set anyone's
on the staff desk. Customers and partners have none: portal pages show the tenant's zone."""

import functools
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from audit.context import audited
from supportdesk.errors import InvalidInput, NotFound, NotPermitted
from supportdesk.types import AnyUser, User
from tenants.models import StaffPreference
from tenants.roles import Role, is_support_staff, require_role, support_staff


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA zone names a staff user may pick, sorted (the tz database's "posix/" and
    "right/" copies and the legacy aliases without a slash left out, UTC kept)."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("posix/", "right/", "Etc/", "SystemV/"))
    }
    return tuple(sorted(names | {"UTC"}))


def staff_time_zone_of(user: AnyUser) -> str:
    """The zone a staff user's pages show times in: their own choice, else the site's."""
    if not user.is_authenticated:
        return settings.TIME_ZONE
    chosen = (
        StaffPreference.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    )
    return chosen or settings.TIME_ZONE


def _valid_zone(time_zone: str) -> str:
    name = (time_zone or "").strip()
    if name not in available_timezones():
        message = f"“{name}” is not a time zone: pick one from the list, such as Europe/Berlin."
        raise InvalidInput(message, field_errors={"time_zone": [message]})
    return name


@audited("staff time zone set")
@transaction.atomic
def staff_time_zone_set(*, actor: User, user_id: int, time_zone: str) -> StaffPreference:
    """Set the time zone of a staff user's pages: their own, or (a support manager) anyone's
    on the staff desk. A user who is not support staff has no staff pages, hence no zone."""
    name = _valid_zone(time_zone)
    if user_id != actor.pk:
        require_role(actor, Role.MANAGER, "set another staff member's time zone")
    elif not is_support_staff(actor):
        raise NotPermitted("Only support staff have a staff time zone.")
    target = get_user_model().objects.filter(pk=user_id).first()
    if target is None or not is_support_staff(target):
        raise NotFound("No such staff member.")
    preference, _ = StaffPreference.objects.update_or_create(
        user=target, defaults={"time_zone": name}
    )
    return preference


def staff_time_zones(actor: User) -> list[tuple[User, str]]:
    """Every support staff member with the zone their pages show, for a support manager
    (who may change them); nobody else sees anyone's but their own."""
    require_role(actor, Role.MANAGER, "see the staff's time zones")
    chosen = dict(StaffPreference.objects.values_list("user_id", "time_zone"))
    return [(user, chosen.get(user.pk, settings.TIME_ZONE)) for user in support_staff()]
