"""The one place that decides which tenants a user may act for.

Every page, API view, download, mail handler and service starts from
`tenants_for`; nothing else queries tenants or their cases around it.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from tenants.models import AuthorizedContact, LetterOfAuthorization, PartnerMember, Tenant
from tenants.roles import is_support_staff

User = AbstractBaseUser | AnonymousUser


def _contact_access() -> Q:
    return (
        Q(is_active=True)
        & ~Q(certification="")
        & Q(effective_from__lte=timezone.localdate())
        & Q(tenant__is_active=True)
    )


def tenants_for(user: User) -> QuerySet[Tenant]:
    """Tenants the user may act for: support staff all of them; a contact their own
    tenant while certified and active; a partner member each tenant whose letter of
    authorization for the partner is active."""
    if not user.is_authenticated or not user.is_active:
        return Tenant.objects.none()
    if is_support_staff(user):
        return Tenant.objects.all()
    as_contact = AuthorizedContact.objects.filter(_contact_access(), user=user).values("tenant_id")
    as_partner = LetterOfAuthorization.objects.filter(
        status=LetterOfAuthorization.Status.ACTIVE,
        partner__is_active=True,
        partner__members__user=user,
        partner__members__is_active=True,
    ).values("tenant_id")
    return Tenant.objects.filter(Q(id__in=as_contact) | Q(id__in=as_partner), is_active=True)


def can_act_for(user: User, tenant_id: int) -> bool:
    return tenants_for(user).filter(id=tenant_id).exists()


def is_contact_of(user: User, tenant_id: int) -> bool:
    """A certified, active contact of the tenant (not a partner acting for it)."""
    if not user.is_authenticated:
        return False
    return AuthorizedContact.objects.filter(
        _contact_access(), user=user, tenant_id=tenant_id
    ).exists()


def acting_partner_member(user: User, tenant_id: int) -> PartnerMember | None:
    """The partner membership through which the user acts for this tenant, if any."""
    if not user.is_authenticated:
        return None
    return (
        PartnerMember.objects.filter(
            user=user,
            is_active=True,
            partner__is_active=True,
            partner__letters__tenant_id=tenant_id,
            partner__letters__status=LetterOfAuthorization.Status.ACTIVE,
        )
        .select_related("partner")
        .first()
    )


def portal_access_problem(user: User) -> str | None:
    """Why a signed-in user cannot use the portal, in words for them; None if they can."""
    if not user.is_authenticated:
        return "Please sign in."
    if is_support_staff(user) or tenants_for(user).exists():
        return None
    contacts = list(AuthorizedContact.objects.filter(user=user))
    if any(not c.is_active for c in contacts) and not any(c.is_active for c in contacts):
        return (
            "Your contact record has been removed by your organisation. "
            "Ask one of its authorized contacts to request access for you again."
        )
    if any(c.is_active and not c.certification.strip() for c in contacts):
        return (
            "Portal access needs a recorded product certification or training. "
            "Please ask support to record yours."
        )
    if any(c.is_active and c.effective_from > timezone.localdate() for c in contacts):
        first = min(c.effective_from for c in contacts if c.is_active)
        return f"Your portal access starts on {first:%d %B %Y}."
    membership = PartnerMember.objects.filter(user=user).select_related("partner").first()
    if membership is not None:
        rescinded = LetterOfAuthorization.objects.filter(
            partner=membership.partner, status=LetterOfAuthorization.Status.RESCINDED
        ).exists()
        if rescinded:
            return (
                "The letter of authorization that let your company act for this customer "
                "has been rescinded, so you no longer have access to its cases."
            )
        return f"{membership.partner} has no active letter of authorization from any customer yet."
    return "Your account has no portal access. Please contact support."
