"""Macros × every role: customers, partners and the signed-out get no macro page; an
engineer neither sees nor uses another engineer's personal macro; nothing changes."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case, Comment, Macro
from tenants.roles import Role
from tests.cases.helpers import fresh, taken
from tests.factories import PASSWORD, MacroFactory, UserFactory

pytestmark = pytest.mark.django_db

OUTSIDERS = ("anonymous", "contact_a", "contact_b", "partner_with_letter")


@pytest.fixture
def world(cast):
    case = fresh(taken(cast))
    shared = MacroFactory(name="Shared greeting")
    personal = MacroFactory(name="Eve only", owner=cast.engineer)
    return {"case": case, "shared": shared, "personal": personal}


def _client(cast, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        assert client.login(username=getattr(cast, role).username, password=PASSWORD)
    return client


def _state(case: Case) -> tuple:
    return (
        fresh(case).version,
        Comment.objects.filter(case=case).count(),
        list(Macro.objects.order_by("id").values_list("usage_count", "is_archived", "name")),
    )


def _urls(world) -> list[tuple[str, str, dict]]:
    case, macro = world["case"], world["personal"]
    preview = reverse("admin:cases_case_macro", args=[case.id])
    return [
        ("get", preview, {"macro": world["shared"].id}),
        ("get", preview, {"macro": macro.id}),
        ("post", preview, {"macro": macro.id, "expected_version": case.version, "body": "x"}),
        ("get", reverse("admin:cases_macro_changelist"), {}),
        ("get", reverse("admin:cases_macro_change", args=[macro.id]), {}),
        ("post", reverse("admin:cases_macro_change", args=[macro.id]), {"name": "Taken"}),
        ("post", reverse("admin:cases_macro_add"), {"name": "New", "body": "Hi."}),
    ]


@pytest.mark.parametrize("role", OUTSIDERS)
def test_customers_partners_and_the_signed_out_get_no_macro_page(cast, world, role):
    client = _client(cast, role)
    login = reverse("admin:login")
    before = _state(world["case"])
    for method, url, data in _urls(world):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, f"{method} {url}: {response.status_code}"
        assert response["Location"].startswith(login)
        assert b"Eve only" not in response.content
    assert _state(world["case"]) == before


@pytest.mark.parametrize("role", ["triage_lead", "manager", "other_engineer", "security"])
def test_no_one_but_its_owner_sees_or_uses_a_personal_macro(cast, world, role):
    people = {
        "other_engineer": UserFactory(username="oli@support.test", roles=[Role.ENGINEER]),
        "security": UserFactory(username="sam@support.test", roles=[Role.SECURITY]),
    }
    user = people.get(role) or getattr(cast, role)
    client = Client()
    client.force_login(user)
    case, macro = world["case"], world["personal"]
    before = _state(case)
    preview = reverse("admin:cases_case_macro", args=[case.id])
    assert client.get(preview, {"macro": macro.id}).status_code == 404
    applied = client.post(
        preview, {"macro": macro.id, "expected_version": case.version, "body": "x"}
    )
    assert applied.status_code == 404
    listing = client.get(reverse("admin:cases_macro_changelist"))
    assert b"Eve only" not in listing.content
    change = client.get(reverse("admin:cases_macro_change", args=[macro.id]))
    assert change.status_code in {302, 403}
    assert b"Eve only" not in change.content
    page = client.get(reverse("admin:cases_case_change", args=[case.id]))
    assert b"Eve only" not in page.content
    assert _state(case) == before


def test_the_owner_sees_and_uses_their_personal_macro(cast, world):
    client = Client()
    client.force_login(cast.engineer)
    case, macro = world["case"], world["personal"]
    assert b"Eve only" in client.get(reverse("admin:cases_case_change", args=[case.id])).content
    preview = reverse("admin:cases_case_macro", args=[case.id])
    applied = client.post(
        preview, {"macro": macro.id, "expected_version": case.version, "body": "Thanks."}
    )
    assert applied.status_code == 302
    macro.refresh_from_db()
    assert macro.usage_count == 1
