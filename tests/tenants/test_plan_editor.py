"""The plan editor: targets as a number and a unit (joined into the stored code, judged
by `services.clean_target`) with their meaning shown, the plan's categories as checkboxes
saved by `plan_categories_set`, and a page of labelled, stacked inlines."""

import pytest
from django.urls import reverse

from sla.targets import Target
from supportdesk.errors import InvalidInput, NotPermitted
from tenants import services
from tenants.models import Category, PlanCategory
from tenants.plan_editor import join_target, split_target
from tests.cases.helpers import file_case, fresh, plan_form_data

pytestmark = pytest.mark.django_db


def plan_page(plan) -> str:
    return reverse("admin:tenants_supportplan_change", args=[plan.id])


@pytest.mark.parametrize(
    ("code", "parts"),
    [
        ("30m", (30, "m")),
        ("1h", (1, "h")),
        ("90bm", (90, "bm")),
        ("4bh", (4, "bh")),
        ("2bd", (2, "bd")),
        ("nbd", (None, "nbd")),
        ("immediate", (None, "immediate")),
        ("", (None, "")),
    ],
)
def test_every_stored_target_splits_into_number_and_unit_and_joins_back(code, parts):
    assert split_target(code) == parts
    assert join_target(*parts) == code


def test_sixty_minutes_is_shown_as_one_hour():
    assert split_target("60m") == (1, "h")


def test_a_unit_without_a_number_ignores_the_number_typed():
    assert join_target(5, "immediate") == "immediate"
    assert join_target(3, "nbd") == "nbd"


def test_target_meaning_names_the_calendar_for_business_time_only():
    assert Target.parse("4bh").meaning("New York hours") == "4 business hours on New York hours"
    assert Target.parse("1h").meaning("New York hours") == (
        "1 hour around the clock, whatever the calendar"
    )
    assert Target.parse("nbd").meaning("X") == "by the end of the next business day on X"
    assert Target.parse("immediate").meaning("X").startswith("immediately")


def test_clean_target_gives_the_code_or_refuses_naming_the_field():
    assert services.clean_target(" 4BH ", "resolution") == "4bh"
    assert services.clean_target("", "resolution") == ""
    with pytest.raises(InvalidInput) as refused:
        services.clean_target("4", "resolution")
    assert set(refused.value.field_errors) == {"resolution"}


def test_manager_sets_a_target_as_number_and_unit_and_sees_its_meaning(client, cast):
    plan = cast.tenant_a.plan
    client.force_login(cast.manager)
    data = plan_form_data(plan)
    data["priorities-1-initial_response_0"] = "4"
    data["priorities-1-initial_response_1"] = "bh"
    data["priorities-1-resolution_0"] = "7"
    data["priorities-1-resolution_1"] = "immediate"
    data["priorities-1-update_interval_0"] = ""
    data["priorities-1-update_interval_1"] = ""
    response = client.post(plan_page(plan), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    p2 = plan.priorities.get(rank=2)
    assert (p2.initial_response, p2.resolution, p2.update_interval) == ("4bh", "immediate", "")
    page = client.get(plan_page(plan)).content.decode()
    assert f"4 business hours on the plan&#x27;s calendar ({plan.calendar})" in page
    assert 'aria-label="Initial response: unit"' in page


def test_plan_page_has_no_table_inlines_and_names_its_priorities_in_the_plural(client, cast):
    client.force_login(cast.manager)
    page = client.get(plan_page(cast.tenant_a.plan)).content.decode()
    assert "Plan priorities" in page
    assert "tabular" not in page
    assert "Prioritys" not in page


def test_manager_withdraws_a_category_and_turns_sla_off_with_checkboxes(client, cast):
    plan = cast.tenant_a.plan
    case = file_case(cast, category="bug")
    assert case.next_due_at is not None
    client.force_login(cast.manager)
    data = plan_form_data(
        plan, categories={"question": {"offered": False}, "bug": {"sla_applies": False}}
    )
    response = client.post(plan_page(plan), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    offered = dict(
        PlanCategory.objects.filter(plan=plan).values_list("category__code", "sla_applies")
    )
    assert "question" not in offered
    assert offered["bug"] is False
    assert fresh(case).next_due_at is None, "the plan was reapplied to its open cases"
    page = client.get(plan_page(plan)).content.decode()
    assert 'name="categories_offered" value="question"' in page
    assert 'name="categories_offered" value="question" checked' not in page


def test_sla_for_a_category_not_offered_is_refused_in_the_services_words(client, cast):
    plan = cast.tenant_a.plan
    client.force_login(cast.manager)
    data = plan_form_data(plan, categories={"bug": {"offered": False}})
    data["categories_with_sla"].append("bug")
    response = client.post(plan_page(plan), data)
    assert response.status_code == 200
    assert "SLA targets apply only to categories the plan offers: also offer bug." in (
        response.content.decode()
    )
    assert PlanCategory.objects.filter(plan=plan, category__code="bug").exists()


def test_plan_categories_set_keeps_the_order_and_appends_new_ones(cast):
    plan = cast.tenant_a.plan
    before = list(plan.plan_categories.values_list("category__code", flat=True))
    extra = Category.objects.create(code="licences", name="Licences", order=99)
    services.plan_categories_set(
        actor=cast.manager,
        plan_id=plan.id,
        offered=[extra.code, *reversed(before[1:])],
        with_sla=[extra.code],
    )
    after = list(plan.plan_categories.values_list("category__code", "sla_applies"))
    assert after == [(code, False) for code in before[1:]] + [("licences", True)]


def test_plan_categories_set_is_for_managers_and_needs_one_active_category(cast):
    plan = cast.tenant_a.plan
    with pytest.raises(NotPermitted):
        services.plan_categories_set(
            actor=cast.engineer, plan_id=plan.id, offered=["bug"], with_sla=[]
        )
    with pytest.raises(InvalidInput, match="at least one category"):
        services.plan_categories_set(actor=cast.manager, plan_id=plan.id, offered=[], with_sla=[])
    Category.objects.filter(code="bug").update(is_active=False)
    with pytest.raises(InvalidInput, match="No active category bug"):
        services.plan_categories_set(
            actor=cast.manager, plan_id=plan.id, offered=["bug"], with_sla=[]
        )


def test_manager_adds_a_plan_offering_the_ticked_categories(client, cast):
    template = cast.tenant_a.plan
    client.force_login(cast.manager)
    data = plan_form_data(template)
    data.update(name="Gold", categories_offered=["bug", "question"], categories_with_sla=["bug"])
    for prefix in ("priorities", "intake_fields"):
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = 0
    response = client.post(reverse("admin:tenants_supportplan_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    gold = PlanCategory.objects.filter(plan__name="Gold")
    assert dict(gold.values_list("category__code", "sla_applies")) == {
        "bug": True,
        "question": False,
    }
