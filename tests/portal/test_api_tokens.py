"""The portal's API tokens page: create (shown once), list, revoke."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tenants.models import ApiToken
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:api_tokens")
NEW = reverse("portal:api_token_new")


def test_token_is_shown_once_at_creation_and_then_only_its_prefix(client, cast, sign_in):
    sign_in(cast.contact_a)
    response = client.post(NEW, {"name": "Monitoring", "expires_in_days": "90"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret.startswith("sdk_")
    assert secret in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (cast.contact_a, "Monitoring")
    assert token.expires_at is not None
    later = client.get(PAGE).content.decode()
    assert secret not in later
    assert token.prefix in later
    assert "Monitoring" in later
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(reverse("api:me")).status_code == 200


def test_token_without_expiry_and_bad_name_is_refused(client, cast, sign_in):
    sign_in(cast.partner_with_letter)
    response = client.post(NEW, {"name": "  ", "expires_in_days": ""})
    assert response.status_code == 400
    assert "Name the token" in response.content.decode()
    assert not ApiToken.objects.exists()
    assert client.post(NEW, {"name": "Sync", "expires_in_days": ""}).status_code == 200
    assert ApiToken.objects.get().expires_at is None


def test_revoked_token_stops_working_and_shows_as_revoked(client, cast, sign_in):
    token, secret = api_token_for(cast.contact_a, name="Old script")
    sign_in(cast.contact_a)
    response = client.post(reverse("portal:api_token_revoke", args=[token.id]), follow=True)
    assert "is revoked" in response.content.decode()
    assert "Revoked" in response.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(reverse("api:me")).status_code == 401


def test_nobody_sees_or_revokes_another_users_tokens(client, cast, sign_in):
    token, _ = api_token_for(cast.contact_a, name="Ann's script")
    sign_in(cast.contact_b)
    assert "Ann's script" not in client.get(PAGE).content.decode()
    response = client.post(reverse("portal:api_token_revoke", args=[token.id]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_page_needs_portal_access(client, cast, sign_in):
    assert client.get(PAGE).status_code == 302
    sign_in(cast.partner_without_letter)
    assert client.get(PAGE).status_code == 403
    assert client.post(NEW, {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_account_menu_links_to_the_tokens_page(client, cast, sign_in):
    sign_in(cast.contact_a)
    assert f'href="{PAGE}"' in client.get(reverse("portal:dashboard")).content.decode()
