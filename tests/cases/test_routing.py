"""Routing: support groups, the rules that route a new case, the member who takes it,
transfers between groups, and plan precedence in the queue."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.models import (
    AssignPolicy,
    Case,
    CaseEvent,
    GroupMembership,
    RoutingRule,
    State,
    SupportGroup,
)
from cases.services.routing import routing_rule_for
from notifications.models import InboundEmail
from supportdesk.errors import (
    InvalidInput,
    NotFound,
    NotPermitted,
    StateConflict,
    VersionConflict,
)
from tenants.models import EnvironmentKind
from tenants.roles import Role
from tenants.services import plan_reapply, tenant_plan_reapply
from tests.cases.helpers import file_case, fresh
from tests.cases.test_inbound import PIPE, eml
from tests.factories import (
    CaseFactory,
    ContactFactory,
    SupportPlanFactory,
    TenantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:cases_case_changelist")
T0 = dt.datetime(2026, 4, 7, 14, 0, tzinfo=dt.UTC)


def group(name: str, *members, available: bool = True) -> SupportGroup:
    made = SupportGroup.objects.create(name=name)
    for user in members:
        GroupMembership.objects.create(group=made, user=user, is_available=available)
    return made


def rule(name: str, to: SupportGroup, order: int = 10, **criteria) -> RoutingRule:
    plans = criteria.pop("plans", [])
    tenants = criteria.pop("tenants", [])
    made = RoutingRule.objects.create(name=name, group=to, order=order, **criteria)
    made.plans.set(plans)
    made.tenants.set(tenants)
    return made


def engineer(username: str):
    return UserFactory(username=username, roles=[Role.ENGINEER])


def routed_event(case: Case) -> CaseEvent:
    return case.events.get(kind=CaseEvent.Kind.ROUTED)


# Matching


def test_a_case_matching_no_rule_stays_ungrouped_and_unassigned_with_no_routing_event(cast):
    rule("Outages", group("Tier 2"), categories=["outage"])
    case = fresh(file_case(cast))
    assert (case.group, case.owner) == (None, None)
    assert not case.events.filter(kind=CaseEvent.Kind.ROUTED).exists()


@pytest.mark.parametrize(
    ("criteria", "matches"),
    [
        ({"categories": ["bug", "outage"]}, True),
        ({"categories": ["question"]}, False),
        ({"priority_ranks": [2]}, True),  # the cast's case is P2, rank 2 in the plan
        ({"priority_ranks": [1]}, False),
        ({"environments": [EnvironmentKind.PRODUCTION]}, True),
        ({"environments": [EnvironmentKind.SANDBOX, EnvironmentKind.TEST]}, False),
        ({}, True),  # no criteria: every case
    ],
)
def test_rule_matches_by_category_priority_rank_and_environment(cast, criteria, matches):
    tier2 = group("Tier 2")
    rule("The rule", tier2, **criteria)
    assert fresh(file_case(cast)).group == (tier2 if matches else None)


def test_rule_matches_by_plan_tier_and_by_tenant(cast):
    gold = SupportPlanFactory(name="Gold")
    gold_customer = TenantFactory(plan=gold, reference_prefix="GOLD")
    gold_contact = ContactFactory(tenant=gold_customer).user
    premium = group("Premium desk")
    globex_team = group("Globex team")
    rule("Gold tier", premium, order=1, plans=[gold])
    rule("Globex", globex_team, order=2, tenants=[cast.tenant_b])
    on_gold = file_case(cast, actor=gold_contact, tenant_id=gold_customer.id)
    of_globex = file_case(cast, actor=cast.contact_b, tenant_id=cast.tenant_b.id)
    of_acme = file_case(cast)
    assert fresh(on_gold).group == premium
    assert fresh(of_globex).group == globex_team
    assert fresh(of_acme).group is None


def test_every_criterion_of_a_rule_must_match(cast):
    rule("Production outages", group("Tier 2"), categories=["bug"], priority_ranks=[1])
    assert fresh(file_case(cast)).group is None  # a bug, but P2


def test_first_active_rule_by_order_wins_and_inactive_rules_are_skipped(cast):
    owners, tier2, tier1 = group("Product owners"), group("Tier 2"), group("Tier 1")
    rule("Catch-all", tier1, order=30)
    rule("Bugs", tier2, order=20, categories=["bug"])
    rule("Bugs of Acme (off)", owners, order=10, tenants=[cast.tenant_a], is_active=False)
    case = fresh(file_case(cast))
    assert case.group == tier2
    assert routed_event(case).message == "Routed to Tier 2 by rule Bugs"
    RoutingRule.objects.filter(name="Bugs").update(order=40)
    assert fresh(file_case(cast)).group == tier1


def test_a_rule_to_an_inactive_group_is_passed_over(cast):
    closed = group("Disbanded")
    closed.is_active = False
    closed.save()
    rule("To the old team", closed, order=1)
    rule("Everything else", group("Tier 1"), order=2)
    assert fresh(file_case(cast)).group.name == "Tier 1"


def test_editing_rules_never_moves_existing_cases(cast):
    tier1, tier2 = group("Tier 1"), group("Tier 2")
    first = rule("Everything", tier1)
    case = file_case(cast)
    first.group = tier2
    first.save()
    RoutingRule.objects.create(name="New first", group=tier2, order=1)
    assert fresh(case).group == tier1


def test_routing_event_is_internal_and_by_the_system(cast):
    rule("Everything", group("Tier 1"))
    event = routed_event(file_case(cast))
    assert (event.public, event.actor, event.data["rule"]) == (False, None, "Everything")


# Assignment


def test_round_robin_gives_each_case_to_the_member_assigned_longest_ago(cast):
    ada, bob, cyd = engineer("ada@support.test"), engineer("bob@support.test"), engineer("cyd@s.t")
    team = group("Tier 2", ada, bob, cyd)
    GroupMembership.objects.filter(user=ada).update(last_assigned_at=T0 - dt.timedelta(hours=1))
    GroupMembership.objects.filter(user=bob).update(last_assigned_at=T0 - dt.timedelta(hours=2))
    rule("Round robin", team, assign=AssignPolicy.ROUND_ROBIN)
    owners = []
    for minute in range(4):
        with time_machine.travel(T0 + dt.timedelta(minutes=minute), tick=False):
            owners.append(fresh(file_case(cast)).owner)
    # Never assigned goes first, then the oldest assignment, and round again.
    assert owners == [cyd, bob, ada, cyd]
    case = Case.objects.order_by("id").first()
    assert case.state == State.NEW  # the owner starts work by taking it
    assert "assigned to" in routed_event(case).message
    assert "(round-robin)" in routed_event(case).message


def test_least_loaded_gives_the_case_to_the_member_with_fewest_open_cases(cast):
    busy, idle = engineer("busy@support.test"), engineer("idle@support.test")
    team = group("Tier 2", busy, idle)
    for _ in range(2):
        CaseFactory(tenant=cast.tenant_b, owner=busy, state=State.IN_PROGRESS)
    CaseFactory(tenant=cast.tenant_b, owner=idle, state=State.IN_PROGRESS)
    # Closed cases are not load.
    for _ in range(3):
        CaseFactory(
            tenant=cast.tenant_b,
            owner=idle,
            state=State.CLOSED,
            close_reason="resolved",
            closed_at=T0,
        )
    rule("Least loaded", team, assign=AssignPolicy.LEAST_LOADED)
    assert fresh(file_case(cast)).owner == idle
    # Now two each: the tie goes to the one assigned longest ago (busy, never).
    assert fresh(file_case(cast)).owner == busy


def test_members_away_non_engineers_and_inactive_accounts_are_never_assigned(cast):
    away = engineer("away@support.test")
    security = UserFactory(username="sec@support.test", roles=[Role.SECURITY])
    gone = engineer("gone@support.test")
    gone.is_active = False
    gone.save()
    customer = cast.contact_a
    working = engineer("work@support.test")
    team = group("Tier 2", security, gone, customer)
    GroupMembership.objects.create(group=team, user=away, is_available=False)
    rule("Round robin", team, assign=AssignPolicy.ROUND_ROBIN)
    case = fresh(file_case(cast))
    assert (case.group, case.owner) == (team, None)
    assert "nobody in the group is working now" in routed_event(case).message
    GroupMembership.objects.create(group=team, user=working)
    assert fresh(file_case(cast)).owner == working


def test_a_rule_without_assignment_leaves_the_case_to_the_groups_queue(cast):
    rule("Tier 2", group("Tier 2", engineer("ada@support.test")), assign=AssignPolicy.NONE)
    case = fresh(file_case(cast))
    assert case.owner is None
    assert case.group.name == "Tier 2"


def test_an_engineer_sets_their_own_availability_only_in_their_groups(cast):
    team = group("Tier 2", cast.engineer)
    other = group("Tier 3")
    assert services.group_membership_set_available(
        actor=cast.engineer, group_id=team.id, available=False
    )
    assert not GroupMembership.objects.get(user=cast.engineer).is_available
    with pytest.raises(NotFound):
        services.group_membership_set_available(
            actor=cast.engineer, group_id=other.id, available=False
        )
    with pytest.raises(NotPermitted):
        services.group_membership_set_available(
            actor=cast.contact_a, group_id=team.id, available=True
        )


# Every channel is routed


def test_routing_applies_to_staff_logged_cases(cast):
    rule("Everything", group("Tier 1"))
    case = file_case(cast, actor=cast.engineer, reporter=cast.contact_a, channel="phone")
    assert fresh(case).group.name == "Tier 1"


def test_routing_applies_to_cases_filed_by_email(cast):
    rule("Everything from Acme", group("Tier 1"), tenants=[cast.tenant_a])
    ContactFactory(tenant=cast.tenant_a, user=UserFactory(username="juergen@acme.test"))
    record = services.inbound_receive(eml("new-html-only-iso-8859-1.eml"), source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    assert Case.objects.get(id=record.case_id).group.name == "Tier 1"


def test_routing_applies_to_cases_filed_in_the_portal(client, cast):
    rule("Outages", group("Tier 2"), categories=["outage"])
    client.force_login(cast.contact_a)
    response = client.post(
        reverse("portal:case_new"),
        {
            "summary": "Checkout returns 500",
            "category": "outage",
            "priority": "P2",
            "business_impact": "2",
            "environment": "1",
            "environment_access": "granted",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Case.objects.get().group.name == "Tier 2"


# Transfer


def test_transfer_moves_the_case_with_an_internal_note_and_clears_an_outsider_owner(cast):
    tier1, owners = group("Tier 1", cast.engineer), group("Product owners")
    rule("Everything", tier1, assign=AssignPolicy.ROUND_ROBIN)
    case = fresh(file_case(cast))
    assert case.owner == cast.engineer
    moved = services.case_transfer(
        case_id=case.id,
        actor=cast.engineer,
        group_id=owners.id,
        note="A question about the roadmap.",
        expected_version=case.version,
    )
    moved = fresh(moved)
    assert (moved.group, moved.owner, moved.version) == (owners, None, case.version + 1)
    event = moved.events.get(kind=CaseEvent.Kind.GROUP_TRANSFERRED)
    assert not event.public
    assert not event.comment.public
    assert event.comment.body == "A question about the roadmap."
    assert event.message == "Transferred from Tier 1 to Product owners; unassigned"


def test_transfer_keeps_an_owner_who_belongs_to_the_new_group(cast):
    tier1 = group("Tier 1", cast.engineer)
    tier2 = group("Tier 2", cast.engineer, available=False)
    rule("Everything", tier1, assign=AssignPolicy.ROUND_ROBIN)
    case = file_case(cast)
    moved = services.case_transfer(
        case_id=case.id, actor=cast.engineer, group_id=tier2.id, note="Needs tier 2."
    )
    assert (fresh(moved).group, fresh(moved).owner) == (tier2, cast.engineer)


def test_transfer_needs_a_note_an_engineer_an_open_case_another_group_and_the_version(cast):
    tier1, tier2 = group("Tier 1"), group("Tier 2")
    rule("Everything", tier1)
    case = fresh(file_case(cast))
    with pytest.raises(InvalidInput) as refused:
        services.case_transfer(case_id=case.id, actor=cast.engineer, group_id=tier2.id, note=" ")
    assert "note" in refused.value.field_errors
    with pytest.raises(NotPermitted):
        services.case_transfer(case_id=case.id, actor=cast.contact_a, group_id=tier2.id, note="x")
    with pytest.raises(InvalidInput):
        services.case_transfer(case_id=case.id, actor=cast.engineer, group_id=tier1.id, note="x")
    with pytest.raises(VersionConflict):
        services.case_transfer(
            case_id=case.id,
            actor=cast.engineer,
            group_id=tier2.id,
            note="x",
            expected_version=case.version + 1,
        )
    services.case_close(case_id=case.id, actor=cast.engineer, reason="resolved", note="Done.")
    with pytest.raises(StateConflict):
        services.case_transfer(case_id=case.id, actor=cast.engineer, group_id=tier2.id, note="x")
    assert fresh(case).group == tier1
    assert not fresh(case).events.filter(kind=CaseEvent.Kind.GROUP_TRANSFERRED).exists()


def test_transfer_to_an_inactive_group_is_refused(cast):
    case = file_case(cast)
    gone = SupportGroup.objects.create(name="Gone", is_active=False)
    with pytest.raises(InvalidInput):
        services.case_transfer(case_id=case.id, actor=cast.engineer, group_id=gone.id, note="x")


# Plan precedence in the queue


def test_higher_plan_precedence_goes_first_within_a_priority_but_not_across(client, cast):
    premium = SupportPlanFactory(name="Premium", queue_precedence=10)
    vip = TenantFactory(plan=premium, reference_prefix="VIP")
    standard_p2 = CaseFactory(tenant=cast.tenant_a, priority="P2")
    premium_p2 = CaseFactory(tenant=vip, priority="P2", plan_precedence=10)
    premium_p3 = CaseFactory(tenant=vip, priority="P3", plan_precedence=10)
    standard_p1 = CaseFactory(tenant=cast.tenant_a, priority="P1")
    client.force_login(cast.engineer)
    listed = [c.reference for c in client.get(QUEUE).context["cl"].result_list]
    assert listed == [
        standard_p1.reference,
        premium_p2.reference,
        standard_p2.reference,
        premium_p3.reference,
    ]


def test_case_create_copies_the_plans_precedence(cast):
    plan = cast.tenant_a.plan
    plan.queue_precedence = 5
    plan.save()
    assert fresh(file_case(cast)).plan_precedence == 5


def test_reapplying_a_plan_updates_the_precedence_of_its_open_cases_only(cast):
    open_case = file_case(cast)
    closed = file_case(cast)
    services.case_close(case_id=closed.id, actor=cast.engineer, reason="resolved", note="Done.")
    version = fresh(open_case).version
    plan = cast.tenant_a.plan
    plan.queue_precedence = 7
    plan.save()
    plan_reapply(plan_id=plan.id)
    assert fresh(open_case).plan_precedence == 7
    assert fresh(open_case).version == version  # derived data, like the rank
    assert fresh(closed).plan_precedence == 0


def test_moving_a_tenant_to_another_plan_takes_that_plans_precedence(cast):
    case = file_case(cast)
    cast.tenant_a.plan = SupportPlanFactory(name="Premium", queue_precedence=3)
    cast.tenant_a.save()
    tenant_plan_reapply(tenant_id=cast.tenant_a.id)
    assert fresh(case).plan_precedence == 3


def test_reopening_takes_the_plans_precedence_afresh(cast):
    case = file_case(cast)
    services.case_close(case_id=case.id, actor=cast.engineer, reason="resolved", note="Done.")
    plan = cast.tenant_a.plan
    plan.queue_precedence = 4
    plan.save()
    services.case_reopen(case_id=case.id, actor=cast.contact_a, reason="Still broken.")
    assert fresh(case).plan_precedence == 4


def test_routing_rule_for_reads_a_fixed_number_of_queries(cast, django_assert_num_queries):
    for n in range(5):
        rule(f"Rule {n}", group(f"Group {n}"), order=n, categories=["question"])
    case = CaseFactory(tenant=cast.tenant_a)
    case = Case.objects.select_related("tenant").get(id=case.id)
    with django_assert_num_queries(3):  # rules with groups, their plans, their tenants
        assert routing_rule_for(case) is None
