"""Per-tenant single sign-on for customer contacts, over real HTTP to the test provider."""

import pytest
import requests
from django.contrib.messages import get_messages

from notifications.messages import build_message
from notifications.models import Notification
from supportdesk.errors import InvalidInput, StateConflict
from tenants.models import ContactInvitation, IdentityProviderDomain, TenantIdentityProvider
from tenants.services import (
    contact_grant,
    contact_invitation_resend,
    contact_remove,
    identity_provider_configure,
)
from tenants.sso import contact_identity_provider
from tests.factories import UserFactory
from tests.oidc_provider import IdpUser
from tests.sso.fixtures import configure_tenant_idp, follow_sign_in, start_contact_sign_in


def _signed_in_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


@pytest.fixture
def acme_idp(cast, oidc_provider):
    configure_tenant_idp(
        oidc_provider, tenant=cast.tenant_a, manager=cast.manager, domains=["acme.test"]
    )
    oidc_provider.add_user(IdpUser(sub="idp-ann", email="ann@acme.test", name="Ann"))
    return oidc_provider


def test_contact_signs_in_through_their_companys_provider(client, cast, acme_idp):
    acme_idp.sign_in_as("idp-ann")

    response = follow_sign_in(client, start_contact_sign_in(client, "ann@acme.test"), acme_idp)

    assert _signed_in_id(client) == cast.contact_a.id
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/"
    assert "Acme Corp" in response.text


def test_sign_in_goes_to_the_page_asked_for(client, cast, acme_idp):
    acme_idp.sign_in_as("idp-ann")

    response = follow_sign_in(
        client, start_contact_sign_in(client, "ann@acme.test", next_url="/contacts/"), acme_idp
    )

    assert response.request["PATH_INFO"] == "/contacts/"


def test_an_address_whose_domain_has_no_provider_is_told_to_use_a_password(client, cast, acme_idp):
    response = start_contact_sign_in(client, "bob@globex.test")

    assert response.status_code == 400
    assert "no single sign-on" in response.text
    assert acme_idp.token_requests == 0


def test_the_provider_asserting_someone_else_signs_in_no_one(client, cast, acme_idp):
    """The person typed their own address, but the provider says who they are."""
    acme_idp.add_user(IdpUser(sub="idp-x", email="nobody@acme.test"))
    acme_idp.sign_in_as("idp-x")

    follow_sign_in(client, start_contact_sign_in(client, "ann@acme.test"), acme_idp)

    assert _signed_in_id(client) is None


def test_an_unverified_email_is_refused(client, cast, acme_idp):
    acme_idp.users["idp-ann"].email_verified = False
    acme_idp.sign_in_as("idp-ann")

    response = follow_sign_in(client, start_contact_sign_in(client, "ann@acme.test"), acme_idp)

    assert _signed_in_id(client) is None
    assert response.request["PATH_INFO"] == "/sign-in/"
    assert any("could not sign you in" in str(m) for m in get_messages(response.wsgi_request))


def test_a_removed_contact_gets_nothing_through_sso(client, cast, acme_idp):
    contact = cast.contact_a.contacts.get()
    contact_remove(actor=cast.contact_a, contact_id=contact.id, reason="Left the company")
    acme_idp.sign_in_as("idp-ann")

    follow_sign_in(client, start_contact_sign_in(client, "ann@acme.test"), acme_idp)

    assert _signed_in_id(client) is None
    assert client.get("/").status_code == 302


def test_a_contact_removed_after_signing_in_by_sso_reaches_nothing(client, cast, acme_idp):
    acme_idp.sign_in_as("idp-ann")
    follow_sign_in(client, start_contact_sign_in(client, "ann@acme.test"), acme_idp)
    contact = cast.contact_a.contacts.get()

    contact_remove(actor=cast.manager, contact_id=contact.id, reason="Left the company")
    response = client.get("/")

    assert "Acme Corp" not in response.text


def test_an_inactive_provider_signs_in_no_one(client, cast, acme_idp):
    TenantIdentityProvider.objects.filter(tenant=cast.tenant_a).update(is_active=False)
    acme_idp.sign_in_as("idp-ann")

    response = start_contact_sign_in(client, "ann@acme.test")
    direct = client.post(f"/accounts/oidc/tenant-{cast.tenant_a.id}/login/")

    assert response.status_code == 400
    assert direct.status_code == 404
    assert _signed_in_id(client) is None


def test_sso_signs_in_by_the_provider_whose_client_finished_the_flow(client, cast, acme_idp):
    """A code for tenant A's client cannot be replayed at another provider's callback."""
    configure_tenant_idp(
        acme_idp, tenant=cast.tenant_b, manager=cast.manager, domains=["globex.test"]
    )
    acme_idp.sign_in_as("idp-ann")
    start = start_contact_sign_in(client, "ann@acme.test")
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    stolen = answer.headers["Location"].replace(
        f"tenant-{cast.tenant_a.id}", f"tenant-{cast.tenant_b.id}"
    )

    follow_sign_in(client, client.get(stolen.removeprefix("http://testserver")), acme_idp)

    assert _signed_in_id(client) is None


def test_a_new_contact_of_a_tenant_with_sso_is_invited_to_sign_in_there(cast, acme_idp):
    """The invitation names the company's provider and carries no password link."""
    newcomer = UserFactory(username="nia@acme.test", email="nia@acme.test")
    newcomer.set_unusable_password()
    newcomer.save()
    contact_grant(
        actor=cast.manager, tenant_id=cast.tenant_a.id, user=newcomer, certification="Admin 101"
    )
    invitation = build_message(Notification.objects.get(recipient="nia@acme.test"))
    assert "your company's single sign-on" in invitation.body
    assert "/sign-in/sso/" in invitation.body
    assert "/welcome/" not in invitation.body
    assert not ContactInvitation.objects.filter(contact__user=newcomer).exists()


def test_no_password_invitation_is_resent_to_a_contact_who_signs_in_by_sso(cast, acme_idp):
    newcomer = UserFactory(username="nia@acme.test", email="nia@acme.test")
    newcomer.set_unusable_password()
    newcomer.save()
    contact = contact_grant(
        actor=cast.manager, tenant_id=cast.tenant_a.id, user=newcomer, certification="Admin 101"
    )
    with pytest.raises(StateConflict, match="single sign-on"):
        contact_invitation_resend(actor=cast.engineer, contact_id=contact.id)
    assert not ContactInvitation.objects.filter(contact=contact).exists()


def test_contact_identity_provider_only_for_its_own_tenant_while_active(cast, acme_idp):
    assert contact_identity_provider(tenant_id=cast.tenant_a.id, email="ann@acme.test")
    assert not contact_identity_provider(tenant_id=cast.tenant_b.id, email="ann@acme.test")
    assert not contact_identity_provider(tenant_id=cast.tenant_a.id, email="ann@other.test")

    TenantIdentityProvider.objects.filter(tenant=cast.tenant_a).update(is_active=False)

    assert not contact_identity_provider(tenant_id=cast.tenant_a.id, email="ann@acme.test")


def test_the_sign_in_page_offers_company_sso(client, db):
    page = client.get("/sign-in/")

    assert "Sign in with your company's SSO" in page.text


def test_the_client_secret_is_stored_encrypted(cast, acme_idp):
    stored = TenantIdentityProvider.objects.get(tenant=cast.tenant_a).client_secret_encrypted

    assert f"secret-{cast.tenant_a.id}" not in stored
    assert stored


@pytest.mark.parametrize(
    ("domains", "issuer", "field"),
    [
        (["support.test"], "https://idp.acme.test", "email_domains"),
        (["not a domain"], "https://idp.acme.test", "email_domains"),
        ([], "https://idp.acme.test", "email_domains"),
        (["acme.test"], "http://idp.acme.test", "issuer"),
    ],
)
def test_bad_provider_settings_are_refused_and_change_nothing(
    cast, settings, domains, issuer, field
):
    settings.STAFF_OIDC_EMAIL_DOMAINS = ["support.test"]

    with pytest.raises(InvalidInput) as refused:
        identity_provider_configure(
            actor=cast.manager,
            tenant_id=cast.tenant_a.id,
            name="Acme",
            issuer=issuer,
            client_id="c",
            client_secret="s",
            email_domains=domains,
        )

    assert field in refused.value.field_errors
    assert not TenantIdentityProvider.objects.exists()


def test_a_domain_belongs_to_one_tenant_only(cast, acme_idp):
    with pytest.raises(InvalidInput):
        identity_provider_configure(
            actor=cast.manager,
            tenant_id=cast.tenant_b.id,
            name="Globex",
            issuer="https://idp.globex.test",
            client_id="c",
            client_secret="s",
            email_domains=["globex.test", "acme.test"],
        )

    assert list(IdentityProviderDomain.objects.values_list("domain", flat=True)) == ["acme.test"]
    assert not TenantIdentityProvider.objects.filter(tenant=cast.tenant_b).exists()


def test_the_continue_page_lets_its_form_go_to_that_provider_only(client, cast, acme_idp):
    page = client.post("/sign-in/sso/", {"email": "ann@acme.test"})

    policy = page["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert page.status_code == 200
    assert "Continue to Acme Corp SSO" in page.text
    assert form_action.split() == ["form-action", "'self'", acme_idp.issuer]
