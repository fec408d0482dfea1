"""The one place that decides which tenants a user may act for.

Every page, API view, download, mail handler and service starts from
`tenants_for`; nothing else queries tenants or their cases around it.
"""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from supportdesk.types import AnyUser, User
from tenants.models import (
    AccountTeamMember,
    AuthorizedContact,
    LetterOfAuthorization,
    PartnerMember,
    Tenant,
    holds_accepted_certification,
)
from tenants.roles import is_support_staff


def _contact_access() -> Q:
    return (
        Q(is_active=True)
        & AuthorizedContact.certified()
        & Q(effective_from__lte=timezone.localdate())
        & Q(tenant__is_active=True)
    )


def _partner_certified() -> Q:
    """The member may act under the letter: the letter's tenant's plan does not ask
    partners for a certification, or the member holds one the plan accepts."""
    return Q(partner__letters__tenant__plan__partners_need_certification=False) | (
        holds_accepted_certification("partner__letters__tenant__plan")
    )


def _partner_members_acting(**letter: object) -> QuerySet[PartnerMember]:
    """Active members of active partners, one row per tenant an active letter names
    (`partner__letters__tenant_id`), certified where that tenant's plan says partners need
    to be. Conditions on the letter come in `letter`, in the same filter, so they hold for
    the same letter."""
    return PartnerMember.objects.filter(
        _partner_certified(),
        is_active=True,
        partner__is_active=True,
        partner__letters__status=LetterOfAuthorization.Status.ACTIVE,
        **{f"partner__letters__{name}": value for name, value in letter.items()},
    )


def tenants_for(user: AnyUser) -> QuerySet[Tenant]:
    """Tenants the user may act for: support staff all of them; a contact their own
    tenant while certified and active; a partner member each tenant whose letter of
    authorization for the partner is active."""
    if not user.is_authenticated or not user.is_active:
        return Tenant.objects.none()
    if is_support_staff(user):
        return Tenant.objects.all()
    as_contact = AuthorizedContact.objects.filter(_contact_access(), user=user).values("tenant_id")
    as_partner = _partner_members_acting().filter(user=user).values("partner__letters__tenant_id")
    return Tenant.objects.filter(Q(id__in=as_contact) | Q(id__in=as_partner), is_active=True)


def can_act_for(user: AnyUser, tenant_id: int) -> bool:
    return tenants_for(user).filter(id=tenant_id).exists()


def acting_pairs(pairs: Iterable[tuple[User, int]]) -> set[tuple[int, int]]:
    """`can_act_for` for many (user, tenant id) pairs in four queries, by the same rules
    as `tenants_for`: the (user id, tenant id) pairs that may act. For the sweeps, which
    write the emails of hundreds of cases at once."""
    pairs = {(user, tenant_id) for user, tenant_id in pairs if user.is_active}
    if not pairs:
        return set()
    user_ids = {user.pk for user, _ in pairs}
    tenant_ids = {tenant_id for _, tenant_id in pairs}
    tenants = dict(Tenant.objects.filter(id__in=tenant_ids).values_list("id", "is_active"))
    granted = set(
        AuthorizedContact.objects.filter(
            _contact_access(), user_id__in=user_ids, tenant_id__in=tenant_ids
        ).values_list("user_id", "tenant_id")
    )
    granted |= set(
        _partner_members_acting(tenant_id__in=tenant_ids)
        .filter(user_id__in=user_ids)
        .values_list("user_id", "partner__letters__tenant_id")
    )
    return {
        (user.pk, tenant_id)
        for user, tenant_id in pairs
        if (is_support_staff(user) and tenant_id in tenants)
        or (tenants.get(tenant_id) and (user.pk, tenant_id) in granted)
    }


def contact_of_tenant(user: AnyUser) -> Exists:
    """`is_contact_of` as an expression over Tenant rows, to read it with the tenants
    (`tenants.selectors.portal_tenants`) instead of one query per tenant."""
    return Exists(
        AuthorizedContact.objects.filter(
            _contact_access(), user_id=user.pk or 0, tenant=OuterRef("pk")
        )
    )


def is_contact_of(user: AnyUser, tenant_id: int) -> bool:
    """A certified, active contact of the tenant (not a partner acting for it)."""
    if not user.is_authenticated:
        return False
    return AuthorizedContact.objects.filter(
        _contact_access(), user=user, tenant_id=tenant_id
    ).exists()


def acting_partner_member(user: AnyUser, tenant_id: int) -> PartnerMember | None:
    """The partner membership through which the user acts for this tenant, if any (none
    for an inactive tenant, as `tenants_for` says)."""
    if not user.is_authenticated:
        return None
    return (
        _partner_members_acting(tenant_id=tenant_id, tenant__is_active=True)
        .filter(user=user)
        .select_related("partner")
        .first()
    )


def portal_access_problem(user: AnyUser) -> str | None:
    """Why a signed-in user cannot use the portal, in words for them; None if they can."""
    if not user.is_authenticated:
        return "Please sign in."
    if is_support_staff(user) or tenants_for(user).exists():
        return None
    contacts = list(
        AuthorizedContact.objects.filter(user=user).prefetch_related(
            "tenant__plan__accepted_certifications"
        )
    )
    if any(not c.is_active for c in contacts) and not any(c.is_active for c in contacts):
        return (
            "Your contact record has been removed by your organisation. "
            "Ask one of its authorized contacts to request access for you again."
        )
    uncertified = [c for c in contacts if c.is_active and not c.is_certified]
    if uncertified:
        names = uncertified[0].tenant.plan.accepted_certification_names
        if names:
            return (
                "Portal access needs one of the certifications your support plan accepts: "
                f"{'; '.join(names)}. Please ask support to record yours."
            )
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
        needing = (
            LetterOfAuthorization.objects.filter(
                partner=membership.partner,
                status=LetterOfAuthorization.Status.ACTIVE,
                tenant__plan__partners_need_certification=True,
            )
            .select_related("tenant__plan")
            .prefetch_related("tenant__plan__accepted_certifications")
            .first()
        )
        if needing is not None and membership.is_active:
            names = needing.tenant.plan.accepted_certification_names
            which = (
                f"one of these certifications: {'; '.join(names)}"
                if names
                else "a recorded product certification"
            )
            return (
                f"To act for {needing.tenant} you need {which}. Please ask support to record yours."
            )
        if rescinded:
            return (
                "The letter of authorization that let your company act for this customer "
                "has been rescinded, so you no longer have access to its cases."
            )
        return f"{membership.partner} has no active letter of authorization from any customer yet."
    return "Your account has no portal access. Please contact support."


def may_escalate_immediately(user: AnyUser, tenant_id: int) -> bool:
    """Whether the user may escalate the tenant's cases to the support managers, and raise
    their priority, at once: an active staff account on the tenant's account team in a
    role that says so (e.g. the technical account manager), whatever their staff role
    and whatever wait the customer escalation path would impose. The one place `cases`
    asks."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return AccountTeamMember.objects.filter(
        user=user,
        tenant_id=tenant_id,
        tenant__is_active=True,
        role__can_escalate_immediately=True,
    ).exists()
