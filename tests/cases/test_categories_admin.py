"""Categories and the plan's questions in the staff admin: the category admin, the plan's
inlines (saved through `plan_reapply`), the case page's answers and closure questions, and
the queue's search by an answer."""

import pytest
from django.urls import reverse

from cases.models import Case, CloseReason, State
from tenants.models import Category, IntakeField, PlanCategory
from tests.cases.helpers import file_case, fresh, plan_form_data, taken
from tests.cases.test_case_page import open_page, post
from tests.cases.test_queue_admin import queue
from tests.factories import IntakeFieldFactory

pytestmark = pytest.mark.django_db

CATEGORIES = reverse("admin:tenants_category_changelist")


def plan_page(plan) -> str:
    return reverse("admin:tenants_supportplan_change", args=[plan.id])


def test_manager_adds_a_category_whose_code_is_then_fixed(client, cast):
    client.force_login(cast.manager)
    response = client.post(
        reverse("admin:tenants_category_add"),
        {"name": "Licences", "code": "licences", "description": "Seats and renewals.", "order": 5},
    )
    assert response.status_code == 302
    licences = Category.objects.get(code="licences")
    page = client.get(reverse("admin:tenants_category_change", args=[licences.id]))
    assert 'name="code"' not in page.content.decode()


def test_engineer_sees_categories_but_may_not_add_one(client, cast):
    client.force_login(cast.engineer)
    assert client.get(CATEGORIES).status_code == 200
    assert client.get(reverse("admin:tenants_category_add")).status_code == 403


def test_turning_sla_off_in_the_plan_inline_stops_the_open_cases_clocks(client, cast):
    case = file_case(cast, category="bug")
    assert case.next_due_at is not None
    plan = cast.tenant_a.plan
    client.force_login(cast.manager)
    data = plan_form_data(plan, categories={"bug": {"sla_applies": False}})
    response = client.post(plan_page(plan), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not PlanCategory.objects.get(plan=plan, category__code="bug").sla_applies
    assert fresh(case).next_due_at is None


def test_manager_adds_an_intake_field_inline_and_a_choice_needs_options(client, cast):
    plan = cast.tenant_a.plan
    client.force_login(cast.manager)
    field = {
        "label": "How often",
        "key": "frequency",
        "kind": "choice",
        "stage": "intake",
        "order": 1,
        "is_active": "on",
        "choices": "",
    }
    refused = client.post(plan_page(plan), plan_form_data(plan, new_fields=[field]))
    assert refused.status_code == 200
    assert "A choice needs its options, one per line." in refused.content.decode()
    assert not IntakeField.objects.exists()
    field["choices"] = "Always\nSometimes"
    response = client.post(plan_page(plan), plan_form_data(plan, new_fields=[field]))
    assert response.status_code == 302
    assert IntakeField.objects.get(plan=plan).options == ["Always", "Sometimes"]


def test_engineer_may_not_change_the_plans_categories(client, cast):
    plan = cast.tenant_a.plan
    client.force_login(cast.engineer)
    data = plan_form_data(plan, categories={"bug": {"sla_applies": False}})
    assert client.post(plan_page(plan), data).status_code == 403
    assert PlanCategory.objects.get(plan=plan, category__code="bug").sla_applies


def test_case_page_shows_the_answers_and_close_asks_the_closure_questions(client, cast):
    plan = cast.tenant_a.plan
    IntakeFieldFactory(plan=plan, key="frequency", label="How often")
    IntakeFieldFactory(
        plan=plan, key="root_cause", label="Root cause", stage="closure", required=True
    )
    case = taken(cast, custom_fields={"frequency": "Every night"})
    html = open_page(client, cast.engineer, case).content.decode()
    assert "How often" in html
    assert "Every night" in html
    form = client.get(reverse("admin:cases_case_act", args=[case.id, "close"])).content.decode()
    assert 'name="close-custom_fields.root_cause"' in form
    refused = post(client, case, "close", reason="out_of_scope", note="Third-party plug-in.")
    assert "Root cause: this is required." in refused.content.decode()
    assert fresh(case).state == State.IN_PROGRESS
    post(
        client,
        fresh(case),
        "close",
        reason="out_of_scope",
        note="Third-party plug-in.",
        **{"custom_fields.root_cause": "Plug-in 4.2"},
    )
    closed = fresh(case)
    assert closed.close_reason == CloseReason.OUT_OF_SCOPE
    assert closed.custom_fields == {"frequency": "Every night", "root_cause": "Plug-in 4.2"}


def test_queue_search_box_finds_a_case_by_an_answer(client, cast):
    IntakeFieldFactory(plan=cast.tenant_a.plan, key="frequency")
    case = file_case(cast, custom_fields={"frequency": "Nightly batch"})
    file_case(cast, "Another problem")
    assert queue(client, cast.engineer, "?q=nightly") == [case.reference]
    assert queue(client, cast.engineer, "?category__exact=bug&q=batch") == [case.reference]
    assert Case.objects.count() == 2
