"""The plan page edits priority rules (checkboxes for environments, a channel rule, an
off-hours target) and regional numbers (countries as "US, CA"); the tenant page edits
the customer's country and agreed update cadences, which recompute its open cases."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import CaseEvent
from tenants.models import AgreedUpdateCadence, ChannelRule, SupportPhone
from tests.cases.helpers import file_case, fresh, ny, plan_form_data, tenant_form_data
from tests.factories import SupportPhoneFactory

pytestmark = pytest.mark.django_db


def plan_page(plan) -> str:
    return reverse("admin:tenants_supportplan_change", args=[plan.id])


def with_phones(data: dict, *rows: dict) -> dict:
    data["phones-TOTAL_FORMS"] = len(rows)
    for index, row in enumerate(rows):
        data.update({f"phones-{index}-{name}": value for name, value in row.items()})
    return data


def test_plan_page_saves_rules_targets_and_regional_numbers(client, cast):
    plan = cast.tenant_a.plan
    client.force_login(cast.manager)
    data = plan_form_data(
        plan,
        {
            "P1": {
                "channel_rule": ChannelRule.PHONE_ONLY,
                "environments_allowed": [1, 2],
                "initial_response": "Immediate",
                "off_hours_initial_response": "2H",
            }
        },
    )
    data = with_phones(
        data,
        {"region": "Americas", "countries": "us, CA;mx", "number": "+1 555 0100", "order": 0},
        {"region": "Rest of world", "countries": "", "number": "+44 20 0000", "order": 1},
    )
    response = client.post(plan_page(plan), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    p1 = plan.priorities.get(code="P1")
    assert (p1.channel_rule, p1.environments_allowed) == ("phone_only", [1, 2])
    assert (p1.initial_response, p1.off_hours_initial_response) == ("immediate", "2h")
    assert list(SupportPhone.objects.values_list("region", "countries")) == [
        ("Americas", ["US", "CA", "MX"]),
        ("Rest of world", []),
    ]
    page = client.get(plan_page(plan)).content.decode()
    assert 'value="US, CA, MX"' in page
    assert 'type="checkbox" name="priorities-0-environments_allowed" value="1"' in page


def test_plan_page_refuses_bad_country_codes_and_two_catch_all_numbers(client, cast):
    plan = cast.tenant_a.plan
    client.force_login(cast.manager)
    bad = with_phones(
        plan_form_data(plan),
        {"region": "Americas", "countries": "USA", "number": "+1 555 0100", "order": 0},
    )
    response = client.post(plan_page(plan), bad)
    assert response.status_code == 200
    assert "Not two-letter ISO 3166 codes: USA." in response.content.decode()
    two = with_phones(
        plan_form_data(plan),
        {"region": "A", "countries": "", "number": "+1 555 0100", "order": 0},
        {"region": "B", "countries": "", "number": "+1 555 0101", "order": 1},
    )
    response = client.post(plan_page(plan), two)
    assert "Only one number may serve every other country" in response.content.decode()
    assert not SupportPhone.objects.exists()


def test_plan_page_refuses_a_target_number_without_a_unit_in_the_services_words(client, cast):
    plan = cast.tenant_a.plan
    client.force_login(cast.manager)
    data = plan_form_data(plan)
    data["priorities-0-off_hours_initial_response_0"] = "3"
    data["priorities-0-off_hours_initial_response_1"] = ""
    response = client.post(plan_page(plan), data)
    assert response.status_code == 200
    assert "&#x27;3&#x27; is not an SLA target" in response.content.decode()
    assert plan.priorities.get(code="P1").off_hours_initial_response == ""


def test_tenant_page_agrees_a_cadence_and_recomputes_open_cases(client, cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(cast, priority="P1")
    services.case_comment(case_id=case.id, actor=cast.engineer, body="On it.")
    assert fresh(case).next_update_due == ny(6, 11)
    client.force_login(cast.manager)
    data = tenant_form_data(cast.tenant_a, country="US")
    data.update(
        {
            "update_cadences-TOTAL_FORMS": 1,
            "update_cadences-0-priority_code": "P1",
            "update_cadences-0-update_interval": "30M",
        }
    )
    response = client.post(
        reverse("admin:tenants_tenant_change", args=[cast.tenant_a.id]), data, follow=True
    )
    assert response.status_code == 200
    assert "Due times of 1 open case recomputed." in response.content.decode()
    assert AgreedUpdateCadence.objects.get().update_interval == "30m"
    assert fresh(case).next_update_due == ny(6, 10, 30)
    cast.tenant_a.refresh_from_db()
    assert cast.tenant_a.country == "US"


def test_tenant_page_refuses_a_cadence_for_a_priority_the_plan_lacks(client, cast):
    client.force_login(cast.manager)
    data = tenant_form_data(cast.tenant_a)
    data.update(
        {
            "update_cadences-TOTAL_FORMS": 1,
            "update_cadences-0-priority_code": "P9",
            "update_cadences-0-update_interval": "soon",
        }
    )
    response = client.post(reverse("admin:tenants_tenant_change", args=[cast.tenant_a.id]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The plan&#x27;s priorities: P1, P2, P3, P4." in html
    assert "is not an SLA target" in html
    assert not AgreedUpdateCadence.objects.exists()


def test_case_page_offers_the_call_and_cadence_actions(client, cast):
    SupportPhoneFactory(plan=cast.tenant_a.plan)
    case = file_case(cast)
    client.force_login(cast.engineer)
    page = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    assert "Log a phone call" in page
    assert "Agree an update cadence" in page
    response = client.post(
        reverse("admin:cases_case_act", args=[case.id, "log_phone_call"]),
        {
            "log_phone_call-reached": "no",
            "log_phone_call-note": "Voicemail",
            "log_phone_call-expected_version": fresh(case).version,
        },
    )
    assert response.status_code == 302
    event = case.events.get(kind=CaseEvent.Kind.PHONE_CALL)
    assert (event.public, event.data["reached"]) == (False, False)
