"""Routing in the staff admin: groups and rules pages, availability, the queue's group
filter and column, the case page's and the queue's transfer, and the queue's index."""

import pytest
from django.db import connection
from django.urls import reverse

from cases.models import AssignPolicy, Case, CaseEvent, GroupMembership, RoutingRule, SupportGroup
from cases.selectors import open_cases_q, queue_for
from tenants.roles import Role
from tests.cases.helpers import file_case, fresh
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:cases_case_changelist")
RULES = reverse("admin:cases_routingrule_changelist")
GROUPS = reverse("admin:cases_supportgroup_changelist")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_manager_adds_a_rule_with_ticked_criteria_and_no_json(client, cast):
    tier2 = SupportGroup.objects.create(name="Tier 2")
    client.force_login(cast.manager)
    form = client.get(reverse("admin:cases_routingrule_add")).content.decode()
    assert 'type="checkbox" name="categories" value="outage"' in form
    assert 'name="priority_ranks" value="1"' in form
    assert "1 (P1)" in form
    assert 'name="environments" value="1"' in form
    assert "<textarea" not in form  # no raw JSON box
    response = client.post(
        reverse("admin:cases_routingrule_add"),
        {
            "order": "5",
            "name": "Production P1 outages",
            "is_active": "on",
            "categories": ["outage", "bug"],
            "priority_ranks": ["1"],
            "environments": ["1"],
            "plans": [str(cast.tenant_a.plan_id)],
            "group": str(tier2.id),
            "assign": AssignPolicy.LEAST_LOADED,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = RoutingRule.objects.get()
    assert (rule.categories, rule.priority_ranks, rule.environments) == (
        ["outage", "bug"],
        [1],
        [1],
    )
    assert list(rule.plans.all()) == [cast.tenant_a.plan]
    listing = client.get(RULES).content.decode()
    assert "Outage, Bug; rank 1; Production" in listing
    assert 'name="form-0-order"' in listing  # the order is edited in the list


def test_engineer_reads_groups_and_rules_but_cannot_change_them(client, cast):
    tier2 = SupportGroup.objects.create(name="Tier 2")
    rule = RoutingRule.objects.create(name="All", group=tier2)
    client.force_login(cast.engineer)
    assert client.get(RULES).status_code == 200
    assert client.get(GROUPS).status_code == 200
    change = reverse("admin:cases_routingrule_change", args=[rule.id])
    assert client.post(change, {"name": "Mine", "order": "1", "group": tier2.id}).status_code == 403
    assert client.get(reverse("admin:cases_supportgroup_add")).status_code == 403
    assert RoutingRule.objects.get().name == "All"


def test_engineer_says_they_are_away_and_working_again_from_the_group_list(client, cast):
    tier2 = SupportGroup.objects.create(name="Tier 2")
    other = SupportGroup.objects.create(name="Tier 3")
    GroupMembership.objects.create(group=tier2, user=cast.engineer)
    GroupMembership.objects.create(group=other, user=cast.manager)
    client.force_login(cast.engineer)
    response = client.post(
        GROUPS, {"action": "set_away", "_selected_action": [tier2.id, other.id]}, follow=True
    )
    assert not GroupMembership.objects.get(user=cast.engineer).is_available
    assert GroupMembership.objects.get(user=cast.manager).is_available  # not theirs
    assert any("not a member" in m for m in messages_of(response))
    client.post(GROUPS, {"action": "set_working", "_selected_action": [tier2.id]})
    assert GroupMembership.objects.get(user=cast.engineer).is_available


def test_manager_adds_members_inline_from_support_staff(client, cast):
    client.force_login(cast.manager)
    response = client.post(
        reverse("admin:cases_supportgroup_add"),
        {
            "name": "Product owners",
            "description": "Questions about the roadmap.",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": str(cast.engineer.id),
            "memberships-0-is_available": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    group = SupportGroup.objects.get()
    assert list(group.members.all()) == [cast.engineer]
    # Customers are no choice for membership.
    refused = client.post(
        reverse("admin:cases_supportgroup_change", args=[group.id]),
        {
            "name": "Product owners",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": str(cast.contact_a.id),
        },
    )
    assert refused.status_code == 200
    assert list(group.members.all()) == [cast.engineer]


def test_queue_filters_by_group_and_my_groups_and_shows_the_group(client, cast):
    tier2 = SupportGroup.objects.create(name="Tier 2")
    tier3 = SupportGroup.objects.create(name="Tier 3")
    GroupMembership.objects.create(group=tier2, user=cast.engineer)
    mine = CaseFactory(tenant=cast.tenant_a, group=tier2)
    theirs = CaseFactory(tenant=cast.tenant_a, group=tier3)
    loose = CaseFactory(tenant=cast.tenant_a)
    client.force_login(cast.engineer)

    def listed(query: str) -> set[str]:
        return {c.reference for c in client.get(QUEUE + query).context["cl"].result_list}

    assert listed("?group=mine") == {mine.reference}
    assert listed(f"?group={tier3.id}") == {theirs.reference}
    assert listed("?group=none") == {loose.reference}
    html = client.get(QUEUE).content.decode()
    assert "<br><small>Tier 2</small></td>" in html


def test_case_page_transfers_to_another_group_with_a_note(client, cast):
    tier1 = SupportGroup.objects.create(name="Tier 1")
    owners = SupportGroup.objects.create(name="Product owners")
    RoutingRule.objects.create(name="All", group=tier1)
    case = fresh(file_case(cast))
    client.force_login(cast.engineer)
    page = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    assert "Transfer to another group" in page
    act = reverse("admin:cases_case_act", args=[case.id, "transfer_to_group"])
    form = client.get(act).content.decode()
    assert "Product owners" in form
    assert f'<option value="{tier1.id}"' not in form  # not the group it is with
    response = client.post(
        act,
        {
            "transfer_to_group-group": owners.id,
            "transfer_to_group-note": "Roadmap question.",
            "transfer_to_group-expected_version": case.version,
        },
    )
    assert response.status_code == 302
    assert fresh(case).group == owners
    assert fresh(case).events.filter(kind=CaseEvent.Kind.GROUP_TRANSFERRED).exists()


def test_queue_bulk_transfer_calls_the_service_for_each_case(client, cast):
    owners = SupportGroup.objects.create(name="Product owners")
    first, second = file_case(cast), file_case(cast, "Another")
    client.force_login(cast.engineer)
    client.post(
        QUEUE,
        {
            "action": "transfer_to_group",
            "_selected_action": [first.id, second.id],
            "apply": "1",
            "group": owners.id,
            "note": "All roadmap questions.",
        },
    )
    assert set(Case.objects.values_list("group__name", flat=True)) == {"Product owners"}
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.GROUP_TRANSFERRED).count() == 2


def test_bulk_transfer_without_a_note_asks_again_and_changes_nothing(client, cast):
    owners = SupportGroup.objects.create(name="Product owners")
    case = file_case(cast)
    client.force_login(cast.engineer)
    response = client.post(
        QUEUE,
        {
            "action": "transfer_to_group",
            "_selected_action": [case.id],
            "apply": "1",
            "group": owners.id,
            "note": "",
        },
    )
    assert response.status_code == 200
    assert fresh(case).group is None


def test_security_is_offered_no_transfer(client, cast):
    security = UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    case = file_case(cast)
    client.force_login(security)
    page = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    assert "Transfer to another group" not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_queue_first_page_reads_the_queue_order_index_without_sorting(cast):
    for n in range(30):
        CaseFactory(tenant=cast.tenant_a, priority=f"P{n % 4 + 1}", plan_precedence=n % 3)
    first_page = queue_for(cast.engineer).filter(open_cases_q())[:50]
    with connection.cursor() as cursor:
        # A tiny table is cheaper to sort than to walk: take the cheap ways away, so a
        # Sort is left in the plan only if no index has the queue's order.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        plan = first_page.explain()
    # Either order index serves it (the partial one, or the full one filtered): what
    # matters is that the order, precedence included, comes from an index, not a Sort.
    assert "case_open_queue_order" in plan or "case_queue_order" in plan, plan
    assert "Sort" not in plan, plan
