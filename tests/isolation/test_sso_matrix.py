"""Isolation cells for single sign-on: each identity provider × each kind of person it
might assert → signed in as exactly that person, or refused; either way nothing is
created or changed (only the signed-in person's last_login moves).

The tenant provider is reached the way an attacker would: type an address of the
tenant's domain, then have the tenant's provider assert someone else."""

from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model

from tenants.models import AuthorizedContact, PartnerMember
from tenants.roles import Role
from tenants.sso import STAFF_PROVIDER_ID
from tests.factories import ContactFactory, PartnerMemberFactory, UserFactory
from tests.oidc_provider import IdpUser, OidcProvider
from tests.sso.fixtures import (
    callback_url,
    configure_tenant_idp,
    follow_sign_in,
    pass_second_step,
    start_contact_sign_in,
    start_staff_sign_in,
)

pytestmark = pytest.mark.django_db

TENANT_IDP = "tenant A's provider"
STAFF_IDP = "the vendor's provider"

# (provider, who the provider asserts, email_verified, who is signed in: a cast name or None)
CELLS = [
    (TENANT_IDP, "ann@acme.test", True, "ann@acme.test"),
    (TENANT_IDP, "ann@acme.test", False, None),
    (TENANT_IDP, "bea@acme.test", True, None),  # tenant B's contact, at A's domain
    (TENANT_IDP, "bob@globex.test", True, None),  # tenant B's contact
    (TENANT_IDP, "dan@acme.test", True, None),  # contact of A and of B
    (TENANT_IDP, "sam@acme.test", True, None),  # staff, at A's domain
    (TENANT_IDP, "sid@acme.test", True, None),  # staff who is also A's contact
    (TENANT_IDP, "eve@support.test", True, None),  # staff
    (TENANT_IDP, "pia@acme.test", True, None),  # partner member acting for A
    (TENANT_IDP, "pat@initech.test", True, None),  # partner member acting for A
    (TENANT_IDP, "nobody@acme.test", True, None),  # no account
    (STAFF_IDP, "eve@support.test", True, "eve@support.test"),
    (STAFF_IDP, "eve@support.test", False, None),
    (STAFF_IDP, "cal@support.test", True, None),  # a contact at the vendor's domain
    (STAFF_IDP, "ann@acme.test", True, None),  # tenant A's contact
    (STAFF_IDP, "pam@support.test", True, None),  # partner member at the vendor's domain
    (STAFF_IDP, "sam@acme.test", True, None),  # staff, outside the vendor's domains
    (STAFF_IDP, "new@support.test", True, None),  # no account
]


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    provider = OidcProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def people(cast) -> dict[str, object]:
    """The cast, plus the people who sit on the edges of each rule."""
    bea = ContactFactory(tenant=cast.tenant_b, user=UserFactory(username="bea@acme.test")).user
    dan = ContactFactory(tenant=cast.tenant_a, user=UserFactory(username="dan@acme.test")).user
    ContactFactory(tenant=cast.tenant_b, user=dan)
    sam = UserFactory(username="sam@acme.test", roles=[Role.ENGINEER])
    sid = ContactFactory(
        tenant=cast.tenant_a, user=UserFactory(username="sid@acme.test", roles=[Role.ENGINEER])
    ).user
    pia = PartnerMemberFactory(partner=cast.partner, user=UserFactory(username="pia@acme.test"))
    pam = PartnerMemberFactory(partner=cast.partner, user=UserFactory(username="pam@support.test"))
    cal = ContactFactory(tenant=cast.tenant_a, user=UserFactory(username="cal@support.test"))
    found = {
        user.email: user
        for user in [cast.contact_a, cast.contact_b, cast.engineer, cast.partner_with_letter]
    }
    found.update({user.email: user for user in [bea, dan, sam, sid, pia.user, pam.user, cal.user]})
    return found


@pytest.fixture
def wired(idp, cast, settings, people) -> OidcProvider:
    idp.reset()
    settings.STAFF_OIDC_ISSUER = idp.issuer
    settings.STAFF_OIDC_CLIENT_ID = "desk-staff"
    settings.STAFF_OIDC_CLIENT_SECRET = "staff-secret"
    settings.STAFF_OIDC_EMAIL_DOMAINS = ["support.test"]
    idp.add_client(
        client_id="desk-staff",
        client_secret="staff-secret",
        redirect_uris=[callback_url(STAFF_PROVIDER_ID)],
    )
    configure_tenant_idp(idp, tenant=cast.tenant_a, manager=cast.manager, domains=["acme.test"])
    return idp


def _snapshot() -> dict[str, object]:
    users = get_user_model().objects.order_by("id")
    return {
        "users": list(
            users.values_list(
                "id", "username", "email", "password", "is_active", "is_staff", "is_superuser"
            )
        ),
        "last_login": dict(users.values_list("email", "last_login")),
        "groups": sorted(
            get_user_model().groups.through.objects.values_list("user_id", "group_id")
        ),
        "contacts": list(
            AuthorizedContact.objects.order_by("id").values_list(
                "id", "tenant_id", "user_id", "is_active", "certification"
            )
        ),
        "partner_members": list(
            PartnerMember.objects.order_by("id").values_list("id", "user_id", "is_active")
        ),
        "social_accounts": SocialAccount.objects.count(),
        "social_tokens": SocialToken.objects.count(),
        "email_addresses": EmailAddress.objects.count(),
    }


@pytest.mark.parametrize(("provider", "asserted", "verified", "signed_in"), CELLS)
def test_sso_cell(client, wired, people, provider, asserted, verified, signed_in):
    wired.add_user(IdpUser(sub=f"idp-{asserted}", email=asserted, email_verified=verified))
    wired.sign_in_as(f"idp-{asserted}")
    before = _snapshot()

    if provider == TENANT_IDP:
        start = start_contact_sign_in(client, "nobody@acme.test")
    else:
        start = start_staff_sign_in(client)
    response = follow_sign_in(client, start, wired)
    if signed_in is not None and provider == STAFF_IDP:
        response = pass_second_step(client, response, people[signed_in])

    session_user = client.session.get("_auth_user_id")
    after = _snapshot()
    if signed_in is None:
        assert session_user is None
        assert response.status_code == 200
        assert response.request["PATH_INFO"] in ("/sign-in/", "/admin/login/")
        assert after == before
    else:
        assert session_user == str(people[signed_in].id)
        assert response.status_code == 200
        assert after["last_login"][signed_in] is not None
        after["last_login"][signed_in] = before["last_login"][signed_in]
        assert after == before
