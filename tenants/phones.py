"""Which support number a person sees: the plan's row for their country, else the row
that serves every other country. A contact's own country counts first, then the
customer's; a partner member or staff member acting for a customer uses the customer's."""

from __future__ import annotations

from supportdesk.types import AnyUser
from tenants.models import AuthorizedContact, SupportPhone, Tenant


def support_phone_for(user: AnyUser, tenant: Tenant) -> SupportPhone | None:
    """The number `user`, acting for `tenant`, should call; None when the plan has none
    that serves their country. One query for the contact's country, one for the phones
    (none when the plan's phones were prefetched)."""
    country = ""
    if user.is_authenticated:
        country = (
            AuthorizedContact.objects.filter(tenant_id=tenant.id, user_id=user.pk)
            .values_list("country", flat=True)
            .first()
            or ""
        )
    return phone_for_country(list(tenant.plan.phones.all()), country or tenant.country)


def support_phone_without_access(user: AnyUser) -> SupportPhone | None:
    """The number for someone signed in without portal access (a removed contact, one not
    yet certified or not yet started): the plan of the customer they were last a contact
    of; None when they never were one (a partner member without a letter)."""
    if not user.is_authenticated:
        return None
    contact = (
        AuthorizedContact.objects.filter(user_id=user.pk)
        .select_related("tenant__plan")
        .order_by("-is_active", "-id")
        .first()
    )
    return support_phone_for(user, contact.tenant) if contact is not None else None


def phone_for_country(phones: list[SupportPhone], country: str) -> SupportPhone | None:
    """The first row naming `country`, else the first row with no countries."""
    country = country.upper()
    if country:
        for phone in phones:
            if country in phone.countries:
                return phone
    return next((phone for phone in phones if not phone.countries), None)


def phone_text(phone: SupportPhone | None) -> str:
    """ "+1 212 555 0100 (24×7 for Priority 1)" for messages; "" without a number."""
    if phone is None:
        return ""
    return f"{phone.number} ({phone.hours})" if phone.hours else phone.number


def contact_phone(*, tenant_id: int, user_id: int | None) -> str:
    """The phone number the customer's contact gave (their authorized-contact record),
    for staff who call them back; "" when none is recorded. One query."""
    if user_id is None:
        return ""
    return (
        AuthorizedContact.objects.filter(tenant_id=tenant_id, user_id=user_id)
        .order_by("-is_active")
        .values_list("phone", flat=True)
        .first()
        or ""
    )


def tel_url(number: str) -> str:
    """ "tel:+12125550100" for "+1 (212) 555-0100": a leading plus and the digits
    (RFC 3966's global number); "" when there are no digits."""
    digits = "".join(char for char in number if char.isdigit())
    if not digits:
        return ""
    return f"tel:{'+' if number.strip().startswith('+') else ''}{digits}"
