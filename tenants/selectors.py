"""Reads of a tenant's people and letters, all starting from the one access function."""

from django.db.models import Q, QuerySet

from supportdesk.errors import NotFound, NotPermitted
from supportdesk.types import AnyUser
from tenants.access import contact_of_tenant, is_contact_of, tenants_for
from tenants.models import (
    AuthorizedContact,
    ContactRequest,
    LetterOfAuthorization,
    PartnerMember,
    Tenant,
)
from tenants.roles import is_support_staff


def tenant_choices(user: AnyUser) -> QuerySet[Tenant]:
    """The tenants a user may switch between in the portal, by name."""
    return tenants_for(user).select_related("plan").order_by("name")


def portal_tenants(user: AnyUser) -> list[Tenant]:
    """`tenant_choices` in one query, each tenant with `as_contact`: whether the user is
    its contact (`is_contact_of`) rather than a partner acting for it. Empty when the
    user may not use the portal (`portal_access_problem` then says why)."""
    if not user.is_authenticated:
        return []
    return list(tenant_choices(user).annotate(as_contact=contact_of_tenant(user)))


def contacts_of(user: AnyUser, tenant_id: int) -> QuerySet[AuthorizedContact]:
    """The tenant's current contacts (with or without access yet), with what
    `has_portal_access` reads (the plan and its accepted certifications)."""
    return (
        AuthorizedContact.objects.filter(
            tenant__in=tenants_for(user), tenant_id=tenant_id, is_active=True
        )
        .select_related("user", "tenant__plan")
        .prefetch_related("tenant__plan__accepted_certifications")
        .order_by("user__last_name", "user__first_name")
    )


def contact_requests_of(user: AnyUser, tenant_id: int) -> QuerySet[ContactRequest]:
    return ContactRequest.objects.filter(
        tenant__in=tenants_for(user), tenant_id=tenant_id
    ).select_related("requested_by")


def letters_of(user: AnyUser, tenant_id: int) -> QuerySet[LetterOfAuthorization]:
    """The tenant's letters of authorization, active ones first."""
    return (
        LetterOfAuthorization.objects.filter(tenant__in=tenants_for(user), tenant_id=tenant_id)
        .select_related("partner", "rescinded_by")
        .order_by("status", "-created_at")
    )


def tenant_for(user: AnyUser, tenant_id: int) -> Tenant:
    """A tenant the user may act for; NotFound for any other, existing or not."""
    tenant = tenants_for(user).select_related("plan").filter(id=tenant_id).first()
    if tenant is None:
        raise NotFound("No such customer.")
    return tenant


def tenant_of_contact(user: AnyUser, tenant_id: int) -> Tenant:
    """A tenant whose people and letters the user may manage: its own contacts (and
    support staff). A partner acting for the tenant is refused, saying why."""
    tenant = tenant_for(user, tenant_id)
    if not (is_support_staff(user) or is_contact_of(user, tenant.id)):
        raise NotPermitted(
            f"Only {tenant.name}'s authorized contacts manage its portal contacts and "
            "letters of authorization."
        )
    return tenant


def letters_visible_to(user: AnyUser) -> QuerySet[LetterOfAuthorization]:
    """Letters the user may read: all for staff; a contact's tenants' letters; a partner
    member's own company's letters (whatever their status, so a partner sees a rescission)."""
    letters = LetterOfAuthorization.objects.select_related("partner", "tenant", "rescinded_by")
    if not user.is_authenticated or not user.is_active:
        return letters.none()
    if is_support_staff(user):
        return letters.all()
    contact_tenants = [tenant.id for tenant in tenants_for(user) if is_contact_of(user, tenant.id)]
    partners = PartnerMember.objects.filter(user=user, is_active=True).values("partner_id")
    return letters.filter(Q(tenant_id__in=contact_tenants) | Q(partner_id__in=partners))
