"""A tenant's SSO provider in the admin: managers only, secret write-only, saved by the service."""

import pytest
from django.urls import reverse

from tenants.models import TenantIdentityProvider
from tenants.sso import identity_provider_configs, tenant_provider_id
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADD = "admin:tenants_tenantidentityprovider_add"
CHANGELIST = "admin:tenants_tenantidentityprovider_changelist"


def _form(tenant, **overrides: str) -> dict:
    return {
        "tenant": str(tenant.id),
        "name": "Acme Okta",
        "issuer": "https://acme.okta.example/oauth2/default",
        "client_id": "0oa1desk",
        "client_secret": "the-okta-client-secret",
        "email_domains": "acme.test, acme.example",
        "is_active": "on",
        **overrides,
    }


def test_a_manager_sets_up_a_tenants_provider_through_the_admin(client, cast):
    client.login(username=cast.manager.username, password=PASSWORD)

    response = client.post(reverse(ADD), _form(cast.tenant_a))

    assert response.status_code == 302
    provider = TenantIdentityProvider.objects.get(tenant=cast.tenant_a)
    assert sorted(provider.domains.values_list("domain", flat=True)) == [
        "acme.example",
        "acme.test",
    ]
    [config] = identity_provider_configs(tenant_provider_id(cast.tenant_a.id))
    assert config.client_secret == "the-okta-client-secret"


def test_the_secret_is_never_shown_back_and_an_empty_field_keeps_it(client, cast):
    client.login(username=cast.manager.username, password=PASSWORD)
    client.post(reverse(ADD), _form(cast.tenant_a))
    provider = TenantIdentityProvider.objects.get(tenant=cast.tenant_a)
    change = reverse("admin:tenants_tenantidentityprovider_change", args=[provider.id])

    page = client.get(change)
    client.post(change, _form(cast.tenant_a, client_secret="", name="Acme Okta (prod)"))
    listing = client.get(reverse(CHANGELIST))

    assert page.status_code == 200
    assert "the-okta-client-secret" not in page.text
    assert provider.client_secret_encrypted not in page.text
    assert "the-okta-client-secret" not in listing.text
    [config] = identity_provider_configs(tenant_provider_id(cast.tenant_a.id))
    assert config.name == "Acme Okta (prod)"
    assert config.client_secret == "the-okta-client-secret"


@pytest.mark.parametrize("who", ["engineer", "triage_lead"])
def test_other_staff_roles_cannot_see_or_set_up_a_provider(client, cast, who):
    client.login(username=getattr(cast, who).username, password=PASSWORD)

    listing = client.get(reverse(CHANGELIST))
    added = client.post(reverse(ADD), _form(cast.tenant_a))

    assert listing.status_code == 403
    assert added.status_code == 403
    assert not TenantIdentityProvider.objects.exists()


def test_a_bad_domain_is_shown_on_the_form_and_nothing_is_saved(client, cast):
    client.login(username=cast.manager.username, password=PASSWORD)

    response = client.post(reverse(ADD), _form(cast.tenant_a, email_domains="not a domain"))

    assert response.status_code == 200
    assert "is not a domain name" in response.text
    assert not TenantIdentityProvider.objects.exists()


def test_allauths_own_sso_admin_is_not_offered(client):
    UserFactory(username="root@support.test", is_staff=True, is_superuser=True)
    client.login(username="root@support.test", password=PASSWORD)

    index = client.get(reverse("admin:index"))

    assert index.status_code == 200
    assert "socialaccount" not in index.text
