"""Which announcements are current: the portal's banner and the public status page."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from notifications.models import Announcement

UPCOMING_MAINTENANCE = dt.timedelta(days=14)
RECENT_RELEASES = dt.timedelta(days=14)
STATUS_PAGE_RELEASES = dt.timedelta(days=90)
RESOLVED_INCIDENTS = dt.timedelta(days=7)


def _ongoing(now: dt.datetime) -> Q:
    return Q(starts_at__lte=now) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def current_announcements(now: dt.datetime) -> list[Announcement]:
    """What a signed-in customer should see now: ongoing incidents, maintenance under way
    or starting within two weeks, and releases of the last two weeks — in that order."""
    incidents = Q(kind=Announcement.Kind.INCIDENT) & _ongoing(now)
    maintenance = (
        Q(kind=Announcement.Kind.MAINTENANCE)
        & Q(starts_at__lte=now + UPCOMING_MAINTENANCE)
        & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )
    releases = Q(kind=Announcement.Kind.RELEASE) & Q(
        starts_at__lte=now, starts_at__gt=now - RECENT_RELEASES
    )
    found = Announcement.objects.filter(incidents | maintenance | releases, published=True)
    order = {Announcement.Kind.INCIDENT: 0, Announcement.Kind.MAINTENANCE: 1}
    return sorted(found, key=lambda a: (order.get(a.kind, 2), a.starts_at))


@dataclass
class PublicStatus:
    """The public status page, grouped; `level` is the headline's severity."""

    incidents: list[Announcement] = field(default_factory=list)
    resolved_incidents: list[Announcement] = field(default_factory=list)
    maintenance_now: list[Announcement] = field(default_factory=list)
    maintenance_upcoming: list[Announcement] = field(default_factory=list)
    releases: list[Announcement] = field(default_factory=list)

    @property
    def level(self) -> str:
        if self.incidents:
            return "incident"
        if self.maintenance_now:
            return "maintenance"
        return "operational"

    @property
    def headline(self) -> str:
        return {
            "incident": "Some services are disrupted",
            "maintenance": "Scheduled maintenance in progress",
            "operational": "All systems operational",
        }[self.level]


def public_status(now: dt.datetime) -> PublicStatus:
    """Everything the status page shows, in one query."""
    status = PublicStatus()
    published = Announcement.objects.filter(published=True).filter(
        Q(ends_at__isnull=True)
        | Q(ends_at__gt=now - RESOLVED_INCIDENTS)
        | Q(kind=Announcement.Kind.RELEASE, starts_at__gt=now - STATUS_PAGE_RELEASES)
    )
    for item in published.order_by("starts_at", "id"):
        ongoing = item.starts_at <= now and (item.ends_at is None or item.ends_at > now)
        if item.kind == Announcement.Kind.INCIDENT:
            if ongoing:
                status.incidents.append(item)
            elif item.ends_at is not None and item.ends_at <= now:
                status.resolved_incidents.append(item)
        elif item.kind == Announcement.Kind.MAINTENANCE:
            if ongoing:
                status.maintenance_now.append(item)
            elif item.starts_at > now:
                status.maintenance_upcoming.append(item)
        elif now - STATUS_PAGE_RELEASES < item.starts_at <= now:
            status.releases.append(item)
    status.resolved_incidents.reverse()
    status.releases.reverse()
    return status
