"""Tokens: made and revoked by their owner, stored hashed, checked on every request;
rate limits per token and per address."""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from tenants.api_tokens import MAX_ACTIVE_TOKENS
from tenants.models import ApiToken
from tenants.services import api_token_create, api_token_revoke, contact_grant, contact_remove
from tests.api.conftest import error_of
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db

ME = reverse("api:me")


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_token_is_shown_once_and_only_its_digest_is_stored(cast):
    made = api_token_create(actor=cast.contact_a, name="Monitoring", expires_in_days=30)
    token = ApiToken.objects.get()
    assert made.secret.startswith("sdk_")
    assert len(made.secret) > 40
    assert token.key_hash == hashlib.sha256(made.secret.encode()).hexdigest()
    assert made.secret not in {token.key_hash, token.prefix, token.name}
    assert made.secret.startswith(token.prefix)
    assert token.expires_at is not None
    assert bearer(made.secret).get(ME).json()["username"] == cast.contact_a.username


def test_token_creation_refusals(cast):
    with pytest.raises(InvalidInput) as error:
        api_token_create(actor=cast.contact_a, name=" ", expires_in_days=7)
    assert set(error.value.field_errors) == {"name", "expires_in_days"}
    with pytest.raises(NotPermitted, match="no active letter"):
        api_token_create(actor=cast.partner_without_letter, name="x")
    with pytest.raises(NotPermitted, match="staff"):
        api_token_create(actor=cast.engineer, name="x")
    for number in range(MAX_ACTIVE_TOKENS):
        api_token_create(actor=cast.contact_a, name=f"t{number}")
    with pytest.raises(StateConflict, match="revoke one"):
        api_token_create(actor=cast.contact_a, name="one too many")


def test_revoked_token_stops_working_at_once(cast):
    token, secret = api_token_for(cast.contact_a)
    client = bearer(secret)
    assert client.get(ME).status_code == 200
    api_token_revoke(actor=cast.contact_a, token_id=token.id)
    response = client.get(ME)
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    with pytest.raises(StateConflict):
        api_token_revoke(actor=cast.contact_a, token_id=token.id)


def test_nobody_revokes_someone_elses_token(cast):
    token, _ = api_token_for(cast.contact_a)
    with pytest.raises(NotFound):
        api_token_revoke(actor=cast.contact_b, token_id=token.id)


def test_expired_token_is_refused(cast):
    with time_machine.travel(dt.datetime(2026, 3, 2, tzinfo=dt.UTC)):
        made = api_token_create(actor=cast.contact_a, name="Short", expires_in_days=30)
        assert bearer(made.secret).get(ME).status_code == 200
    with time_machine.travel(dt.datetime(2026, 4, 2, tzinfo=dt.UTC)):
        assert bearer(made.secret).get(ME).status_code == 401


def test_token_follows_its_users_access(cast):
    _, secret = api_token_for(cast.contact_a)
    contact = cast.contact_a.contacts.get()
    contact.certification = ""
    contact.save()
    response = bearer(secret).get(ME)
    assert response.status_code == 403
    assert "certification" in error_of(response)["message"]
    cast.contact_a.is_active = False
    cast.contact_a.save()
    assert bearer(secret).get(ME).status_code == 401


def test_removing_the_contact_revokes_its_tokens_for_good(cast):
    """Regression (issue 13, finding 3): a removed contact's token was only blocked, and
    worked again once the contact was granted access anew."""
    token, secret = api_token_for(cast.contact_a)
    contact = cast.contact_a.contacts.get()
    # Removed by support, so that support may grant access again (a removal by the
    # customer is undone only by the customer's own contact request).
    contact_remove(actor=cast.engineer, contact_id=contact.id, reason="Leaving")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Acme Corp" in token.revoked_reason
    assert "Leaving" not in token.revoked_reason
    assert bearer(secret).get(ME).status_code == 401
    contact_grant(
        actor=cast.engineer, tenant_id=cast.tenant_a.id, user=cast.contact_a, certification="X"
    )
    assert bearer(secret).get(ME).status_code == 401


def test_last_used_is_recorded_at_most_once_a_minute(cast):
    token, secret = api_token_for(cast.contact_a)
    client = bearer(secret)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        client.get(ME)
        token.refresh_from_db()
        first = token.last_used_at
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=dt.UTC), tick=False):
        client.get(ME)
        token.refresh_from_db()
        assert token.last_used_at == first
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 2, tzinfo=dt.UTC), tick=False):
        client.get(ME)
        token.refresh_from_db()
        assert token.last_used_at > first


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer a b",
        "Bearer sdk_unknown",
        "Bearer not-even-our-format",
        "Bearer " + "sdk_" + "x" * 500,
    ],
)
def test_malformed_or_unknown_bearer_is_401(cast, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_non_ascii_bearer_is_401(cast):
    response = APIClient().get(ME, HTTP_AUTHORIZATION="Bearer sdk_é".encode().decode("latin-1"))
    assert response.status_code == 401


def test_anonymous_is_401_and_the_schema_and_docs_are_public(cast, api):
    response = api().get(ME)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert api().get(reverse("api:schema")).status_code == 200
    assert api().get(reverse("api:docs")).status_code == 200


def test_each_token_has_its_own_rate_limit(cast, settings):
    settings.API_THROTTLE_RATES = {"token": "3/minute", "address": "100/minute"}
    _, first = api_token_for(cast.contact_a, name="one")
    _, second = api_token_for(cast.contact_a, name="two")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        for _ in range(3):
            assert bearer(first).get(ME).status_code == 200
        response = bearer(first).get(ME)
        assert response.status_code == 429
        assert error_of(response)["code"] == "throttled"
        assert int(response["Retry-After"]) == 60
        assert bearer(second).get(ME).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 1, 1, tzinfo=dt.UTC), tick=False):
        assert bearer(first).get(ME).status_code == 200


def test_one_address_is_limited_across_tokens_and_anonymous_calls(cast, settings):
    settings.API_THROTTLE_RATES = {"token": "100/minute", "address": "4/minute"}
    _, first = api_token_for(cast.contact_a, name="one")
    _, second = api_token_for(cast.contact_b, name="two")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        assert bearer(first).get(ME).status_code == 200
        assert bearer(second).get(ME).status_code == 200
        assert APIClient().get(reverse("api:schema")).status_code == 200
        assert bearer(first).get(ME).status_code == 200
        assert bearer(second).get(ME).status_code == 429
        other_address = bearer(second).get(ME, REMOTE_ADDR="10.0.0.7")
        assert other_address.status_code == 200
        # A forged X-Forwarded-For does not buy a fresh budget.
        forged = bearer(second).get(ME, HTTP_X_FORWARDED_FOR="203.0.113.9")
        assert forged.status_code == 429


@pytest.mark.parametrize("value", ["240/minute", "5/s", "10000/day"])
def test_rate_setting_accepts_drf_rates(monkeypatch, value):
    from supportdesk.env import env_rate

    monkeypatch.setenv("API_RATE_PER_TOKEN", value)
    assert env_rate("API_RATE_PER_TOKEN", "1/minute") == value


@pytest.mark.parametrize("value", ["lots", "240", "0/minute", "240/fortnight"])
def test_bad_rate_setting_stops_start_up_naming_the_variable(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from supportdesk.env import env_rate

    monkeypatch.setenv("API_RATE_PER_TOKEN", value)
    with pytest.raises(ImproperlyConfigured, match="API_RATE_PER_TOKEN"):
        env_rate("API_RATE_PER_TOKEN", "240/minute")
