"""Categories and intake fields over the API: the plan lists them, filing answers them,
the case shows the answers, staff closing answers the closure ones; the schema says so."""

from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from cases.models import Case
from tenants.models import IntakeField
from tests.api.conftest import error_of
from tests.api.test_cases import CASES, NEW_CASE, if_match, url
from tests.cases.helpers import taken
from tests.factories import IntakeFieldFactory, category, offer

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())


@pytest.fixture
def questions(cast):
    plan = cast.tenant_a.plan
    IntakeFieldFactory(
        plan=plan,
        key="users",
        label="Users affected",
        kind=IntakeField.Kind.NUMBER,
        category=category("bug"),
        required=True,
    )
    IntakeFieldFactory(plan=plan, key="seen_before", kind=IntakeField.Kind.YES_NO)
    IntakeFieldFactory(
        plan=plan, key="root_cause", label="Root cause", stage="closure", required=True
    )


def test_plan_lists_its_categories_with_sla_and_intake_fields(cast, api, questions):
    offer(cast.tenant_a.plan, "billing", sla_applies=False, order=5)
    tenant = api(cast.contact_a).get(reverse("api:tenants")).json()[0]
    categories = {row["code"]: row for row in tenant["plan"]["categories"]}
    assert next(iter(categories)) == "billing"  # the plan's order
    assert categories["billing"]["sla_applies"] is False
    assert categories["bug"]["sla_applies"] is True
    assert [f["key"] for f in categories["bug"]["intake_fields"]] == [
        "users",
        "seen_before",
        "root_cause",
    ]
    assert [f["key"] for f in categories["outage"]["intake_fields"]] == [
        "seen_before",
        "root_cause",
    ]
    users = categories["bug"]["intake_fields"][0]
    assert (users["kind"], users["required"], users["stage"]) == ("number", True, "intake")
    assert "bug" in tenant["plan"]["sla_categories"]
    assert "billing" not in tenant["plan"]["sla_categories"]


def test_tenant_list_reads_categories_in_a_fixed_number_of_queries(
    cast, api, questions, django_assert_max_num_queries
):
    client = api(cast.engineer, session=True)
    client.get(reverse("api:tenants"))
    # One query per prefetched plan relation (priorities, categories, intake fields, phones,
    # accepted certifications) whatever the number of tenants.
    with django_assert_max_num_queries(15):
        assert len(client.get(reverse("api:tenants")).json()) == 2


def test_contact_files_with_typed_answers_and_reads_them_back(cast, api, questions):
    body = NEW_CASE | {"custom_fields": {"users": 40, "seen_before": False}}
    response = api(cast.contact_a).post(CASES, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["custom_fields"] == {"users": 40, "seen_before": False}
    assert response.json()["category_name"] == "Bug"
    assert Case.objects.get().custom_fields == {"users": 40, "seen_before": False}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "billing"}, "category"),
        ({"category": "gossip"}, "category"),
        ({"category": 42}, "category"),
        ({"custom_fields": {}}, "custom_fields.users"),
        ({"custom_fields": {"users": "forty"}}, "custom_fields.users"),
        ({"custom_fields": {"users": 4, "colour": "red"}}, "custom_fields.colour"),
        ({"custom_fields": {"users": 4, "root_cause": "early"}}, "custom_fields.root_cause"),
    ],
)
def test_bad_category_or_answers_are_refused_by_field(cast, api, questions, body, field):
    offer(cast.tenant_b.plan, "billing")
    response = api(cast.contact_a).post(CASES, NEW_CASE | body, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert not Case.objects.exists()


def test_staff_close_over_the_api_needs_the_closure_answers(cast, api, questions):
    case = taken(cast, custom_fields={"users": 3})
    client = api(cast.engineer, session=True)
    close = {"reason": "out_of_scope", "note": "A third-party plug-in."}
    refused = client.post(url("case-close", case), close, format="json", **if_match(case))
    assert refused.status_code == 400
    assert "custom_fields.root_cause" in error_of(refused)["fields"]
    close["custom_fields"] = {"root_cause": "Plug-in 4.2"}
    closed = client.post(url("case-close", case), close, format="json", **if_match(case))
    assert closed.status_code == 200, closed.json()
    assert closed.json()["custom_fields"] == {"users": 3, "root_cause": "Plug-in 4.2"}
    assert closed.json()["close_reason"] == "out_of_scope"


def test_schema_documents_category_codes_custom_fields_and_the_plans_categories():
    schemas = SCHEMA["components"]["schemas"]
    create = schemas["CaseCreateInputRequest"]["properties"]
    assert "plan.categories" in create["category"]["description"]
    assert create["custom_fields"]["type"] == "object"
    assert "custom_fields" in schemas["Case"]["properties"]
    plan = schemas["Plan"]["properties"]["categories"]
    assert plan["items"]["$ref"] == "#/components/schemas/PlanCategory"
    category_row = schemas["PlanCategory"]["properties"]
    assert {"code", "name", "description", "sla_applies", "intake_fields"} <= set(category_row)
    assert schemas["IntakeFieldKindEnum"]["enum"] == ["text", "choice", "number", "date", "yes_no"]
    assert "out_of_scope" in schemas["StaffCloseReason"]["enum"]
