"""Migration tenants/0009: the category enum and each plan's `sla_categories` list become
rows, and back, without losing a plan's choice."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tenants", "0008_letter_submitter_and_contact_remover")]
AFTER = [("tenants", "0009_categories_as_data")]
OLD_CODES = [
    "request",
    "question",
    "feature_flag_request",
    "functionality_issue",
    "performance_issue",
    "outage",
    "bug",
    "enhancement_request",
]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_migration_turns_each_plans_sla_list_into_offered_categories_and_back():
    executor = _migrate(BEFORE)
    try:
        apps = executor.loader.project_state(BEFORE).apps
        calendar = apps.get_model("sla", "Calendar").objects.create(name="Office", time_zone="UTC")
        plans = apps.get_model("tenants", "SupportPlan").objects
        custom = plans.create(
            name="Custom", calendar=calendar, sla_categories=["question", "outage"]
        )
        default = plans.create(name="Default", calendar=calendar)

        executor = _migrate(AFTER)
        apps = executor.loader.project_state(AFTER).apps
        Category = apps.get_model("tenants", "Category")
        PlanCategory = apps.get_model("tenants", "PlanCategory")
        names = dict(Category.objects.values_list("code", "name"))
        assert names["feature_flag_request"] == "Feature flag request"
        assert names["customization_request"] == "Customization / development request"
        assert names["billing"] == "Billing enquiry"
        assert names["general_enquiry"] == "General enquiry"
        assert len(names) == 11
        assert Category.objects.get(code="outage").description == "The service is down or unusable."

        def offered(plan_id: int) -> dict[str, bool]:
            rows = PlanCategory.objects.filter(plan_id=plan_id).order_by("order")
            return dict(rows.values_list("category__code", "sla_applies"))

        assert list(offered(custom.id)) == OLD_CODES  # the old order, none of the new three
        assert {code for code, sla in offered(custom.id).items() if sla} == {"question", "outage"}
        assert {code for code, sla in offered(default.id).items() if sla} == {
            "functionality_issue",
            "performance_issue",
            "outage",
            "bug",
        }
        # A plan that then stops SLA on outages keeps that when migrated back.
        PlanCategory.objects.filter(plan_id=custom.id, category__code="outage").update(
            sla_applies=False
        )

        executor = _migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        plans = apps.get_model("tenants", "SupportPlan").objects
        assert plans.get(id=custom.id).sla_categories == ["question"]
        assert sorted(plans.get(id=default.id).sla_categories) == [
            "bug",
            "functionality_issue",
            "outage",
            "performance_issue",
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
