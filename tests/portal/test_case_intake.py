"""The new-case form asks the plan's categories and questions; the case page shows the
answers."""

import pytest
from django.urls import reverse

from cases.models import Case
from tenants.models import IntakeField, PlanCategory
from tests.factories import IntakeFieldFactory, category, offer
from tests.portal.test_case_new import URL, intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(cast):
    plan = cast.tenant_a.plan
    frequency = IntakeFieldFactory(
        plan=plan,
        key="frequency",
        label="How often does it happen",
        kind=IntakeField.Kind.CHOICE,
        choices="Always\nSometimes",
        category=category("performance_issue"),
        required=True,
    )
    IntakeFieldFactory(
        plan=plan,
        key="sandbox_tested",
        label="Tried in a sandbox",
        kind=IntakeField.Kind.YES_NO,
    )
    IntakeFieldFactory(
        plan=plan,
        key="root_cause",
        label="Root cause",
        stage=IntakeField.Stage.CLOSURE,
    )
    return frequency


def test_form_offers_the_plans_categories_with_descriptions_and_sla_marks(client, cast, sign_in):
    bug = category("bug")
    bug.description = "Something that worked stopped working."
    bug.save()
    PlanCategory.objects.filter(plan=cast.tenant_a.plan, category__code="request").delete()
    category("billing", "Billing enquiry")
    sign_in(cast.contact_a)
    html = client.get(URL).content.decode()
    assert 'value="bug"' in html
    assert "Something that worked stopped working." in html
    assert 'value="request"' not in html
    assert 'value="billing"' not in html
    assert "Response and update times apply to functionality issue, performance issue" in html
    assert html.count("response times apply") == 4


def test_form_groups_questions_per_category_and_leaves_closure_questions_out(
    client, cast, sign_in, questions
):
    sign_in(cast.contact_a)
    html = client.get(URL).content.decode()
    assert 'data-intake-category="performance_issue"' in html
    assert "For performance issue cases" in html
    assert "For every case" in html
    assert 'name="custom_fields.frequency"' in html
    assert 'name="custom_fields.sandbox_tested"' in html
    assert "Root cause" not in html


def test_filing_stores_the_chosen_categorys_answers_typed(client, cast, sign_in, questions):
    sign_in(cast.contact_a)
    data = intake(category="performance_issue")
    data |= {"custom_fields.frequency": "Sometimes", "custom_fields.sandbox_tested": "yes"}
    response = client.post(URL, data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.custom_fields == {"frequency": "Sometimes", "sandbox_tested": True}
    page = client.get(reverse("portal:case", kwargs={"reference": case.reference}))
    html = page.content.decode()
    assert "Performance issue" in html
    assert "How often does it happen</dt><dd>Sometimes" in html
    assert "Tried in a sandbox</dt><dd>Yes" in html


def test_a_missing_required_answer_comes_back_on_its_field(client, cast, sign_in, questions):
    sign_in(cast.contact_a)
    response = client.post(URL, intake(category="performance_issue"))
    assert response.status_code == 400
    assert "How often does it happen: this is required." in response.content.decode()
    assert not Case.objects.exists()


def test_answers_typed_into_another_categorys_questions_are_not_filed(
    client, cast, sign_in, questions
):
    sign_in(cast.contact_a)
    data = intake(category="outage") | {"custom_fields.frequency": "Always"}
    assert client.post(URL, data).status_code == 302
    assert Case.objects.get().custom_fields == {}


def test_a_category_the_plan_does_not_offer_is_refused_by_the_form(client, cast, sign_in):
    offer(cast.tenant_b.plan, "billing")
    sign_in(cast.contact_a)
    response = client.post(URL, intake(category="billing"))
    assert response.status_code == 400
    assert not Case.objects.exists()
