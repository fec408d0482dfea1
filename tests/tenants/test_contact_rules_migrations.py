"""Migrations 0010 (contact rules) and 0011 (account roles as data) keep today's data: the
plans' contact limits, and the role codes stored on account teams and escalation paths,
which become foreign keys to the new role rows without the column changing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tenants", "0009_categories_as_data")]
AFTER = [("tenants", "0011_account_roles_as_data")]


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _files(tables: list[str]) -> dict[str, int]:
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relfilenode FROM pg_class WHERE relname = ANY(%s)", [tables]
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_forwards_keeps_limits_and_role_codes_and_adds_the_roles():
    old = _migrate(BEFORE)
    try:
        calendar = old.get_model("sla", "Calendar").objects.create(name="Old calendar")
        plan = old.get_model("tenants", "SupportPlan").objects.create(
            name="Old plan", calendar=calendar, max_portal_contacts=3
        )
        tenant = old.get_model("tenants", "Tenant").objects.create(
            name="Old tenant", reference_prefix="OLD", plan=plan
        )
        team = old.get_model("tenants", "AccountTeamMember")
        team.objects.create(
            tenant=tenant, role="coo", name="Olga", email="olga@vendor.test", shown_in_portal=True
        )
        # A code outside the old choices (the column never enforced them) keeps its row.
        team.objects.create(tenant=tenant, role="legacy_lead", email="lee@vendor.test")
        old.get_model("tenants", "EscalationLevel").objects.create(
            plan=plan, level=1, role="csm", rise_after="4bh"
        )

        files_before = _files(["tenants_accountteammember", "tenants_escalationlevel"])
        new = _migrate(AFTER)
        # No table was rewritten (PostgreSQL: the same files hold the rows).
        assert _files(["tenants_accountteammember", "tenants_escalationlevel"]) == files_before
        plan = new.get_model("tenants", "SupportPlan").objects.get(name="Old plan")
        assert plan.max_portal_contacts == 3
        assert (plan.recommended_min_contacts, plan.contact_notice_business_days) == (0, 0)
        assert (plan.partners_count_toward_limit, plan.partners_need_certification) == (
            False,
            False,
        )
        team = new.get_model("tenants", "AccountTeamMember")
        assert sorted(team.objects.values_list("role_id", flat=True)) == ["coo", "legacy_lead"]
        olga = team.objects.get(role_id="coo")
        assert olga.role.name == "Chief operating officer"
        assert olga.shown_in_portal is True  # kept, though the COO's default is hidden
        level = new.get_model("tenants", "EscalationLevel").objects.get()
        assert level.role.code == "csm"
        roles = new.get_model("tenants", "AccountRole").objects
        assert set(roles.values_list("code", flat=True)) >= {
            "csm",
            "cs_director",
            "solutions_engineer",
            "coo",
            "ceo",
            "technical_account_manager",
            "customer_success_principal",
            "customer_support_manager",
            "legacy_lead",
        }
        immediate = set(roles.filter(can_escalate_immediately=True).values_list("code", flat=True))
        assert immediate == {"technical_account_manager"}
        assert roles.get(code="customer_success_principal").name == "Customer success principal"
    finally:
        # Leave the schema as the rest of the suite expects it: every migration applied.
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_the_role_column_keeps_its_name_type_and_rows_on_postgresql():
    """On PostgreSQL, 0011 adds an index and a foreign key constraint to `role` and lets it
    hold 32 characters (a catalogue change for a varchar); `shown_in_portal` only drops NOT
    NULL. No column is renamed and no row updated. (SQLite remakes a table to add a
    constraint; the account team tables are small.)"""
    if connection.vendor != "postgresql":
        pytest.skip("the production database's SQL")
    out = StringIO()
    call_command("sqlmigrate", "tenants", "0011", stdout=out)
    statements = [line for line in out.getvalue().splitlines() if not line.startswith("--")]
    altering = [s for s in statements if s.startswith("ALTER TABLE")]
    assert altering
    widened = 'ALTER COLUMN "role" TYPE varchar(32) USING "role"::varchar(32);'
    for statement in altering:
        assert (
            ("ADD CONSTRAINT" in statement and 'FOREIGN KEY ("role")' in statement)
            or statement.endswith('ALTER COLUMN "shown_in_portal" DROP NOT NULL;')
            or statement.endswith(widened)
        ), statement
    assert not [s for s in statements if s.startswith(("UPDATE", "INSERT"))]
    assert "RENAME" not in out.getvalue()
