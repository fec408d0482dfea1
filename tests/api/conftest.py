"""API tests: a client per person of the cast, authenticated as a real integration is."""

from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import PASSWORD, api_token_for


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Throttle counters live in the cache; each test starts with a full budget."""
    cache.clear()


@pytest.fixture
def api() -> Callable[..., APIClient]:
    """`api(user)`: a client sending a new personal token of the user (contacts and
    partners); `api(user, session=True)`: signed in with a session instead (staff);
    `api()`: anonymous."""

    def _client(user: object = None, *, session: bool = False) -> APIClient:
        client = APIClient()
        if user is None:
            return client
        if session:
            assert client.login(username=user.username, password=PASSWORD)
            return client
        client.token, secret = api_token_for(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return _client


def error_of(response: object) -> dict:
    """The `error` part of an API error body, after checking the body's shape."""
    body = response.json()
    assert set(body) == {"error", "api_version"}, body
    assert body["api_version"] == "1"
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]
