"""Who may use the case page's phone-call and update-cadence actions, and who may edit a
plan's phone numbers and a customer's agreed cadences: each role against each, nothing
changes on a refusal."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, Comment
from tenants.models import AgreedUpdateCadence, SupportPhone
from tenants.roles import Role
from tests.cases.helpers import file_case, form_data, tenant_form_data
from tests.factories import PASSWORD, SupportPhoneFactory, UserFactory

pytestmark = pytest.mark.django_db

WORKERS = ("engineer", "triage_lead", "manager")
OUTSIDERS = ("security", "contact_a", "contact_b", "partner_with_letter")


def person(cast, role: str):
    if role == "security":
        return UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    return getattr(cast, role)


def act(client, case: Case, name: str, **fields):
    data = {f"{name}-{field}": value for field, value in fields.items()}
    data[f"{name}-expected_version"] = case.version
    return client.post(reverse("admin:cases_case_act", args=[case.id, name]), data)


def state(case: Case) -> tuple:
    fresh = Case.objects.get(id=case.id)
    return (
        fresh.version,
        fresh.agreed_update_interval,
        fresh.first_responded_at,
        Comment.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case).count(),
    )


@pytest.mark.parametrize("role", WORKERS)
def test_staff_who_work_cases_log_calls_and_agree_cadences(client, cast, role):
    case = file_case(cast)
    client.force_login(person(cast, role))
    response = act(client, case, "log_phone_call", reached="yes", note="Talked it through.")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.first_responded_at is not None
    response = act(client, case, "update_cadence", interval="2h")
    assert response.status_code == 302
    assert Case.objects.get(id=case.id).agreed_update_interval == "2h"


@pytest.mark.parametrize("role", OUTSIDERS)
@pytest.mark.parametrize("action", ["log_phone_call", "update_cadence"])
def test_everyone_else_is_refused_the_case_actions_and_nothing_changes(client, cast, role, action):
    case = file_case(cast)
    before = state(case)
    client.force_login(person(cast, role))
    response = act(client, case, action, reached="yes", note="Hi", interval="1h")
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("admin:login"))
    assert state(case) == before


@pytest.mark.parametrize("role", ["engineer", "triage_lead", "security"])
def test_only_managers_edit_a_plans_numbers_and_a_customers_cadences(client, cast, role):
    plan = cast.tenant_a.plan
    SupportPhoneFactory(plan=plan)
    user = person(cast, role)
    user.set_password(PASSWORD)
    user.save()
    client.force_login(user)
    data = tenant_form_data(cast.tenant_a)
    data.update(
        {
            "update_cadences-TOTAL_FORMS": 1,
            "update_cadences-0-priority_code": "P1",
            "update_cadences-0-update_interval": "2h",
        }
    )
    response = client.post(reverse("admin:tenants_tenant_change", args=[cast.tenant_a.id]), data)
    assert response.status_code == 403
    assert not AgreedUpdateCadence.objects.exists()
    plan_data = form_data(plan)
    response = client.post(reverse("admin:tenants_supportplan_change", args=[plan.id]), plan_data)
    assert response.status_code == 403
    assert SupportPhone.objects.count() == 1


PHONE_CASE = reverse("admin:cases_case_log_phone_case")


def phone_case_form(cast) -> dict:
    return {
        "contact": cast.contact_a.contacts.get().id,
        "priority": "P1",
        "category": "outage",
        "environment": 1,
        "environment_access": "granted",
        "summary": "Checkout down, reported by phone",
        "description": "Caller says every order fails.",
    }


@pytest.mark.parametrize("role", WORKERS)
def test_staff_who_work_cases_log_a_phone_only_case_from_the_queue(client, cast, role):
    cast.tenant_a.plan.priorities.filter(code="P1").update(channel_rule="phone_only")
    client.force_login(person(cast, role))
    assert "Log a phone case" in client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert client.get(PHONE_CASE).status_code == 200
    response = client.post(PHONE_CASE, phone_case_form(cast))
    case = Case.objects.get()
    assert response["Location"] == reverse("admin:cases_case_change", args=[case.id])
    assert (case.channel, case.priority, case.reporter) == ("phone", "P1", cast.contact_a)
    assert case.first_responded_at is not None


def test_phone_case_page_shows_the_services_refusal(client, cast):
    cast.tenant_a.plan.priorities.filter(code="P1").update(environments_allowed=[1])
    client.force_login(cast.engineer)
    response = client.post(PHONE_CASE, {**phone_case_form(cast), "environment": 2})
    assert response.status_code == 400
    assert "Priority P1 is for production only" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize("role", OUTSIDERS)
def test_everyone_else_is_refused_the_phone_case_page(client, cast, role):
    client.force_login(person(cast, role))
    for response in (client.get(PHONE_CASE), client.post(PHONE_CASE, phone_case_form(cast))):
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("admin:login"))
    assert not Case.objects.exists()
