"""Staff roles, wired to Django auth groups.

Roles nest: a manager may do what a triage lead may, and a triage lead what an
engineer may. Security stands outside that chain: only its own members (and
superusers) hold it, and holding it makes a user support staff who may see every
tenant but work nothing else. Superusers hold every role.
"""

from enum import StrEnum
from typing import TypeGuard

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from supportdesk.errors import NotPermitted
from supportdesk.types import AnyUser, User


class Role(StrEnum):
    ENGINEER = "Support engineer"
    TRIAGE_LEAD = "Triage lead"
    MANAGER = "Support manager"
    SECURITY = "Security"


_RANK = {Role.ENGINEER: 1, Role.TRIAGE_LEAD: 2, Role.MANAGER: 3}
# Roles outside the chain: held only by their members, never implied by another role.
_OUTSIDE_CHAIN = frozenset({Role.SECURITY})


def _group_names(user: User) -> frozenset[str]:
    cached = getattr(user, "_supportdesk_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        # A per-instance cache for the length of a request, beside the model's fields.
        user._supportdesk_groups = cached  # type: ignore[attr-defined]
    return cached


def _staff_account(user: AnyUser) -> TypeGuard[User]:
    return user.is_authenticated and user.is_active and user.is_staff


def highest_role(user: AnyUser) -> Role | None:
    """The user's place in the engineer → triage lead → manager chain."""
    if not _staff_account(user):
        return None
    if user.is_superuser:
        return Role.MANAGER
    held = [role for role in _RANK if role.value in _group_names(user)]
    return max(held, key=_RANK.__getitem__, default=None)


def has_role(user: AnyUser, role: Role) -> bool:
    if role in _OUTSIDE_CHAIN:
        return _staff_account(user) and (user.is_superuser or role.value in _group_names(user))
    held = highest_role(user)
    return held is not None and _RANK[held] >= _RANK[role]


def is_support_staff(user: AnyUser) -> bool:
    return highest_role(user) is not None or has_role(user, Role.SECURITY)


def support_staff() -> QuerySet:
    """Active users who hold a staff role (superusers included), by name: who may own a
    case."""
    return (
        get_user_model()
        .objects.filter(
            Q(is_superuser=True)
            | Q(groups__name__in=[role.value for role in Role if role not in _OUTSIDE_CHAIN]),
            is_active=True,
            is_staff=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


_OUR_APPS = ("tenants", "cases", "sla", "knowledge", "notifications", "servicerequests")
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
    "servicerequest",
    "customerescalation",
    "troubleshootingsession",
    "macro",
}
_MANAGERS_ONLY_VIEW = {"notification", "webhookendpoint", "webhookdelivery"}
_CONFIGURATION_MODELS = {
    "supportplan",
    "planpriority",
    "supportphone",
    "category",
    "plancategory",
    "intakefield",
    "tenant",
    "agreedupdatecadence",
    "partner",
    "partnermember",
    "calendar",
    "environment",
    "productflag",
    "environmentflag",
    "accountteammember",
    "accountrole",
    "acceptedcertification",
    "escalationlevel",
    "requesttype",
    "supportgroup",
    "groupmembership",
    "routingrule",
    "webhookendpoint",
}
_MANAGERS_MAY_DELETE = {"delete_plancategory"}


def ensure_role_groups(**_: object) -> None:
    """Create the role groups with the admin permissions each needs (after migrate).

    Every staff role may view everything and work cases; managers also configure plans,
    tenants, partners and calendars (and environments, flags, account teams, account
    roles, escalation paths, accepted certifications, partner members, the request
    catalogue, support groups and routing rules), and they alone view the outbox. Security
    may view the rest and change service requests (its sign-off is an action on them).
    Nothing is deletable through a role (closure is a state, not a delete) but a plan's
    offer of a category, which managers withdraw."""
    from django.contrib.auth.models import Group, Permission

    ours = Permission.objects.filter(content_type__app_label__in=_OUR_APPS)
    view = ours.filter(codename__startswith="view_")
    # The outbox is what the desk mailed: only managers read it (redacted).
    view_but_outbox = view.exclude(content_type__model__in=_MANAGERS_ONLY_VIEW)
    work = ours.filter(content_type__model__in=_WORK_MODELS, codename__regex=r"^(add|change)_")
    configure = ours.filter(
        content_type__model__in=_CONFIGURATION_MODELS, codename__regex=r"^(add|change)_"
    )
    # A plan stops offering a category by deleting the row that offered it: the cases
    # keep their category code, only new cases can no longer choose it.
    withdraw = ours.filter(codename__in=_MANAGERS_MAY_DELETE)
    grants = {
        Role.ENGINEER: [*view_but_outbox, *work],
        Role.TRIAGE_LEAD: [*view_but_outbox, *work],
        Role.MANAGER: [*view, *work, *configure, *withdraw],
        Role.SECURITY: [*view_but_outbox, *ours.filter(codename="change_servicerequest")],
    }
    for role, permissions in grants.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set(permissions)


def require_role(actor: User, role: Role = Role.ENGINEER, what: str = "do this") -> None:
    """`NotPermitted` unless the actor holds the role (or one above it)."""
    if not has_role(actor, role):
        raise NotPermitted(f"Only a {role.value.lower()} may {what}.")
