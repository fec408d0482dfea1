"""Invitations: how a new contact gets into the portal.

Granting access (staff, or approving a contact request) emails the person. Someone with
no password yet gets a single-use link to choose one, valid `CONTACT_INVITATION_DAYS`;
someone who can already sign in is told they now have access. The link is
`/welcome/<invitation id>/<secret>/`: the secret is 256 random bits, only its SHA-256
digest is stored (like API tokens), so the database never holds a working link. A newer
invitation supersedes the open one; removing the contact revokes it; using it once ends
it. The wording lives in one template, `templates/emails/contact_invitation/`.
"""

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.context import audited
from notifications.outbox import outbox_enqueue
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from supportdesk.types import User
from tenants.access import is_contact_of, tenants_for
from tenants.models import AuthorizedContact, ContactInvitation
from tenants.roles import Role, has_role
from tenants.sso import contact_identity_provider

INVITATION_EVENT = "contact.invitation"
INVITATION_TEMPLATE = "contact_invitation"
INVALID_LINK = (
    "This invitation link is not valid. Please use the link from the latest invitation "
    "email, or ask your organisation's portal contact to send a new one."
)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def invitation_url(invitation_id: int, secret: str) -> str:
    path = reverse("portal:invitation", kwargs={"invitation_id": invitation_id, "token": secret})
    return f"{settings.SITE_URL}{path}"


def _end_open_invitations(contact_id: int, because: ContactInvitation.Ended) -> None:
    ContactInvitation.objects.filter(
        contact_id=contact_id, accepted_at__isnull=True, ended_at__isnull=True
    ).update(ended_at=timezone.now(), ended_because=because)


def _local(moment: dt.datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone or "UTC")).strftime("%a %d %b %Y, %H:%M %Z")


def _email(contact: AuthorizedContact, key: str, **extra: object) -> None:
    user = contact.user
    outbox_enqueue(
        recipient=user.email,
        user_id=user.pk,
        event=INVITATION_EVENT,
        template=INVITATION_TEMPLATE,
        context={
            "recipient_name": user.get_full_name() or user.email,
            "tenant": contact.tenant.name,
            "sign_in_url": settings.SITE_URL + reverse("portal:sign_in"),
            "access_from": contact.effective_from.strftime("%d %B %Y")
            if contact.effective_from > timezone.localdate()
            else "",
            "invitation_url": "",
            "sso_sign_in_url": "",
            **extra,
        },
        dedup_key=key,
    )


def _invite_to_choose_password(actor: User | None, contact: AuthorizedContact) -> ContactInvitation:
    _end_open_invitations(contact.id, ContactInvitation.Ended.SUPERSEDED)
    secret = secrets.token_urlsafe(32)
    invitation = ContactInvitation.objects.create(
        contact=contact,
        token_hash=_digest(secret),
        sent_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=settings.CONTACT_INVITATION_DAYS),
    )
    _email(
        contact,
        f"contact-invitation:{invitation.id}",
        invitation_url=invitation_url(invitation.id, secret),
        expires=_local(invitation.expires_at, contact.tenant.time_zone),
    )
    return invitation


def contact_invite(*, actor: User | None, contact: AuthorizedContact) -> ContactInvitation | None:
    """Email the contact about their access, in the caller's transaction: where the
    tenant's own identity provider vouches for their address, how to sign in with it;
    else a new link to choose a password (superseding any open one) if they have none, or
    a note that they can sign in. Returns the new invitation, if one was made."""
    key = f"contact-access:{contact.id}:{timezone.now().isoformat()}"
    provider = contact_identity_provider(tenant_id=contact.tenant_id, email=contact.user.email)
    if provider is not None:
        _email(
            contact,
            key,
            sso_name=provider.name,
            sso_sign_in_url=settings.SITE_URL + reverse("portal:sign_in_sso"),
        )
        return None
    if contact.user.has_usable_password():
        _email(contact, key)
        return None
    return _invite_to_choose_password(actor, contact)


@audited("invitation resent")
@transaction.atomic
def contact_invitation_resend(*, actor: User, contact_id: int) -> ContactInvitation:
    """Staff or the tenant's own contacts send a fresh invitation; the previous link stops
    working. Refused once the person has chosen a password (they sign in, or reset it)."""
    contact = (
        AuthorizedContact.objects.select_for_update(of=("self",))
        .select_related("user", "tenant")
        .filter(tenant__in=tenants_for(actor), id=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound("No such contact.")
    if not (has_role(actor, Role.ENGINEER) or is_contact_of(actor, contact.tenant_id)):
        raise NotPermitted("Only the customer's own contacts or support staff may invite one.")
    name = contact.user.get_full_name() or contact.user.email
    if not contact.is_active:
        raise StateConflict(f"{name} was removed; request access for them again first.")
    if contact.user.has_usable_password():
        raise StateConflict(
            f"{name} has already chosen a password and can sign in; "
            "a forgotten password is reset from the sign-in page."
        )
    provider = contact_identity_provider(tenant_id=contact.tenant_id, email=contact.user.email)
    if provider is not None:
        raise StateConflict(
            f"{name} signs in with {provider.name}, the company's single sign-on; "
            "there is no password to choose."
        )
    return _invite_to_choose_password(actor, contact)


def contact_invitations_revoke(*, contact_id: int) -> None:
    """The contact was removed: their open link stops working (in the caller's transaction)."""
    _end_open_invitations(contact_id, ContactInvitation.Ended.REVOKED)


def _checked(invitation_id: int, token: str, *, lock: bool) -> ContactInvitation:
    rows = ContactInvitation.objects.select_related("contact__user", "contact__tenant")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(id=invitation_id).first()
    # The same answer for an unknown id and a wrong secret: a guess learns nothing.
    if invitation is None or not hmac.compare_digest(invitation.token_hash, _digest(token or "")):
        raise NotFound(INVALID_LINK)
    if invitation.accepted_at is not None:
        raise StateConflict(
            "This invitation was already used to choose a password. Please sign in; if you "
            "forgot the password, reset it from the sign-in page."
        )
    if invitation.ended_because == ContactInvitation.Ended.SUPERSEDED:
        raise StateConflict(
            "A newer invitation was sent after this one. Please use the link in the latest "
            "invitation email."
        )
    contact = invitation.contact
    if invitation.ended_at is not None or not contact.is_active:
        raise StateConflict(
            f"This invitation no longer works: your access to {contact.tenant.name}'s portal "
            "was removed."
        )
    if invitation.is_expired(timezone.now()):
        raise StateConflict(
            "This invitation has expired. Ask your organisation's portal contact or support "
            "to send a new one."
        )
    if not contact.user.is_active:
        raise StateConflict("This account is deactivated. Please contact support.")
    if contact.user.has_usable_password():
        raise StateConflict(
            "This account already has a password. Please sign in; if you forgot the "
            "password, reset it from the sign-in page."
        )
    return invitation


@dataclass(frozen=True)
class OpenInvitation:
    """What the set-password page shows: whose invitation it is, for which customer."""

    invitation: ContactInvitation

    @property
    def user(self) -> User:
        return self.invitation.contact.user

    @property
    def tenant_name(self) -> str:
        return self.invitation.contact.tenant.name


def contact_invitation_open(*, invitation_id: int, token: str) -> OpenInvitation:
    """The invitation a link names, if it can still be used; otherwise the refusal says
    why (used, superseded, revoked, expired), and NotFound for a wrong link."""
    return OpenInvitation(_checked(invitation_id, token, lock=False))


@audited("invitation accepted")
@transaction.atomic
def contact_invitation_accept(
    *, invitation_id: int, token: str, password: str, password_again: str
) -> User:
    """The invited person chooses a password; the link is used up. Django's password
    validators apply; a refusal changes nothing and the link still works."""
    invitation = _checked(invitation_id, token, lock=True)
    user = invitation.contact.user
    errors: dict[str, list[str]] = {}
    if not password:
        errors["password"] = ["Choose a password."]
    elif password != password_again:
        errors["password_again"] = ["The two passwords differ; type the same one twice."]
    else:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            errors["password"] = list(error.messages)
    if errors:
        raise InvalidInput("Please choose another password.", field_errors=errors)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


class Onboarding(StrEnum):
    """Where a contact is on the way in, for the contact lists."""

    ACTIVE = "active"
    INVITED = "invited"
    EXPIRED = "expired"
    NOT_INVITED = "not_invited"


ONBOARDING_LABELS = {
    Onboarding.ACTIVE: "Active",
    Onboarding.INVITED: "Invited",
    Onboarding.EXPIRED: "Invitation expired",
    Onboarding.NOT_INVITED: "Not invited",
}


def contact_onboarding(contact: AuthorizedContact, now: dt.datetime) -> Onboarding:
    """Active once the person can sign in (a password, or has signed in); else where their
    latest invitation stands. Reads `contact.invitations.all()`: prefetch it for lists."""
    user = contact.user
    if user.has_usable_password() or user.last_login is not None:
        return Onboarding.ACTIVE
    latest = next(iter(contact.invitations.all()), None)
    if latest is None or not latest.is_open:
        return Onboarding.NOT_INVITED
    return Onboarding.EXPIRED if latest.is_expired(now) else Onboarding.INVITED
