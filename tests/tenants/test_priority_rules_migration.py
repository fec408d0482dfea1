"""tenants 0012 keeps what `phone_for_critical` and `support_phone` meant: the plan's
rank-1 priority asks for a call as well, and the number serves every region. Backwards,
the old fields come back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tenants", "0011_account_roles_as_data")]
AFTER = [("tenants", "0012_priority_and_channel_rules")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_forwards_turns_the_phone_flag_into_a_channel_rule_and_the_number_into_a_row():
    old = migrate(BEFORE)
    try:
        calendar = old.get_model("sla", "Calendar").objects.create(
            name="Office", time_zone="UTC", weekly_hours={"mon": [["09:00", "17:00"]]}
        )
        Plan = old.get_model("tenants", "SupportPlan")
        Priority = old.get_model("tenants", "PlanPriority")
        premier = Plan.objects.create(
            name="Premier", calendar=calendar, phone_for_critical=True, support_phone="+1 555 0100"
        )
        standard = Plan.objects.create(name="Standard", calendar=calendar, support_phone="")
        listed = Plan.objects.create(name="Listed", calendar=calendar, support_phone="+44 20 1")
        for plan in (premier, standard, listed):
            for rank in (1, 2):
                Priority.objects.create(
                    plan=plan, code=f"P{rank}", name="x", definition="x", rank=rank
                )
        new = migrate(AFTER)
        Priority = new.get_model("tenants", "PlanPriority")
        Phone = new.get_model("tenants", "SupportPhone")
        rules = dict(Priority.objects.filter(code="P1").values_list("plan__name", "channel_rule"))
        assert rules == {"Premier": "portal_and_phone", "Standard": "portal", "Listed": "portal"}
        assert set(Priority.objects.filter(code="P2").values_list("channel_rule", flat=True)) == {
            "portal"
        }
        phones = sorted(Phone.objects.values_list("plan__name", "region", "countries", "number"))
        assert phones == [
            ("Listed", "All regions", [], "+44 20 1"),
            ("Premier", "All regions", [], "+1 555 0100"),
        ]
        back = migrate(BEFORE)
        Plan = back.get_model("tenants", "SupportPlan")
        assert sorted(Plan.objects.values_list("name", "phone_for_critical", "support_phone")) == [
            ("Listed", False, "+44 20 1"),
            ("Premier", True, "+1 555 0100"),
            ("Standard", False, ""),
        ]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
