"""The plan's priority, channel and environment rules and phone numbers through the API."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case
from tenants.models import ChannelRule, EnvironmentKind
from tests.api.conftest import error_of
from tests.cases.helpers import file_case
from tests.factories import SupportPhoneFactory

pytestmark = pytest.mark.django_db

CASES = reverse("api:cases")
NEW_CASE = {
    "summary": "Checkout is down",
    "category": "outage",
    "priority": "P1",
    "environment_access": "granted",
    "environment": "sandbox",
}


def tenant_url(tenant) -> str:
    return reverse("api:tenant", kwargs={"tenant_id": tenant.id})


def test_plan_shows_channel_rules_environments_off_hours_targets_and_phones(cast, api):
    plan = cast.tenant_a.plan
    plan.priorities.filter(code="P1").update(
        channel_rule=ChannelRule.PHONE_ONLY,
        environments_allowed=[EnvironmentKind.PRODUCTION],
        initial_response="immediate",
        off_hours_initial_response="2h",
    )
    SupportPhoneFactory(plan=plan, region="Americas", countries=["US"], number="+1 555 0100")
    SupportPhoneFactory(plan=plan, region="Rest of world", countries=[], number="+44 20 0000")
    cast.tenant_a.country = "US"
    cast.tenant_a.save()
    body = api(cast.contact_a).get(tenant_url(cast.tenant_a)).json()
    p1, p2 = body["plan"]["priorities"][:2]
    assert (p1["channel_rule"], p1["environments_allowed"]) == ("phone_only", ["production"])
    assert (p1["initial_response"], p1["off_hours_initial_response"]) == ("immediate", "2h")
    assert p1["needs_phone"] is True
    assert (p2["channel_rule"], p2["environments_allowed"], p2["needs_phone"]) == (
        "portal",
        [],
        False,
    )
    assert [(p["region"], p["countries"]) for p in body["plan"]["phones"]] == [
        ("Americas", ["US"]),
        ("Rest of world", []),
    ]
    assert body["plan"]["support_phone"] == "+44 20 0000"
    assert body["country"] == "US"
    assert body["your_support_phone"]["number"] == "+1 555 0100"


def test_your_support_phone_is_null_without_numbers(cast, api):
    body = api(cast.contact_a).get(tenant_url(cast.tenant_a)).json()
    assert body["your_support_phone"] is None
    assert body["plan"]["phones"] == []


def test_api_refuses_a_phone_only_priority_naming_the_number(cast, api):
    cast.tenant_a.plan.priorities.filter(code="P1").update(channel_rule=ChannelRule.PHONE_ONLY)
    SupportPhoneFactory(plan=cast.tenant_a.plan, number="+1 212 555 0100", hours="24×7")
    response = api(cast.contact_a).post(CASES, NEW_CASE, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert "taken by phone only: call +1 212 555 0100 (24×7)" in error["message"]
    assert "priority" in error["fields"]
    assert not Case.objects.exists()


def test_staff_log_a_phone_only_case_through_the_api_as_a_phone_case(cast, api):
    cast.tenant_a.plan.priorities.filter(code="P1").update(channel_rule=ChannelRule.PHONE_ONLY)
    contact = cast.contact_a.contacts.get()
    response = api(cast.engineer, session=True).post(
        CASES,
        {**NEW_CASE, "tenant": cast.tenant_a.id, "reporter": contact.id},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Case.objects.get().channel == "phone"


def test_api_refuses_a_priority_not_allowed_for_the_environment(cast, api):
    cast.tenant_a.plan.priorities.filter(code="P1").update(
        environments_allowed=[EnvironmentKind.PRODUCTION]
    )
    response = api(cast.contact_a).post(CASES, NEW_CASE, format="json")
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Priority P1 is for production only; choose Production or a lower priority."
    )
    ok = api(cast.contact_a).post(CASES, {**NEW_CASE, "environment": "production"}, format="json")
    assert ok.status_code == 201


def test_case_detail_shows_the_agreed_update_interval(cast, api):
    case = file_case(cast)
    url = reverse("api:case", kwargs={"reference": case.reference})
    assert api(cast.contact_a).get(url).json()["agreed_update_interval"] == ""
    services.case_set_update_cadence(case_id=case.id, actor=cast.engineer, interval="4h")
    assert api(cast.contact_a).get(url).json()["agreed_update_interval"] == "4h"
