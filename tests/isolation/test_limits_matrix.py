"""The limits slice of the isolation matrix: every route × every role answers with
`Cache-Control: no-store` when someone is signed in (and on every API answer); the reset
limiter gives one answer and no email past its limits, whoever the address belongs to; an
ended session writes nothing. Each cell checks the status and that nothing changed."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from cases.models import Comment
from tests.factories import PASSWORD
from tests.isolation import test_isolation_matrix as matrix

pytestmark = pytest.mark.django_db

world = matrix.world
SIGNED_IN = [role for role in matrix.ROLES if role != "anonymous"]
RESET_DONE = "/password-reset/sent/"


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def _portal_urls(world) -> list[str]:
    urls = []
    for name, route_params in matrix._portal_routes():
        kwargs = {p: world["params"][p] for p in route_params}
        if name.startswith("request") and "reference" in kwargs:
            kwargs["reference"] = world["request_reference"]
        urls.append(reverse(f"portal:{name}", kwargs=kwargs))
    return urls


def _api_urls(world, cast) -> list[str]:
    urls = []
    for path in matrix._api_operations():
        params = world["params"]
        if path.startswith("/api/v1/requests/"):
            params = {**params, "reference": world["request_reference"]}
        url = path.format(**params)
        if path == "/api/v1/request-types/":
            url += f"?tenant={cast.tenant_a.id}"
        urls.append(url)
    return urls


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_route_answers_a_signed_in_role_with_no_store(cast, world, role):
    client = matrix._client(cast, role)
    before = matrix._writable_state()
    failures = []
    urls = [*_portal_urls(world), *_api_urls(world, cast), *matrix._admin_pages()]
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
        if not _no_store(response):
            failures.append(
                f"{url}: {response.status_code} Cache-Control {response.get('Cache-Control')!r}"
            )
    assert not failures, "\n".join(failures)
    assert matrix._writable_state() == before


def test_every_api_operation_answers_anyone_with_no_store(cast, world):
    client = Client()
    before = matrix._writable_state()
    failures = []
    for url in _api_urls(world, cast):
        response = client.get(url, HTTP_ACCEPT="application/json")
        if response.status_code != 401:
            failures.append(f"{url}: {response.status_code}, expected 401")
        if not _no_store(response):
            failures.append(f"{url}: Cache-Control {response.get('Cache-Control')!r}")
    assert not failures, "\n".join(failures)
    assert matrix._writable_state() == before


RESET_TARGETS = {
    "contact": lambda cast: cast.contact_a.email,
    "partner": lambda cast: cast.partner_with_letter.email,
    "staff": lambda cast: cast.manager.email,
    "unknown": lambda cast: "nobody@nowhere.test",
}


def _password_hashes() -> list[tuple[int, str]]:
    return list(get_user_model().objects.order_by("id").values_list("id", "password"))


@pytest.mark.parametrize("limit", ["email", "address"])
@pytest.mark.parametrize("target", sorted(RESET_TARGETS))
def test_past_the_reset_limit_every_target_gets_the_same_answer_and_no_email(
    cast, settings, target, limit
):
    settings.PASSWORD_RESET_RATES = {"address": "4/hour", "email": "2/hour"}
    client = Client()
    email = RESET_TARGETS[target](cast)
    if limit == "email":
        for _ in range(2):
            client.post(reverse("portal:password_reset"), {"email": email})
    else:
        for n in range(4):
            client.post(reverse("portal:password_reset"), {"email": f"other{n}@nowhere.test"})
    sent, hashes = len(mail.outbox), _password_hashes()
    response = client.post(reverse("portal:password_reset"), {"email": email})
    assert (response.status_code, response.url) == (302, RESET_DONE)
    assert len(mail.outbox) == sent
    assert _password_hashes() == hashes


WRITES_AFTER_TIMEOUT = {
    "contact_a": ("portal", 8 * 60 + 1),
    "partner_with_letter": ("portal", 8 * 60 + 1),
    "engineer": ("api", 31),
    "manager": ("api", 31),
}


@pytest.mark.parametrize("role", sorted(WRITES_AFTER_TIMEOUT))
def test_an_ended_session_writes_nothing(cast, world, role, time_machine):
    time_machine.move_to("2026-11-20 09:00:00+00:00", tick=False)
    client = Client()
    assert client.login(username=getattr(cast, role).username, password=PASSWORD)
    reference = world["params"]["reference"]
    face, idle_minutes = WRITES_AFTER_TIMEOUT[role]
    client.get(reverse("portal:dashboard"))
    time_machine.move_to(
        f"2026-11-20 {9 + idle_minutes // 60:02d}:{idle_minutes % 60:02d}:00+00:00"
    )
    before, comments = matrix._writable_state(), Comment.objects.count()
    if face == "portal":
        response = client.post(
            reverse("portal:case_reply", args=[reference]), {"body": "Still there?", "version": 1}
        )
        assert response.status_code == 302
        assert response.url.startswith(reverse("portal:sign_in"))
    else:
        response = client.post(
            f"/api/v1/cases/{reference}/comments/",
            {"body": "Internal note", "public": False},
            content_type="application/json",
            HTTP_IF_MATCH="*",
        )
        assert response.status_code in {401, 403}
    assert "_auth_user_id" not in client.session
    assert matrix._writable_state() == before
    assert Comment.objects.count() == comments
