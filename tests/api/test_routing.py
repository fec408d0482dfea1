"""Routing over the API: cases filed through it are routed, and the transfer verb."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, GroupMembership, RoutingRule, SupportGroup
from tenants.models import EnvironmentKind
from tests.api.conftest import error_of
from tests.cases.helpers import file_case

pytestmark = pytest.mark.django_db


def transfer_url(case: Case) -> str:
    return reverse("api:case-transfer", kwargs={"reference": case.reference})


def if_match(case: Case) -> dict[str, str]:
    case.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{case.version}"'}


def test_a_case_filed_through_the_api_is_routed(cast, api):
    tier1 = SupportGroup.objects.create(name="Tier 1")
    RoutingRule.objects.create(
        name="Sandbox", group=tier1, order=1, environments=[EnvironmentKind.SANDBOX]
    )
    response = api(cast.contact_a).post(
        reverse("api:cases"),
        {
            "summary": "Export fails",
            "category": "bug",
            "priority": "P2",
            "environment_access": "granted",
            "environment": "sandbox",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Case.objects.get().group == tier1


def test_staff_transfer_a_case_to_a_group_by_name_with_a_note(cast, api):
    owners = SupportGroup.objects.create(name="Product owners")
    GroupMembership.objects.create(group=owners, user=cast.triage_lead)
    case = file_case(cast)
    response = api(cast.engineer, session=True).post(
        transfer_url(case),
        {"group": "Product owners", "note": "A roadmap question."},
        format="json",
        **if_match(case),
    )
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert case.group == owners
    assert case.events.filter(kind=CaseEvent.Kind.GROUP_TRANSFERRED).exists()


def test_transfer_refuses_customers_unknown_groups_a_missing_note_and_stale_versions(cast, api):
    SupportGroup.objects.create(name="Tier 2")
    case = file_case(cast)
    body = {"group": "Tier 2", "note": "Needs tier 2."}
    customer = api(cast.contact_a).post(transfer_url(case), body, format="json", **if_match(case))
    assert customer.status_code == 403
    staff = api(cast.engineer, session=True)
    unknown = staff.post(
        transfer_url(case), {**body, "group": "Nobody"}, format="json", **if_match(case)
    )
    assert unknown.status_code == 400
    assert "group" in error_of(unknown)["fields"]
    no_note = staff.post(transfer_url(case), {**body, "note": ""}, format="json", **if_match(case))
    assert no_note.status_code == 400
    assert "note" in error_of(no_note)["fields"]
    stale = staff.post(transfer_url(case), body, format="json", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412
    outsider = api(cast.contact_b).post(transfer_url(case), body, format="json", **if_match(case))
    assert outsider.status_code == 404
    assert Case.objects.get(id=case.id).group is None


def test_the_schema_has_the_transfer_verb(cast, api):
    schema = api().get(reverse("api:schema")).content.decode()
    assert "cases_transfer" in schema
