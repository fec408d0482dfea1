"""A staff user's time zone: set through `staff_time_zone_set` (their own, or anyone's by a
support manager), on the "My preferences" page, and used for every admin page."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from supportdesk.errors import InvalidInput, NotFound, NotPermitted
from tenants.models import StaffPreference
from tenants.roles import Role
from tenants.services import staff_time_zone_set
from tenants.staff_preferences import staff_time_zone_of, staff_time_zones, time_zone_names
from tests.factories import UserFactory

PAGE = reverse("staff_preferences")


def page_of(user) -> str:
    return reverse("staff_preferences_of", args=[user.pk])


def test_a_staff_user_without_a_choice_has_the_sites_zone(cast, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    assert staff_time_zone_of(cast.engineer) == "Europe/Berlin"
    assert not StaffPreference.objects.exists()


def test_a_staff_user_sets_their_own_zone(cast):
    staff_time_zone_set(actor=cast.engineer, user_id=cast.engineer.pk, time_zone="Asia/Tokyo")
    assert staff_time_zone_of(cast.engineer) == "Asia/Tokyo"
    staff_time_zone_set(
        actor=cast.engineer, user_id=cast.engineer.pk, time_zone=" America/New_York "
    )
    assert StaffPreference.objects.get(user=cast.engineer).time_zone == "America/New_York"
    assert StaffPreference.objects.count() == 1


def test_setting_a_zone_is_in_the_audit_log(cast):
    staff_time_zone_set(actor=cast.engineer, user_id=cast.engineer.pk, time_zone="Asia/Tokyo")
    assert AuditEntry.objects.filter(verb="staff time zone set").exists()


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "asia/tokyo", "../etc/passwd"])
def test_an_unknown_zone_is_refused_and_nothing_changes(cast, zone):
    staff_time_zone_set(actor=cast.engineer, user_id=cast.engineer.pk, time_zone="Asia/Tokyo")
    with pytest.raises(InvalidInput) as refused:
        staff_time_zone_set(actor=cast.engineer, user_id=cast.engineer.pk, time_zone=zone)
    assert "time_zone" in refused.value.field_errors
    assert staff_time_zone_of(cast.engineer) == "Asia/Tokyo"


def test_an_engineer_may_not_set_a_colleagues_zone(cast):
    with pytest.raises(NotPermitted):
        staff_time_zone_set(
            actor=cast.engineer, user_id=cast.triage_lead.pk, time_zone="Asia/Tokyo"
        )
    assert not StaffPreference.objects.exists()


def test_a_manager_sets_another_staff_members_zone(cast):
    staff_time_zone_set(actor=cast.manager, user_id=cast.engineer.pk, time_zone="Asia/Kolkata")
    assert staff_time_zone_of(cast.engineer) == "Asia/Kolkata"


def test_customers_and_partners_have_no_staff_zone(cast):
    for outsider in (cast.contact_a, cast.partner_with_letter):
        with pytest.raises(NotPermitted):
            staff_time_zone_set(actor=outsider, user_id=outsider.pk, time_zone="Asia/Tokyo")
    with pytest.raises(NotFound):
        staff_time_zone_set(actor=cast.manager, user_id=cast.contact_a.pk, time_zone="UTC")
    assert not StaffPreference.objects.exists()


def test_only_a_manager_lists_the_staffs_zones(cast):
    staff_time_zone_set(actor=cast.engineer, user_id=cast.engineer.pk, time_zone="Asia/Tokyo")
    zones = dict(staff_time_zones(cast.manager))
    assert zones[cast.engineer] == "Asia/Tokyo"
    assert cast.contact_a not in zones
    with pytest.raises(NotPermitted):
        staff_time_zones(cast.engineer)


def test_the_zone_list_offers_real_zones_only():
    names = time_zone_names()
    assert "Asia/Tokyo" in names
    assert "UTC" in names
    assert not any(name.startswith(("posix/", "right/")) for name in names)


def test_staff_set_their_zone_on_my_preferences(client, cast):
    client.force_login(cast.engineer)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"My preferences" in page.content
    response = client.post(PAGE, {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert staff_time_zone_of(cast.engineer) == "Asia/Tokyo"
    # The header's link names the zone the pages now show.
    assert "My preferences (JST)" in client.get(PAGE).content.decode()


def test_my_preferences_refuses_an_unknown_zone_on_the_form(client, cast):
    client.force_login(cast.engineer)
    response = client.post(PAGE, {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    assert not StaffPreference.objects.exists()


def test_an_engineer_opens_no_colleagues_preferences(client, cast):
    client.force_login(cast.engineer)
    assert client.get(page_of(cast.triage_lead)).status_code == 403
    assert client.post(page_of(cast.triage_lead), {"time_zone": "UTC"}).status_code == 403
    assert client.get(page_of(cast.engineer)).status_code == 200
    assert not StaffPreference.objects.exists()


def test_a_manager_sets_a_colleagues_zone_on_their_page(client, cast):
    client.force_login(cast.manager)
    listing = client.get(PAGE).content.decode()
    assert page_of(cast.engineer) in listing
    response = client.post(page_of(cast.engineer), {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert staff_time_zone_of(cast.engineer) == "Asia/Tokyo"
    assert staff_time_zone_of(cast.manager) != "Asia/Tokyo"


def test_a_manager_finds_no_preferences_of_a_customer(client, cast):
    client.force_login(cast.manager)
    assert client.get(page_of(cast.contact_a)).status_code == 404


@pytest.mark.parametrize("who", ["contact_a", "partner_with_letter", "partner_without_letter"])
def test_customers_and_partners_get_no_preferences_page(client, cast, who):
    client.force_login(getattr(cast, who))
    for url in (PAGE, page_of(cast.engineer)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    assert client.post(PAGE, {"time_zone": "Asia/Tokyo"}).status_code == 302
    assert not StaffPreference.objects.exists()


def test_a_staff_account_without_a_role_gets_no_preferences_page(client, db):
    roleless = UserFactory(username="nora@support.test", is_staff=True)
    client.force_login(roleless)
    assert client.get(PAGE).status_code == 403


def test_admin_pages_render_in_the_staff_users_zone_and_the_portal_does_not(client, cast):
    staff_time_zone_set(actor=cast.engineer, user_id=cast.engineer.pk, time_zone="Asia/Tokyo")
    client.force_login(cast.engineer)
    assert "My preferences (JST)" in client.get(reverse("admin:index")).content.decode()
    other = UserFactory(username="ola@support.test", roles=[Role.ENGINEER])
    client.force_login(other)
    assert "My preferences (UTC)" in client.get(reverse("admin:index")).content.decode()
