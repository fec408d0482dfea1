"""Staff roles, wired to Django auth groups.

Roles nest: a manager may do what a triage lead may, and a triage lead what an
engineer may. Superusers hold every role.
"""

from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet


class Role(StrEnum):
    ENGINEER = "Support engineer"
    TRIAGE_LEAD = "Triage lead"
    MANAGER = "Support manager"


_RANK = {Role.ENGINEER: 1, Role.TRIAGE_LEAD: 2, Role.MANAGER: 3}

User = AbstractBaseUser | AnonymousUser


def _group_names(user: User) -> frozenset[str]:
    cached = getattr(user, "_supportdesk_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._supportdesk_groups = cached
    return cached


def highest_role(user: User) -> Role | None:
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return None
    if user.is_superuser:
        return Role.MANAGER
    held = [role for role in Role if role.value in _group_names(user)]
    return max(held, key=_RANK.__getitem__, default=None)


def has_role(user: User, role: Role) -> bool:
    held = highest_role(user)
    return held is not None and _RANK[held] >= _RANK[role]


def is_support_staff(user: User) -> bool:
    return highest_role(user) is not None


def support_staff() -> QuerySet:
    """Active users who hold a staff role (superusers included), by name: who may own a
    case."""
    return (
        get_user_model()
        .objects.filter(
            Q(is_superuser=True) | Q(groups__name__in=[role.value for role in Role]),
            is_active=True,
            is_staff=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


_OUR_APPS = ("tenants", "cases", "sla", "knowledge", "notifications")
_WORK_MODELS = {
    "case",
    "comment",
    "attachment",
    "contactattempt",
    "contactrequest",
    "letterofauthorization",
    "authorizedcontact",
    "notificationaddress",
    "knownissue",
    "article",
    "announcement",
}
_CONFIGURATION_MODELS = {
    "supportplan",
    "planpriority",
    "tenant",
    "partner",
    "partnermember",
    "calendar",
}


def ensure_role_groups(**_: object) -> None:
    """Create the role groups with the admin permissions each needs (after migrate).

    Every staff role may view everything and work cases; managers also configure plans,
    tenants, partners and calendars. Nothing is deletable through a role: closure is a
    state, not a delete."""
    from django.contrib.auth.models import Group, Permission

    ours = Permission.objects.filter(content_type__app_label__in=_OUR_APPS)
    view = ours.filter(codename__startswith="view_")
    work = ours.filter(content_type__model__in=_WORK_MODELS, codename__regex=r"^(add|change)_")
    configure = ours.filter(
        content_type__model__in=_CONFIGURATION_MODELS, codename__regex=r"^(add|change)_"
    )
    grants = {
        Role.ENGINEER: [*view, *work],
        Role.TRIAGE_LEAD: [*view, *work],
        Role.MANAGER: [*view, *work, *configure],
    }
    for role, permissions in grants.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(permissions)
