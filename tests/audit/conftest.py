import pytest

from tenants.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def security(db):
    """A member of the Security role (not in the standard cast)."""
    return UserFactory(username="sid@support.test", roles=[Role.SECURITY])
