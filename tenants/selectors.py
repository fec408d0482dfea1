"""Reads of a tenant's people and letters, all starting from the one access function."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from tenants.access import tenants_for
from tenants.models import AuthorizedContact, ContactRequest, LetterOfAuthorization, Tenant

User = AbstractBaseUser | AnonymousUser


def tenant_choices(user: User) -> QuerySet[Tenant]:
    """The tenants a user may switch between in the portal, by name."""
    return tenants_for(user).select_related("plan").order_by("name")


def contacts_of(user: User, tenant_id: int) -> QuerySet[AuthorizedContact]:
    """The tenant's current contacts (with or without access yet)."""
    return (
        AuthorizedContact.objects.filter(
            tenant__in=tenants_for(user), tenant_id=tenant_id, is_active=True
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


def contact_requests_of(user: User, tenant_id: int) -> QuerySet[ContactRequest]:
    return ContactRequest.objects.filter(
        tenant__in=tenants_for(user), tenant_id=tenant_id
    ).select_related("requested_by")


def letters_of(user: User, tenant_id: int) -> QuerySet[LetterOfAuthorization]:
    """The tenant's letters of authorization, active ones first."""
    return (
        LetterOfAuthorization.objects.filter(tenant__in=tenants_for(user), tenant_id=tenant_id)
        .select_related("partner", "rescinded_by")
        .order_by("status", "-created_at")
    )
