"""A tenant's account team and its customer escalation path."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from supportdesk.types import AnyUser, User
from tenants.access import tenants_for
from tenants.models import AccountRole, AccountTeamMember, EscalationLevel, Tenant
from tenants.roles import Role

# The path a plan without levels of its own gets: the CSM, their director, then the COO.
DEFAULT_PATH = (
    (1, AccountRole.CUSTOMER_SUCCESS_MANAGER, "1bd"),
    (2, AccountRole.CUSTOMER_SUCCESS_DIRECTOR, "1bd"),
    (3, AccountRole.COO, "1bd"),
)


@dataclass(frozen=True)
class PathLevel:
    level: int
    role: str
    rise_after: str

    @property
    def role_label(self) -> str:
        return AccountRole(self.role).label if self.role in AccountRole.values else self.role


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    user: User | None = None


def account_team_of(user: AnyUser, tenant_id: int) -> QuerySet[AccountTeamMember]:
    """The team the portal shows the tenant (executives on the path may be hidden)."""
    return AccountTeamMember.objects.filter(
        tenant__in=tenants_for(user), tenant_id=tenant_id, shown_in_portal=True
    ).select_related("user")


def escalation_path(tenant: Tenant) -> list[PathLevel]:
    """The tenant's own levels when it has any, else its plan's, else the default."""
    levels = list(EscalationLevel.objects.filter(tenant=tenant).order_by("level"))
    if not levels:
        levels = list(EscalationLevel.objects.filter(plan_id=tenant.plan_id).order_by("level"))
    if not levels:
        return [PathLevel(level, role, rise) for level, role, rise in DEFAULT_PATH]
    return [PathLevel(row.level, row.role, row.rise_after) for row in levels]


def people_in_roles(tenant: Tenant, roles: list[str]) -> list[Person]:
    """The account team members holding these roles, in the order given. When nobody
    holds any of them, the support managers, so nothing meant for a person goes unheard."""
    members = {
        member.role: member
        for member in AccountTeamMember.objects.filter(
            tenant=tenant, role__in=roles
        ).select_related("user")
    }
    people = [
        Person(
            name=members[role].display_name, email=members[role].address, user=members[role].user
        )
        for role in roles
        if role in members and members[role].address
    ]
    if people:
        return people
    managers = get_user_model().objects.filter(
        is_active=True, is_staff=True, groups__name=Role.MANAGER.value
    )
    return [
        Person(name=user.get_full_name() or user.email, email=user.email, user=user)
        for user in managers.order_by("id")
        if user.email
    ]
