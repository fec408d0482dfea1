"""The new-case page under the plan's channel and environment rules, with the number the
customer should call, and the agreed update cadence on the case page."""

import re

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case
from tenants.models import ChannelRule, EnvironmentKind
from tests.cases.helpers import file_case
from tests.factories import SupportPhoneFactory
from tests.portal.test_case_new import intake

pytestmark = pytest.mark.django_db

URL = reverse("portal:case_new")


@pytest.fixture
def phones(cast):
    plan = cast.tenant_a.plan
    SupportPhoneFactory(
        plan=plan, region="Americas", countries=["US"], number="+1 212 555 0100", hours="24×7"
    )
    SupportPhoneFactory(
        plan=plan, region="EMEA", countries=[], number="+44 20 7946 0000", hours="9–17 Mon–Fri"
    )


def test_phone_only_priority_is_shown_as_call_us_with_the_number_and_cannot_be_chosen(
    client, cast, sign_in, phones
):
    cast.tenant_a.plan.priorities.filter(code="P1").update(channel_rule=ChannelRule.PHONE_ONLY)
    cast.tenant_a.country = "US"
    cast.tenant_a.save()
    sign_in(cast.contact_a)
    html = client.get(URL).content.decode()
    assert 'value="P1"' not in html
    assert 'value="P2"' in html
    assert "Critical · call us" in html
    assert "P1 cases are taken by phone only: call" in html
    assert 'href="tel:+12125550100">+1 212 555 0100</a> (24×7)' in html


def test_contact_abroad_sees_their_regions_number(client, cast, sign_in, phones):
    cast.tenant_a.country = "US"
    cast.tenant_a.save()
    cast.contact_a.contacts.update(country="FR")
    sign_in(cast.contact_a)
    html = client.get(URL).content.decode()
    assert "Call EMEA support on" in html
    assert "+44 20 7946 0000" in html
    assert "+1 212 555 0100" not in html


def test_forged_post_of_a_phone_only_priority_is_refused_with_the_number(
    client, cast, sign_in, phones
):
    cast.tenant_a.plan.priorities.filter(code="P1").update(channel_rule=ChannelRule.PHONE_ONLY)
    sign_in(cast.contact_a)
    response = client.post(URL, intake(priority="P1"))
    assert response.status_code == 400
    assert "taken by phone only: call +44 20 7946 0000 (9–17 Mon–Fri)" in (
        response.content.decode()
    )
    assert not Case.objects.exists()


def test_call_us_as_well_banner_after_filing_names_the_regional_number(
    client, cast, sign_in, phones
):
    cast.tenant_a.plan.priorities.filter(code="P1").update(
        channel_rule=ChannelRule.PORTAL_AND_PHONE
    )
    cast.tenant_a.country = "US"
    cast.tenant_a.save()
    sign_in(cast.contact_a)
    page = client.post(URL, intake(priority="P1"), follow=True).content.decode()
    assert "call us as well: +1 212 555 0100 (24×7). Quote ACME-00001." in page


def test_environment_limited_priority_has_a_hint_data_for_the_warning_and_a_refusal(
    client, cast, sign_in
):
    cast.tenant_a.plan.priorities.filter(code="P1").update(
        environments_allowed=[EnvironmentKind.PRODUCTION]
    )
    sign_in(cast.contact_a)
    html = client.get(URL).content.decode()
    assert re.search(r'value="P1"[^>]*data-environments="1"', html)
    assert "For production only." in html
    assert "data-environment-warning" in html
    response = client.post(URL, intake(priority="P1", environment="2"))
    assert response.status_code == 400
    assert "Priority P1 is for production only; choose Production or a lower priority." in (
        response.content.decode()
    )
    assert not Case.objects.exists()


def test_off_hours_target_is_shown_beside_the_priority(client, cast, sign_in):
    cast.tenant_a.plan.priorities.filter(code="P2").update(off_hours_initial_response="4h")
    sign_in(cast.contact_a)
    assert "(4 hours outside business hours)" in client.get(URL).content.decode()


def test_case_page_shows_the_cadence_agreed_for_the_case(client, cast, sign_in):
    case = file_case(cast)
    services.case_set_update_cadence(case_id=case.id, actor=cast.engineer, interval="4bh")
    sign_in(cast.contact_a)
    page = client.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert "Agreed with you for this case: an update every 4 business hours." in page
