"""No copy of a signed-in page or of an API answer is kept by a browser or proxy
(`Cache-Control: no-store`), while static files and the anonymous status page keep theirs."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, api_token_for

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_portal_pages_of_a_signed_in_contact_are_not_stored(cast, client):
    client.force_login(cast.contact_a)
    for name in ("dashboard", "contacts", "account", "status"):
        response = client.get(reverse(f"portal:{name}"))
        assert response.status_code == 200, name
        assert _no_store(response), name


def test_staff_admin_pages_are_not_stored(cast, client):
    client.force_login(cast.manager)
    response = client.get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 200
    assert _no_store(response)


def test_the_sign_in_response_itself_is_not_stored(cast, client):
    response = client.post(
        reverse("portal:sign_in"), {"username": cast.contact_a.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _no_store(response)


def test_every_api_answer_is_not_stored_signed_in_or_not(cast):
    anonymous = Client().get("/api/v1/cases/")
    assert anonymous.status_code == 401
    assert _no_store(anonymous)
    _token, secret = api_token_for(cast.contact_a)
    with_token = Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert with_token.status_code == 200
    assert _no_store(with_token)
    assert _no_store(Client().get("/api/v1/no-such-endpoint/"))


def test_the_anonymous_status_page_keeps_its_caching(client):
    response = client.get(reverse("portal:status"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_static_files_keep_their_caching(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/portal/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response["Cache-Control"]


def test_favicon_ico_leads_to_the_icon_the_pages_name(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/sign-in/").content.decode()
