"""A tenant's account team and its customer escalation path."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q, QuerySet

from supportdesk.types import AnyUser, User
from tenants.access import tenants_for
from tenants.models import AccountRole, AccountTeamMember, EscalationLevel, Tenant
from tenants.roles import Role

# The roles every desk has (the data migration makes them; `ensure_account_roles` makes
# any missing after a migrate or a test database flush): code, name, may escalate at once,
# shown in the portal by default. Staff edit them, and add others, in the admin.
STANDARD_ROLES = (
    (AccountRole.CUSTOMER_SUCCESS_MANAGER, "Customer success manager", False, True),
    (AccountRole.CUSTOMER_SUCCESS_DIRECTOR, "Customer success director", False, True),
    (AccountRole.SOLUTIONS_ENGINEER, "Solutions engineer", False, True),
    (AccountRole.COO, "Chief operating officer", False, False),
    (AccountRole.CEO, "Chief executive officer", False, False),
    (AccountRole.TECHNICAL_ACCOUNT_MANAGER, "Technical account manager", True, True),
    (AccountRole.CUSTOMER_SUCCESS_PRINCIPAL, "Customer success principal", False, True),
    (AccountRole.CUSTOMER_SUPPORT_MANAGER, "Customer support manager", False, True),
)


def ensure_account_roles(*, using: str = DEFAULT_DB_ALIAS, **_: object) -> None:
    """Create the standard roles that are missing (after migrate); never changes one. A
    database migrated only part of the way (no roles table yet) is left alone."""
    if AccountRole._meta.db_table not in connections[using].introspection.table_names():
        return
    for order, (code, name, immediately, shown) in enumerate(STANDARD_ROLES, start=1):
        AccountRole.objects.using(using).get_or_create(
            code=code,
            defaults={
                "name": name,
                "can_escalate_immediately": immediately,
                "shown_in_portal_by_default": shown,
                "order": order * 10,
            },
        )


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
    role_label: str


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    user: User | None = None


def account_team_of(user: AnyUser, tenant_id: int) -> QuerySet[AccountTeamMember]:
    """The team the portal shows the tenant (executives on the path may be hidden)."""
    return AccountTeamMember.objects.filter(
        AccountTeamMember.SHOWN_IN_PORTAL, tenant__in=tenants_for(user), tenant_id=tenant_id
    ).select_related("user", "role")


def escalation_path(tenant: Tenant) -> list[PathLevel]:
    """The tenant's own levels when it has any, else its plan's, else the default."""
    # One read for both: the tenant's rows win over the plan's.
    rows = list(
        EscalationLevel.objects.filter(Q(tenant=tenant) | Q(plan_id=tenant.plan_id))
        .select_related("role")
        .order_by("level")
    )
    levels = [row for row in rows if row.tenant_id == tenant.pk]
    if not levels:
        levels = [row for row in rows if row.plan_id == tenant.plan_id]
    if not levels:
        names = dict(
            AccountRole.objects.filter(code__in=[role for _, role, _ in DEFAULT_PATH]).values_list(
                "code", "name"
            )
        )
        return [
            PathLevel(level, role, rise, names.get(role, role))
            for level, role, rise in DEFAULT_PATH
        ]
    return [PathLevel(row.level, row.role_id, row.rise_after, row.role.name) for row in levels]


def people_in_roles(tenant: Tenant, roles: list[str]) -> list[Person]:
    """The account team members holding these roles, in the order given. When nobody
    holds any of them, the support managers, so nothing meant for a person goes unheard."""
    members = {
        member.role_id: member
        for member in AccountTeamMember.objects.filter(
            tenant=tenant, role__code__in=roles
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
