"""Single sign-on through OpenID Connect: which identity provider may sign in whom.

Two kinds of provider. The vendor's own (settings `STAFF_OIDC_*`) signs in support staff
only. A tenant's own (`TenantIdentityProvider`) signs in only that tenant's authorized
contacts, and only those whose whole access is that tenant: its word must never open
another tenant, a partner's letters or the staff side. Either maps a verified email to
an account that already exists; SSO creates no account, grants no role and no contact
row (every contact row already names its user, so there is nothing to create: an
address without one is refused).

The portal's allauth adapter (`portal.sso`) turns a finished OpenID Connect login into
an `SsoAssertion` and asks `sso_user_for` whom it signs in.
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.mfa.stages import AuthenticateStage
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from supportdesk.encryption import decrypt_text, encrypt_text
from supportdesk.errors import InvalidInput, NotPermitted
from supportdesk.types import User
from tenants.access import is_contact_of, tenants_for
from tenants.models import IdentityProviderDomain, PartnerMember, Tenant, TenantIdentityProvider
from tenants.roles import Role, has_role, is_support_staff

STAFF_PROVIDER_ID = "staff"
# Set on allauth's social-login state when the vendor's provider itself proved a second
# factor and STAFF_OIDC_TRUST_IDP_MFA lets that stand for the desk's own.
MFA_BY_IDP_KEY = "supportdesk_mfa_by_idp"
_TENANT_PREFIX = "tenant-"
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


@dataclass(frozen=True)
class IdentityProviderConfig:
    """What the OpenID Connect client needs to talk to one provider."""

    provider_id: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    tenant_id: int | None


@dataclass(frozen=True)
class SsoAssertion:
    """What a provider said about the person, from its verified ID token and userinfo."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    amr: tuple[str, ...] = ()
    acr: str = ""


class SsoRefused(NotPermitted):
    """The provider's word does not sign anyone in here. The message is the same for
    every reason (it must not tell an outsider which addresses have accounts); `reason`
    is for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "Single sign-on could not sign you in to SupportDesk. If you should have "
            "access, ask your administrator or sign in with your password."
        )
        self.reason = reason


def _normal_issuer(url: str) -> str:
    return url.strip().rstrip("/")


def tenant_provider_id(tenant_id: int) -> str:
    return f"{_TENANT_PREFIX}{tenant_id}"


def _tenant_id_of(provider_id: str) -> int | None:
    if not provider_id.startswith(_TENANT_PREFIX):
        return None
    number = provider_id.removeprefix(_TENANT_PREFIX)
    return int(number) if number.isdecimal() else None


def staff_identity_provider() -> IdentityProviderConfig | None:
    """The vendor's provider, when the settings configure one."""
    if not settings.STAFF_OIDC_ISSUER:
        return None
    return IdentityProviderConfig(
        provider_id=STAFF_PROVIDER_ID,
        name=settings.STAFF_OIDC_NAME,
        issuer=_normal_issuer(settings.STAFF_OIDC_ISSUER),
        client_id=settings.STAFF_OIDC_CLIENT_ID,
        client_secret=settings.STAFF_OIDC_CLIENT_SECRET,
        tenant_id=None,
    )


def _config_of(provider: TenantIdentityProvider) -> IdentityProviderConfig:
    return IdentityProviderConfig(
        provider_id=tenant_provider_id(provider.tenant_id),
        name=provider.name,
        issuer=_normal_issuer(provider.issuer),
        client_id=provider.client_id,
        client_secret=decrypt_text(provider.client_secret_encrypted),
        tenant_id=provider.tenant_id,
    )


def _usable_tenant_providers():
    return TenantIdentityProvider.objects.filter(is_active=True, tenant__is_active=True)


def identity_provider_configs(provider_id: str | None = None) -> list[IdentityProviderConfig]:
    """The providers in use; one (or none) when `provider_id` names it. Without a name,
    every tenant's provider is decrypted: callers that know which one they want say so."""
    configs = []
    if provider_id in (None, STAFF_PROVIDER_ID) and (staff := staff_identity_provider()):
        configs.append(staff)
    if provider_id is None:
        configs += [_config_of(provider) for provider in _usable_tenant_providers()]
    elif (tenant_id := _tenant_id_of(provider_id)) is not None:
        found = _usable_tenant_providers().filter(tenant_id=tenant_id).first()
        configs += [_config_of(found)] if found else []
    return configs


def _domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def identity_provider_for_email(email: str) -> IdentityProviderConfig | None:
    """The tenant provider that vouches for this address's domain, if one is in use."""
    domain = _domain_of(email)
    if "@" not in email or not domain:
        return None
    found = (
        _usable_tenant_providers().filter(domains__domain=domain).select_related("tenant").first()
    )
    return _config_of(found) if found else None


def contact_identity_provider(*, tenant_id: int, email: str) -> IdentityProviderConfig | None:
    """The tenant's own provider when it vouches for this contact's address: the contact
    signs in there (invitations say so instead of offering a password)."""
    provider = identity_provider_for_email(email)
    return provider if provider is not None and provider.tenant_id == tenant_id else None


def staff_idp_proved_mfa(assertion: SsoAssertion) -> bool:
    """Whether a staff sign-in by SSO may skip the desk's own second factor: only when
    STAFF_OIDC_TRUST_IDP_MFA is on and the ID token's `amr` or `acr` shows that the
    provider itself asked for one. Off by default: the desk's MFA still applies."""
    if not settings.STAFF_OIDC_TRUST_IDP_MFA:
        return False
    accepted_amr = {value.lower() for value in settings.STAFF_OIDC_MFA_AMR}
    if accepted_amr & {value.lower() for value in assertion.amr}:
        return True
    return bool(assertion.acr) and assertion.acr in settings.STAFF_OIDC_MFA_ACR


def mfa_proved_by_idp(login: object) -> bool:
    """Whether this sign-in (allauth's `Login`) came by the staff provider and it proved a
    second factor that the settings accept in place of the desk's own."""
    sociallogin = (getattr(login, "signal_kwargs", None) or {}).get("sociallogin")
    return bool(sociallogin is not None and sociallogin.state.get(MFA_BY_IDP_KEY))


class SsoAwareAuthenticateStage(AuthenticateStage):
    """allauth's second step of sign-in, passed over only when `mfa_proved_by_idp`. The
    staff member still has a desk second factor (tenants.mfa requires one): it guards
    their password sign-in, and their SSO sign-in whenever the provider did not prove one."""

    def handle(self) -> tuple:
        if mfa_proved_by_idp(self.login):
            return None, True
        return super().handle()


def _one_account_for(email: str) -> User:
    accounts = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(accounts) != 1:
        raise SsoRefused("no account, or more than one, has this email")
    return accounts[0]


def _staff_user_for(assertion: SsoAssertion) -> User:
    if _domain_of(assertion.email) not in settings.STAFF_OIDC_EMAIL_DOMAINS:
        raise SsoRefused("the email's domain is not one the staff provider may vouch for")
    user = _one_account_for(assertion.email)
    if not (user.is_active and user.is_staff and is_support_staff(user)):
        raise SsoRefused("the account is not an active support staff account")
    return user


def _contact_user_for(tenant_id: int, assertion: SsoAssertion) -> User:
    vouched = IdentityProviderDomain.objects.filter(
        provider__tenant_id=tenant_id, domain=_domain_of(assertion.email)
    )
    if not vouched.exists():
        raise SsoRefused("the email's domain is not one this tenant's provider vouches for")
    user = _one_account_for(assertion.email)
    if user.is_staff or user.is_superuser or is_support_staff(user):
        raise SsoRefused("a tenant's provider never signs in a staff account")
    if PartnerMember.objects.filter(user=user).exists():
        raise SsoRefused("a tenant's provider never signs in a partner's member")
    if not is_contact_of(user, tenant_id):
        raise SsoRefused("the account is not an active authorized contact of this tenant")
    if set(tenants_for(user).values_list("id", flat=True)) != {tenant_id}:
        raise SsoRefused("the account reaches other tenants than this provider's")
    return user


def sso_user_for(*, provider_id: str, assertion: SsoAssertion) -> User:
    """The existing account that this provider's assertion signs in; SsoRefused when it
    signs in no one. Reads only: nothing is created or changed either way."""
    configs = identity_provider_configs(provider_id)
    if not configs:
        raise SsoRefused(f"no identity provider {provider_id!r} is in use")
    config = configs[0]
    if _normal_issuer(assertion.issuer) != config.issuer:
        raise SsoRefused("the ID token's issuer is not the configured one")
    if not assertion.email or not assertion.email_verified:
        raise SsoRefused("the provider did not assert a verified email")
    if config.tenant_id is None:
        return _staff_user_for(assertion)
    return _contact_user_for(config.tenant_id, assertion)


def _clean_issuer(issuer: str) -> str:
    issuer = _normal_issuer(issuer or "")
    parts = urlsplit(issuer)
    loopback = parts.hostname == "localhost"
    if parts.hostname and not loopback:
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
    if not parts.hostname or parts.query or parts.fragment:
        message = "Enter the provider's issuer URL."
        raise InvalidInput(message, field_errors={"issuer": [message]})
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        message = "The issuer must be an https:// URL."
        raise InvalidInput(message, field_errors={"issuer": [message]})
    return issuer


def _clean_domains(domains: str | list[str], *, tenant_id: int) -> list[str]:
    if isinstance(domains, str):
        domains = re.split(r"[\s,;]+", domains)
    cleaned = sorted({domain.strip().lower().lstrip("@") for domain in domains if domain.strip()})
    if not cleaned:
        message = "Name at least one email domain the provider vouches for."
        raise InvalidInput(message, field_errors={"email_domains": [message]})
    problems = [
        f"{domain} is not a domain name." for domain in cleaned if not _DOMAIN.fullmatch(domain)
    ]
    problems += [
        f"{domain} is the support staff's own domain."
        for domain in cleaned
        if domain in settings.STAFF_OIDC_EMAIL_DOMAINS
    ]
    taken = IdentityProviderDomain.objects.filter(domain__in=cleaned).exclude(
        provider__tenant_id=tenant_id
    )
    problems += [f"{claimed.domain} belongs to another customer's provider." for claimed in taken]
    if problems:
        raise InvalidInput(" ".join(problems), field_errors={"email_domains": problems})
    return cleaned


def identity_provider_validate(
    *,
    tenant_id: int,
    issuer: str,
    client_id: str,
    client_secret: str,
    email_domains: str | list[str],
) -> tuple[str, list[str]]:
    """The checks of `identity_provider_configure` without saving, for forms: the cleaned
    issuer and domains."""
    cleaned_issuer = _clean_issuer(issuer)
    if not (client_id or "").strip():
        raise InvalidInput("Enter the client ID.", field_errors={"client_id": ["Required."]})
    has_secret = TenantIdentityProvider.objects.filter(tenant_id=tenant_id).exists()
    if not (client_secret or "").strip() and not has_secret:
        raise InvalidInput(
            "Enter the client secret.", field_errors={"client_secret": ["Required."]}
        )
    return cleaned_issuer, _clean_domains(email_domains, tenant_id=tenant_id)


@transaction.atomic
def identity_provider_configure(
    *,
    actor: User,
    tenant_id: int,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    email_domains: str | list[str],
    is_active: bool = True,
) -> TenantIdentityProvider:
    """Set up or change a tenant's identity provider (managers only). An empty
    `client_secret` keeps the stored one; a given one is stored encrypted."""
    if not has_role(actor, Role.MANAGER):
        raise NotPermitted("Only a support manager may configure single sign-on.")
    tenant = Tenant.objects.select_for_update().get(id=tenant_id)
    cleaned_issuer, domains = identity_provider_validate(
        tenant_id=tenant.id,
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        email_domains=email_domains,
    )
    provider = TenantIdentityProvider.objects.filter(tenant=tenant).first()
    provider = provider or TenantIdentityProvider(tenant=tenant)
    provider.name = (name or "").strip() or f"{tenant} single sign-on"
    provider.issuer = cleaned_issuer
    provider.client_id = client_id.strip()
    provider.is_active = is_active
    if client_secret.strip():
        provider.client_secret_encrypted = encrypt_text(client_secret.strip())
    provider.save()
    provider.domains.exclude(domain__in=domains).delete()
    for domain in domains:
        IdentityProviderDomain.objects.get_or_create(provider=provider, domain=domain)
    return provider
