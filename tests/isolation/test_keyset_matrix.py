"""Keyset cursors in the isolation matrix: a cursor made from tenant A's list (its Older
link, or one forged from A's case's sort values) and used by each portal role shows that
role only its own tenant's cases, in the staff queue a cursor is only a starting point,
and a cursor never names a case: it carries sort values alone."""

import base64
import json
import re
from html import unescape

import pytest
from django.test import Client

from cases.models import Case, State
from supportdesk.keyset import encode_cursor, order_keys
from tests.factories import PASSWORD, CaseFactory

pytestmark = pytest.mark.django_db

MARK_A = "zqxA7keyset"
MARK_B = "zqxB7keyset"
OLDER = re.compile(r'<a href="([^"]+)">Older →</a>')
PORTAL_ROLES = ("contact_a", "partner_with_letter", "contact_b", "partner_without_letter")
SEES_A = {"contact_a", "partner_with_letter"}


@pytest.fixture
def lists(cast, monkeypatch):
    monkeypatch.setattr("portal.views.dashboard.PAGE_SIZE", 2)
    a_cases = [CaseFactory(tenant=cast.tenant_a, summary=f"{MARK_A} {i}") for i in range(5)]
    b_cases = [CaseFactory(tenant=cast.tenant_b, summary=f"{MARK_B} {i}") for i in range(5)]
    reader = Client()
    reader.login(username=cast.contact_a.username, password=PASSWORD)
    first = reader.get("/").content.decode()
    a_link = unescape(OLDER.search(first).group(1))
    keys = order_keys(Case.objects.exclude(state=State.CLOSED).order_by("-updated_at", "-id"))
    newest_a = max(a_cases, key=lambda case: (case.updated_at, case.id))
    forged = encode_cursor(keys, [newest_a.updated_at, newest_a.id])
    return {"a_link": a_link, "forged": forged, "b_cases": b_cases}


@pytest.mark.parametrize("role", PORTAL_ROLES)
@pytest.mark.parametrize("which", ["a_link", "forged"])
def test_a_cursor_from_tenant_a_shows_each_role_only_its_own_cases(cast, lists, role, which):
    client = Client()
    assert client.login(username=getattr(cast, role).username, password=PASSWORD)
    address = "/" + lists["a_link"] if which == "a_link" else f"/?after={lists['forged']}"
    response = client.get(address)
    body = response.content.decode()
    if role == "partner_without_letter":
        # No letter for any customer: no case list at all.
        assert response.status_code == 403
        assert MARK_A not in body
        return
    assert response.status_code == 200
    shown = response.context["page"].object_list
    if role in SEES_A:
        assert MARK_A in body
        assert MARK_B not in body
    else:
        assert MARK_A not in body
        assert all(case.tenant_id != cast.tenant_a.id for case in shown)


def test_a_cursor_carries_only_sort_values(cast, lists):
    token = lists["a_link"].split("after=")[1].split("&")[0]
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert payload["k"] == ["updated_at", "id"]
    assert MARK_A not in json.dumps(payload)
    assert cast.tenant_a.reference_prefix not in json.dumps(payload)
