"""The portal's case lists page by keys: Older and Newer walk one tenant's open cases (by
last update) and closed cases (by closure) showing each case once, in order, with ties
on the time; a bad cursor shows the newest cases with a notice; old `?page=` links work."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CloseReason, State
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/"
OPEN_ORDER, CLOSED_ORDER = ("-updated_at", "-id"), ("-closed_at", "-id")
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
OLDER = re.compile(r'<a href="([^"]+)">Older →</a>')
NEWER = re.compile(r'<a href="([^"]+)">← Newer</a>')


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr("portal.views.dashboard.PAGE_SIZE", 3)


def _cases(cast) -> None:
    """Eleven open and eight closed cases of tenant A, three or four to each time."""
    for i in range(11):
        with time_machine.travel(NOW - dt.timedelta(hours=i % 3), tick=False):
            CaseFactory(tenant=cast.tenant_a, summary=f"Open {i}")
    for i in range(8):
        CaseFactory(
            tenant=cast.tenant_a,
            summary=f"Closed {i}",
            state=State.CLOSED,
            close_reason=CloseReason.RESOLVED,
            closed_at=NOW - dt.timedelta(days=i % 2),
        )
    CaseFactory(tenant=cast.tenant_b, summary="Globex secret")


def _shown(response) -> list[str]:
    return [case.reference for case in response.context["page"].object_list]


def _walk(client, query: str) -> tuple[list[str], list[str]]:
    response = client.get(DASHBOARD + query)
    forward = _shown(response)
    while found := OLDER.search(response.content.decode()):
        response = client.get(DASHBOARD + unescape(found.group(1)))
        assert response.status_code == 200
        forward += _shown(response)
    backward = _shown(response)
    while found := NEWER.search(response.content.decode()):
        response = client.get(DASHBOARD + unescape(found.group(1)))
        backward = _shown(response) + backward
    return forward, backward


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", lambda: Case.objects.exclude(state=State.CLOSED).order_by("-updated_at", "-id")),
        (
            "?view=closed",
            lambda: Case.objects.filter(state=State.CLOSED).order_by("-closed_at", "-id"),
        ),
    ],
    ids=["open by last update", "closed by closure"],
)
def test_older_and_newer_walk_every_case_of_the_list_once_in_order(
    client, cast, sign_in, query, expected
):
    _cases(cast)
    sign_in(cast.contact_a)
    forward, backward = _walk(client, query)
    references = [case.reference for case in expected().filter(tenant=cast.tenant_a)]
    assert forward == references
    assert backward == references


@pytest.mark.parametrize("cursor", ["garbage!!", "eyJrIjpbXSwidiI6W119", "A" * 3000])
def test_a_bad_cursor_shows_the_newest_cases_with_a_notice(client, cast, sign_in, cursor):
    _cases(cast)
    sign_in(cast.contact_a)
    first = _shown(client.get(DASHBOARD))
    response = client.get(DASHBOARD, {"after": cursor})
    assert response.status_code == 200
    assert _shown(response) == first
    assert "That page link does not belong to this list" in response.content.decode()


def test_an_older_page_costs_the_queries_of_the_first(client, cast, sign_in):
    _cases(cast)
    sign_in(cast.contact_a)
    client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as first:
        response = client.get(DASHBOARD)
    budget = len(first.captured_queries)  # read now: the next request empties the log
    older = DASHBOARD + unescape(OLDER.search(response.content.decode()).group(1))
    older = DASHBOARD + unescape(OLDER.search(client.get(older).content.decode()).group(1))
    with CaptureQueriesContext(connection) as deep:
        assert client.get(older).status_code == 200
    assert len(deep) == budget


def test_an_old_page_number_link_is_still_served(client, cast, sign_in):
    _cases(cast)
    sign_in(cast.contact_a)
    response = client.get(DASHBOARD, {"page": 2})
    expected = Case.objects.filter(tenant=cast.tenant_a).exclude(state=State.CLOSED)
    assert _shown(response) == [c.reference for c in expected.order_by("-updated_at", "-id")[3:6]]
