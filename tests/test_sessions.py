"""How long a signed-in session lasts: staff 30 minutes idle and 12 hours at most by
default, customers and partners longer; an ended session goes back to sign-in, told why."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from supportdesk.sessions import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2026-11-20 09:00:00+00:00")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)

    def at(**elapsed: float) -> None:
        time_machine.move_to(START + timedelta(**elapsed), tick=False)

    return at


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_session_ends_after_thirty_idle_minutes(cast, clock):
    client = _signed_in(cast.engineer)
    admin = reverse("admin:index")
    assert client.get(admin).status_code == 200
    clock(minutes=29)
    assert client.get(admin).status_code == 200
    clock(minutes=58)  # 29 idle minutes again: still signed in
    assert client.get(admin).status_code == 200
    clock(minutes=88, seconds=1)
    response = client.get(admin)
    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={admin}"
    assert "_auth_user_id" not in client.session
    page = client.get(response.url).content.decode()
    assert "You were signed out after 30 minutes without activity" in page


def test_staff_session_ends_twelve_hours_after_sign_in_however_active(cast, clock):
    client = _signed_in(cast.engineer)
    admin = reverse("admin:index")
    for minutes in range(0, 12 * 60, 20):
        clock(minutes=minutes)
        assert client.get(admin).status_code == 200, minutes
    clock(hours=12)
    response = client.get(admin)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    page = client.get(response.url).content.decode()
    assert "sessions end 12 hours after signing in" in page


def test_staff_session_cookie_and_record_last_no_longer_than_the_lifetime(cast, clock):
    client = _signed_in(cast.engineer)
    client.get(reverse("admin:index"))
    assert client.session.get_expiry_age() == 12 * 60 * 60


def test_the_staff_timeouts_follow_the_settings(cast, clock, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 10
    client = _signed_in(cast.manager)
    client.get(reverse("admin:index"))
    clock(minutes=10)
    assert client.get(reverse("admin:index")).status_code == 302


def test_customer_session_outlasts_the_staff_idle_timeout(cast, clock):
    client = _signed_in(cast.contact_a)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    clock(hours=2)
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_customer_session_ends_after_eight_idle_hours_back_to_the_portal_sign_in(cast, clock):
    client = _signed_in(cast.contact_a)
    client.get(reverse("portal:dashboard"))
    clock(hours=8, seconds=1)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response.url == f"{reverse('portal:sign_in')}?next=/"
    page = client.get(response.url).content.decode()
    assert "You were signed out after 8 hours without activity" in page


def test_customer_session_ends_a_week_after_sign_in(cast, clock):
    client = _signed_in(cast.partner_with_letter)
    for hours in range(0, 7 * 24, 6):
        clock(hours=hours)
        assert client.get(reverse("portal:dashboard")).status_code == 200, hours
    clock(hours=7 * 24)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert "sessions end 7 days after signing in" in client.get(response.url).content.decode()


def test_an_htmx_request_of_an_ended_session_loads_the_sign_in_page(cast, clock):
    client = _signed_in(cast.contact_a)
    client.get(reverse("portal:dashboard"))
    clock(hours=9)
    response = client.get(reverse("portal:dashboard"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("portal:sign_in"))


def test_an_api_call_of_an_ended_staff_session_is_refused_as_signed_out(cast, clock):
    client = _signed_in(cast.engineer)
    assert client.get("/api/v1/cases/").status_code == 200
    clock(minutes=31)
    response = client.get("/api/v1/cases/")
    assert response.status_code in {401, 403}
    assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed"}


def test_signing_in_stamps_the_session_once_for_its_lifetime_and_cut_offs(cast, clock):
    client = _signed_in(cast.contact_a)
    assert client.session[SIGNED_IN_AT] == START.timestamp()
    clock(hours=1)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    assert client.session[SIGNED_IN_AT] == START.timestamp(), "requests never move it"


def test_a_signed_in_session_without_a_sign_in_time_is_signed_out(cast, clock):
    client = _signed_in(cast.contact_a)
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert "sessions end 7 days after signing in" in client.get(response.url).content.decode()
