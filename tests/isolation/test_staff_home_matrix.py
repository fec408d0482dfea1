"""The staff home (/admin/) × every role: customers, partners and visitors get no admin
(a redirect to sign in); each staff role sees the lists its role answers for, across
tenants where the role may, and nothing of a tenant it does not answer for. Tenant A's
and tenant B's items carry a marker each in what the home shows."""

import pytest
from django.urls import reverse

from cases import services
from servicerequests import services as sr_services
from tenants.models import AccountRole
from tenants.roles import Role
from tests.cases.helpers import file_case
from tests.factories import (
    AccountTeamMemberFactory,
    EnvironmentFactory,
    RequestTypeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HOME = reverse("admin:index")
MARK_A = "zqxA7home"
MARK_B = "zqxB7home"

# What each role's home shows: the unowned new cases (triage), the customer escalations
# (the account team of the tenant, managers) and the requests waiting for Security.
SEES = {
    "engineer": set(),
    "triage_lead": {MARK_A, MARK_B},
    "manager": {MARK_A, MARK_B},
    "csm_of_a": {MARK_A},
    "security": {MARK_A, MARK_B},
    "staff_without_role": set(),
}
OUTSIDERS = ("anonymous", "contact_a", "contact_b", "partner_with_letter", "partner_without_letter")


@pytest.fixture
def people(cast):
    csm = UserFactory(username="carla@support.test", roles=[Role.ENGINEER])
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.CUSTOMER_SUCCESS_MANAGER, user=csm
    )
    nobody = UserFactory(username="nora@support.test", roles=[], second_step=True)
    nobody.is_staff = True
    nobody.save(update_fields=["is_staff"])
    return {
        "anonymous": None,
        "contact_a": cast.contact_a,
        "contact_b": cast.contact_b,
        "partner_with_letter": cast.partner_with_letter,
        "partner_without_letter": cast.partner_without_letter,
        "engineer": cast.engineer,
        "triage_lead": cast.triage_lead,
        "manager": cast.manager,
        "csm_of_a": csm,
        "security": UserFactory(username="sam@support.test", roles=[Role.SECURITY]),
        "staff_without_role": nobody,
    }


@pytest.fixture
def world(cast, django_capture_on_commit_callbacks):
    """Per tenant: an unowned new case the customer escalated, and a security test
    waiting for Security's approval, each naming its tenant's marker."""
    with django_capture_on_commit_callbacks(execute=False):
        for tenant, contact, mark in (
            (cast.tenant_a, cast.contact_a, MARK_A),
            (cast.tenant_b, cast.contact_b, MARK_B),
        ):
            case = file_case(cast, f"Checkout down {mark}", actor=contact, tenant_id=tenant.id)
            services.case_escalate_by_customer(case_id=case.id, actor=contact, reason="Slow.")
            RequestTypeFactory(code="security_testing", plans=[tenant.plan])
            environment = EnvironmentFactory(tenant=tenant, name=f"Production {mark}")
            request = sr_services.service_request_submit(
                actor=contact,
                tenant_id=tenant.id,
                type_code="security_testing",
                data={
                    "environment": environment.id,
                    "scope": "https://example.test",
                    "starts_on": "2030-05-10",
                    "ends_on": "2030-05-14",
                    "testing_organisation": "Redteam Ltd",
                    "contact_name": "Rita Red",
                    "contact_email": "rita@redteam.test",
                },
            )
            sr_services.service_request_start(actor=cast.engineer, request_id=request.id)
            sr_services.service_request_step_done(
                actor=cast.engineer, request_id=request.id, step_code="review"
            )


@pytest.mark.parametrize("role", OUTSIDERS)
def test_customers_partners_and_visitors_get_no_staff_home(client, people, world, role):
    if people[role] is not None:
        client.force_login(people[role])
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    body = response.content.decode()
    assert MARK_A not in body
    assert MARK_B not in body


@pytest.mark.parametrize("role", sorted(SEES))
def test_each_staff_role_sees_only_what_its_home_answers_for(client, people, world, role):
    client.force_login(people[role])
    response = client.get(HOME)
    assert response.status_code == 200
    body = response.content.decode()
    shown = {mark for mark in (MARK_A, MARK_B) if mark in body}
    assert shown == SEES[role]
