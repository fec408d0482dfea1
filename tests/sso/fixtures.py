"""Wiring the desk to the test provider, and the browser-less sign-in flow.

The Django test client plays the browser for the desk; each redirect to the provider is
followed over real HTTP (the provider then redirects back with a code), and the desk
itself exchanges the code with the provider over loopback, as in production.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from tenants.models import Tenant
from tenants.services import identity_provider_configure
from tenants.sso import STAFF_PROVIDER_ID, tenant_provider_id
from tests.mfa import totp_code, totp_secret
from tests.oidc_provider import IdpUser, OidcProvider

STAFF_DOMAIN = "support.test"


def callback_url(provider_id: str, host: str = "http://testserver") -> str:
    return host + reverse("openid_connect_callback", kwargs={"provider_id": provider_id})


def follow_sign_in(client: Client, response, provider: OidcProvider):
    """Follow redirects to the end: the desk's through the test client, the provider's
    through real HTTP. Returns the desk's last answer."""
    for _ in range(20):
        if response.status_code not in (301, 302, 303):
            return response
        location = response["Location"]
        if location.startswith(provider.issuer):
            answer = requests.get(location, allow_redirects=False, timeout=10)
            assert answer.status_code == 302, answer.text
            location = answer.headers["Location"]
        parts = urlsplit(location)
        response = client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
    raise AssertionError("too many redirects")


def pass_second_step(client: Client, response, user):
    """Where the desk asks for the second step (staff have one), give the authenticator
    app's current code; returns the desk's last answer."""
    assert response.request["PATH_INFO"] == reverse("mfa_authenticate")
    answer = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(user))})
    return client.get(answer["Location"]) if answer.status_code == 302 else answer


def start_staff_sign_in(client: Client, next_url: str = "/admin/"):
    login = reverse("openid_connect_login", kwargs={"provider_id": STAFF_PROVIDER_ID})
    return client.post(login, {"process": "login", "next": next_url})


def start_contact_sign_in(client: Client, email: str, next_url: str = ""):
    """Give the email on the SSO page; where it names a provider, continue to it."""
    page = client.post(reverse("portal:sign_in_sso"), {"email": email, "next": next_url})
    if page.status_code != 200:
        return page
    login = page.context["config"]
    data = {"process": "login", **({"next": next_url} if next_url else {})}
    url = reverse("openid_connect_login", kwargs={"provider_id": login.provider_id})
    return client.post(url, data)


@dataclass
class SsoSetup:
    provider: OidcProvider

    def person(self, sub: str, email: str, **fields: object) -> IdpUser:
        return self.provider.add_user(IdpUser(sub=sub, email=email, **fields))

    def signs_in(self, sub: str) -> None:
        self.provider.sign_in_as(sub)


@pytest.fixture
def staff_idp(settings, oidc_provider) -> SsoSetup:
    """The vendor's provider configured for staff (STAFF_OIDC_*), trusting no IdP MFA."""
    settings.STAFF_OIDC_ISSUER = oidc_provider.issuer
    settings.STAFF_OIDC_CLIENT_ID = "desk-staff"
    settings.STAFF_OIDC_CLIENT_SECRET = "staff-secret"
    settings.STAFF_OIDC_NAME = "Vendor SSO"
    settings.STAFF_OIDC_EMAIL_DOMAINS = [STAFF_DOMAIN]
    settings.STAFF_OIDC_TRUST_IDP_MFA = False
    oidc_provider.add_client(
        client_id="desk-staff",
        client_secret="staff-secret",
        redirect_uris=[callback_url(STAFF_PROVIDER_ID)],
    )
    return SsoSetup(oidc_provider)


def configure_tenant_idp(
    provider: OidcProvider, *, tenant: Tenant, manager, domains: list[str], host: str = ""
) -> str:
    """Give `tenant` the test provider as its identity provider; returns its provider id."""
    client_id = f"desk-tenant-{tenant.id}"
    identity_provider_configure(
        actor=manager,
        tenant_id=tenant.id,
        name=f"{tenant.name} SSO",
        issuer=provider.issuer,
        client_id=client_id,
        client_secret=f"secret-{tenant.id}",
        email_domains=domains,
    )
    provider_id = tenant_provider_id(tenant.id)
    hosts = [host] if host else ["http://testserver"]
    provider.add_client(
        client_id=client_id,
        client_secret=f"secret-{tenant.id}",
        redirect_uris=[callback_url(provider_id, h) for h in hosts],
    )
    return provider_id
