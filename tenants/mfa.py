"""Who must sign in with a second step, and how allauth's MFA is set up for the desk.

Every staff account (`is_staff`) needs one. A contact needs one when a tenant they may act
for requires it (`Tenant.require_mfa_for_contacts`), and so does a partner member acting
for such a tenant: the tenant asked that its cases be reached only with a second step, and
a partner reaches them just as a contact does. Everyone else may add one.

The second step itself is django-allauth's (`allauth.mfa`): an authenticator app (TOTP),
security keys (WebAuthn) and recovery codes. allauth asks for it at every sign-in of a user
who has one; `tenants.middleware.MfaRequiredMiddleware` keeps a user who needs one and has
none on the set-up pages.
"""

from urllib.parse import urlsplit

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings

from supportdesk.encryption import decrypt_text, encrypt_text
from supportdesk.types import AnyUser
from tenants.access import tenants_for

# Recovery codes alone do not count: allauth makes them only alongside one of these.
SECOND_STEPS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def mfa_required_for(user: AnyUser) -> bool:
    """Whether the user must have a second step before using the desk."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return tenants_for(user).filter(require_mfa_for_contacts=True).exists()


def mfa_enrolled(user: AnyUser) -> bool:
    """Whether the user has an authenticator app or a security key."""
    if not user.is_authenticated:
        return False
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_STEPS).exists()


def mfa_missing(user: AnyUser) -> bool:
    """The user must have a second step and has none yet: they may only set one up."""
    return mfa_required_for(user) and not mfa_enrolled(user)


class MfaAdapter(DefaultMFAAdapter):
    """MFA_ADAPTER: secrets encrypted at rest, and the WebAuthn relying party from SITE_URL."""

    def encrypt(self, text: str) -> str:
        """The authenticator app's secret and the recovery-code seed are stored encrypted,
        so a database dump or a row shown anywhere gives no one a second step."""
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        """Security keys are bound to the desk's public host name (SITE_URL), not to
        whatever Host header a request carried."""
        return {"id": urlsplit(settings.SITE_URL).hostname or "", "name": "SupportDesk"}
