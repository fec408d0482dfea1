from dataclasses import dataclass

import pytest

from servicerequests.handlers import REGISTRY
from tenants.models import Environment, EnvironmentKind
from tenants.roles import Role
from tests.factories import EnvironmentFactory, RequestTypeFactory, UserFactory


@dataclass
class Estate:
    production: Environment
    sandbox: Environment
    test: Environment
    other_tenants_production: Environment


@pytest.fixture
def estate(cast) -> Estate:
    """Acme's production, UAT sandbox and test system; Globex's production; every request
    type offered to Acme's plan only."""
    for code in REGISTRY:
        RequestTypeFactory(code=code, plans=[cast.tenant_a.plan])
    return Estate(
        production=EnvironmentFactory(tenant=cast.tenant_a, name="Production"),
        sandbox=EnvironmentFactory(
            tenant=cast.tenant_a, name="UAT sandbox", kind=EnvironmentKind.SANDBOX
        ),
        test=EnvironmentFactory(tenant=cast.tenant_a, name="QA", kind=EnvironmentKind.TEST),
        other_tenants_production=EnvironmentFactory(tenant=cast.tenant_b, name="Globex prod"),
    )


@pytest.fixture
def security_officer(db):
    return UserFactory(
        username="sam@support.test", first_name="Sam", last_name="Secure", roles=[Role.SECURITY]
    )


@pytest.fixture
def sign_in(client):
    """Sign a user in on the test client: `sign_in(cast.contact_a)`."""
    from django.test import Client

    from tests.factories import PASSWORD

    def _sign_in(user, on: Client | None = None) -> Client:
        browser = on or Client()
        assert browser.login(username=user.username, password=PASSWORD)
        return browser

    return _sign_in
