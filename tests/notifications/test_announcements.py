"""Which announcements are current, for the portal banner and the status page."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications.announcements import current_announcements, public_status
from notifications.models import Announcement
from tests.factories import AnnouncementFactory

pytestmark = pytest.mark.django_db

Kind = Announcement.Kind


@pytest.fixture
def now():
    return timezone.now()


def test_portal_shows_ongoing_incidents_then_near_maintenance_then_recent_releases(now):
    release = AnnouncementFactory(kind=Kind.RELEASE, starts_at=now - dt.timedelta(days=3))
    maintenance = AnnouncementFactory(
        kind=Kind.MAINTENANCE,
        starts_at=now + dt.timedelta(days=2),
        ends_at=now + dt.timedelta(days=2, hours=1),
    )
    incident = AnnouncementFactory(kind=Kind.INCIDENT, starts_at=now - dt.timedelta(minutes=20))
    assert current_announcements(now) == [incident, maintenance, release]


def test_portal_leaves_out_past_far_future_old_and_unpublished_items(now):
    AnnouncementFactory(
        kind=Kind.INCIDENT,
        starts_at=now - dt.timedelta(hours=3),
        ends_at=now - dt.timedelta(hours=1),
    )
    AnnouncementFactory(kind=Kind.MAINTENANCE, starts_at=now + dt.timedelta(days=30))
    AnnouncementFactory(kind=Kind.RELEASE, starts_at=now - dt.timedelta(days=40))
    AnnouncementFactory(kind=Kind.INCIDENT, published=False)
    assert current_announcements(now) == []


def test_status_page_groups_and_headlines(now):
    assert public_status(now).headline == "All systems operational"
    resolved = AnnouncementFactory(
        kind=Kind.INCIDENT, starts_at=now - dt.timedelta(days=2), ends_at=now - dt.timedelta(days=1)
    )
    AnnouncementFactory(
        kind=Kind.INCIDENT, starts_at=now - dt.timedelta(days=9), ends_at=now - dt.timedelta(days=8)
    )
    window = AnnouncementFactory(
        kind=Kind.MAINTENANCE,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(minutes=25),
    )
    later = AnnouncementFactory(kind=Kind.MAINTENANCE, starts_at=now + dt.timedelta(days=40))
    release = AnnouncementFactory(kind=Kind.RELEASE, starts_at=now - dt.timedelta(days=60))
    status = public_status(now)
    assert status.level == "maintenance"
    assert (status.maintenance_now, status.maintenance_upcoming) == ([window], [later])
    assert status.resolved_incidents == [resolved]
    assert status.releases == [release]
    ongoing = AnnouncementFactory(kind=Kind.INCIDENT)
    status = public_status(now)
    assert status.incidents == [ongoing]
    assert status.headline == "Some services are disrupted"


def test_announcement_cannot_end_before_it_starts(now):
    from django.core.exceptions import ValidationError

    item = AnnouncementFactory.build(starts_at=now, ends_at=now - dt.timedelta(hours=1))
    with pytest.raises(ValidationError):
        item.full_clean()
    item = AnnouncementFactory.build(affected_products="API")
    with pytest.raises(ValidationError):
        item.full_clean()
