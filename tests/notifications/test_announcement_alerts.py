"""Email alerts for announcements: opt-in per kind, one message per announcement."""

import pytest
from django.core import mail
from django.urls import reverse

from notifications.announcements import announcement_kinds_for
from notifications.models import Announcement
from notifications.services import announcement_alert_subscribers, announcement_subscription_set
from notifications.tasks import send_pending_notifications
from supportdesk.errors import InvalidInput
from tests.factories import PASSWORD, AnnouncementFactory

pytestmark = pytest.mark.django_db

Kind = Announcement.Kind


def sent_to() -> list[str]:
    send_pending_notifications()
    return sorted(message.to[0] for message in mail.outbox)


def test_subscriber_is_emailed_once_about_a_published_announcement_of_a_chosen_kind(cast):
    announcement_subscription_set(user=cast.contact_a, kinds=[Kind.INCIDENT])
    announcement_subscription_set(user=cast.contact_b, kinds=[Kind.RELEASE])
    incident = AnnouncementFactory(kind=Kind.INCIDENT, published=True, title="API errors")
    announcement_alert_subscribers(announcement_id=incident.id)
    announcement_alert_subscribers(announcement_id=incident.id)
    assert sent_to() == [cast.contact_a.email]
    assert "API errors" in mail.outbox[0].subject + mail.outbox[0].body
    assert reverse("portal:status") in mail.outbox[0].body


def test_unpublished_announcement_emails_nobody(cast):
    announcement_subscription_set(user=cast.contact_a, kinds=list(Kind.values))
    draft = AnnouncementFactory(kind=Kind.MAINTENANCE, published=False)
    assert announcement_alert_subscribers(announcement_id=draft.id) == 0
    assert sent_to() == []


def test_empty_choice_unsubscribes_and_unknown_kinds_are_refused(cast):
    announcement_subscription_set(user=cast.contact_a, kinds=[Kind.RELEASE])
    assert announcement_kinds_for(cast.contact_a) == [Kind.RELEASE]
    with pytest.raises(InvalidInput, match="Unknown announcement kinds"):
        announcement_subscription_set(user=cast.contact_a, kinds=["gossip"])
    assert announcement_kinds_for(cast.contact_a) == [Kind.RELEASE]
    announcement_subscription_set(user=cast.contact_a, kinds=[])
    assert announcement_kinds_for(cast.contact_a) == []


def test_signed_in_user_chooses_alerts_on_the_status_page(client, cast):
    client.login(username=cast.contact_a.username, password=PASSWORD)
    page = client.get(reverse("portal:status"))
    assert b"Email alerts" in page.content
    response = client.post(
        reverse("portal:announcement_alerts"), {"kinds": [Kind.INCIDENT, Kind.MAINTENANCE]}
    )
    assert response.status_code == 302
    assert announcement_kinds_for(cast.contact_a) == [Kind.INCIDENT, Kind.MAINTENANCE]


def test_bad_alert_choice_is_a_clear_error_that_changes_nothing(client, cast):
    client.login(username=cast.contact_a.username, password=PASSWORD)
    response = client.post(reverse("portal:announcement_alerts"), {"kinds": ["gossip"]})
    assert response.status_code == 400
    assert announcement_kinds_for(cast.contact_a) == []


def test_anonymous_visitor_sees_status_without_the_alerts_form(client):
    page = client.get(reverse("portal:status"))
    assert page.status_code == 200
    assert b"Email alerts" not in page.content
    assert client.post(reverse("portal:announcement_alerts"), {"kinds": []}).status_code == 302


def test_saving_a_published_announcement_in_the_admin_alerts_subscribers(client, cast):
    announcement_subscription_set(user=cast.contact_a, kinds=[Kind.RELEASE])
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(
        reverse("admin:notifications_announcement_add"),
        {
            "kind": Kind.RELEASE,
            "title": "Release 2026.11",
            "body": "Faster exports.",
            "affected_products": "[]",
            "starts_at_0": "2026-11-20",
            "starts_at_1": "09:00:00",
            "published": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert sent_to() == [cast.contact_a.email]
