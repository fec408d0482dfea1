"""Routing: which group works a new case, and which of its members takes it.

`case_route` runs once, inside `case_create`, for every channel: the first active rule
(by `order`) whose criteria all match sets the case's group and, by the rule's policy,
an owner among the group's members who are working now and hold the engineer role.
Rules look at the case as filed; editing them later moves no case. Staff move a case
between groups with `case_transfer`, always with an internal note saying why.
"""

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from cases.models import (
    AssignPolicy,
    Case,
    CaseEvent,
    Comment,
    GroupMembership,
    RoutingRule,
    State,
    SupportGroup,
)
from cases.services.common import check_version, locked_case, record_event, save_case
from supportdesk.errors import InvalidInput, NotFound, StateConflict, require_text
from supportdesk.types import User
from tenants.roles import require_role, support_staff

_POLICY_WORDS: dict[str, str] = {
    AssignPolicy.ROUND_ROBIN: "round-robin",
    AssignPolicy.LEAST_LOADED: "least loaded",
}


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def routing_rule_for(case: Case) -> RoutingRule | None:
    """The first active rule, by order, that the case matches; None if none does."""
    rules = (
        RoutingRule.objects.filter(is_active=True, group__is_active=True)
        .select_related("group")
        .prefetch_related("plans", "tenants")
    )
    for rule in rules:
        plan_ids = {plan.id for plan in rule.plans.all()}
        tenant_ids = {tenant.id for tenant in rule.tenants.all()}
        if rule.matches(case, plan_ids, tenant_ids):
            return rule
    return None


def assignable_members(group: SupportGroup) -> QuerySet[GroupMembership]:
    """The group's members who may be given a case now: working, and active staff holding
    the engineer role (or one above it); Security and deactivated accounts are skipped."""
    engineers = support_staff().order_by().values("id")
    return group.memberships.filter(is_available=True, user__in=engineers)


def _pick_member(group: SupportGroup, policy: str) -> GroupMembership | None:
    members = assignable_members(group).select_related("user")
    oldest_first = (F("last_assigned_at").asc(nulls_first=True), "id")
    if policy == AssignPolicy.ROUND_ROBIN:
        return members.order_by(*oldest_first).first()
    if policy == AssignPolicy.LEAST_LOADED:
        # One aggregate query: each member's open owned cases, counted in the database.
        open_owned = Count("user__owned_cases", filter=~Q(user__owned_cases__state=State.CLOSED))
        return members.annotate(load=open_owned).order_by("load", *oldest_first).first()
    return None


def case_route(case: Case) -> RoutingRule | None:
    """Give a case just filed its group and, by the matching rule, an owner; record why on
    the timeline (internal). Runs in `case_create`'s transaction. The case stays new: the
    owner starts work by taking it, as with any case handed to them. Routing is part of
    filing, so it bumps neither the version nor the update time."""
    rule = routing_rule_for(case)
    if rule is None:
        return None
    group = rule.group
    # The group's row lock queues concurrent filings, so round-robin hands out in turn.
    SupportGroup.objects.select_for_update().filter(id=group.id).first()
    member = _pick_member(group, rule.assign)
    case.group = group
    fields: dict[str, object] = {"group": group}
    message = f"Routed to {group.name} by rule {rule.name}"
    if member is not None:
        case.owner = member.user
        fields["owner"] = member.user
        message += f", assigned to {_name(member.user)} ({_POLICY_WORDS[rule.assign]})"
        GroupMembership.objects.filter(id=member.id).update(last_assigned_at=timezone.now())
    elif rule.assign != AssignPolicy.NONE:
        message += "; nobody in the group is working now, so it waits unassigned"
    Case.objects.filter(id=case.id).update(**fields)
    record_event(
        case,
        None,
        CaseEvent.Kind.ROUTED,
        public=False,
        message=message,
        rule=rule.name,
        rule_id=rule.id,
        group=group.name,
        assign=rule.assign,
        owner=member.user.get_username() if member else "",
    )
    return rule


@transaction.atomic
def case_transfer(
    *,
    case_id: int,
    actor: User,
    group_id: int,
    note: str,
    expected_version: int | None = None,
) -> Case:
    """Refer a case to another group, with an internal note saying why. The owner keeps
    the case only if they belong to the new group; otherwise it waits there unassigned."""
    require_role(actor, what="transfer a case to another group")
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    note = require_text(note, "note", "Say why the case goes to the other group.")
    group = SupportGroup.objects.filter(id=group_id, is_active=True).first()
    if group is None:
        raise InvalidInput(
            "Choose an active group.", field_errors={"group": ["No such active group."]}
        )
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; reopen it before transferring it.")
    if case.group_id == group.id:
        raise InvalidInput(
            f"{case.reference} is already with {group.name}.",
            field_errors={"group": ["Choose another group."]},
        )
    previous = case.group
    owner = case.owner
    kept = owner is not None and group.memberships.filter(user=owner).exists()
    case.group = group
    fields = ["group"]
    if owner is not None and not kept:
        case.owner = None
        fields.append("owner")
    save_case(case, *fields)
    comment = Comment.objects.create(
        case=case, author=actor, body=note, public=False, by_staff=True
    )
    outcome = (
        f"{_name(owner)} stays the owner"
        if kept and owner is not None
        else "unassigned"
        if owner is not None
        else ""
    )
    record_event(
        case,
        actor,
        CaseEvent.Kind.GROUP_TRANSFERRED,
        public=False,
        comment=comment,
        message=f"Transferred from {previous.name if previous else 'no group'} to {group.name}"
        + (f"; {outcome}" if outcome else ""),
        from_group=previous.name if previous else "",
        to_group=group.name,
        previous_owner=owner.get_username() if owner else "",
        owner_kept=kept,
    )
    return case


@transaction.atomic
def group_membership_set_available(*, actor: User, group_id: int, available: bool) -> int:
    """An engineer says whether they are working now in a group they belong to (managers
    edit anyone's on the group's page). Returns how many memberships changed."""
    require_role(actor, what="say whether you are working now")
    membership = GroupMembership.objects.filter(group_id=group_id, user=actor).first()
    if membership is None:
        raise NotFound("You are not a member of that group.")
    if membership.is_available == available:
        return 0
    membership.is_available = available
    membership.save(update_fields=["is_available"])
    return 1
