import pytest
from django.test import Client

from tests.factories import PASSWORD


@pytest.fixture
def sign_in(client):
    """Sign a user in on the test client: `sign_in(cast.contact_a)`."""

    def _sign_in(user, on: Client | None = None) -> Client:
        browser = on or client
        assert browser.login(username=user.username, password=PASSWORD)
        return browser

    return _sign_in
