"""Announcements: which are current (the portal's banner and the public status page),
and the email alerts users subscribe to."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from notifications.models import Announcement, AnnouncementSubscription
from notifications.outbox import OutgoingEmail, outbox_enqueue_many
from supportdesk.errors import InvalidInput
from supportdesk.types import User

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
    order: dict[str, int] = {Announcement.Kind.INCIDENT: 0, Announcement.Kind.MAINTENANCE: 1}
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


def announcement_kinds_for(user: User) -> list[str]:
    """The kinds the user is subscribed to ([] when not subscribed)."""
    subscription = AnnouncementSubscription.objects.filter(user_id=user.pk).first()
    return list(subscription.kinds) if subscription else []


@transaction.atomic
def announcement_subscription_set(*, user: User, kinds: list[str]) -> list[str]:
    """Subscribe the user to emails about these kinds; an empty list unsubscribes."""
    unknown = sorted(set(kinds) - set(Announcement.Kind.values))
    if unknown:
        raise InvalidInput(
            f"Unknown announcement kinds: {', '.join(unknown)}.",
            field_errors={"kinds": ["Choose incidents, maintenance windows or releases."]},
        )
    if not user.email:
        raise InvalidInput("Your account has no email address to send announcements to.")
    chosen = [kind for kind in Announcement.Kind.values if kind in kinds]
    if not chosen:
        AnnouncementSubscription.objects.filter(user_id=user.pk).delete()
        return []
    AnnouncementSubscription.objects.update_or_create(user_id=user.pk, defaults={"kinds": chosen})
    return chosen


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%a %d %b %Y %H:%M} UTC" if moment else ""


@transaction.atomic
def announcement_alert_subscribers(*, announcement_id: int) -> int:
    """Email every subscriber of the announcement's kind, once per announcement (the
    deduplication key makes a second call, or a re-save in the admin, send nothing).
    Returns how many alerts wait to be sent; none for an unpublished announcement."""
    announcement = Announcement.objects.filter(id=announcement_id, published=True).first()
    if announcement is None:
        return 0
    # A handful of subscribers per desk: filtering the JSON list here keeps the query
    # the same on SQLite and PostgreSQL.
    subscriptions = [
        s
        for s in AnnouncementSubscription.objects.select_related("user")
        if announcement.kind in s.kinds
    ]
    url = f"{settings.SITE_URL}{reverse('portal:status')}"
    emails = [
        OutgoingEmail(
            recipient=s.user.email,
            user_id=s.user_id,
            event="announcement",
            template="announcement",
            context={
                "title": announcement.title,
                "kind": announcement.get_kind_display(),
                "starts": _when(announcement.starts_at),
                "ends": _when(announcement.ends_at),
                "products": ", ".join(announcement.affected_products),
                "body": announcement.body,
                "url": url,
                "recipient_name": s.user.get_full_name() or s.user.email,
            },
            dedup_key=f"announcement:{announcement.id}:{s.user.email.lower()}",
        )
        for s in subscriptions
        if s.user.is_active and s.user.email
    ]
    return len(outbox_enqueue_many(emails))
