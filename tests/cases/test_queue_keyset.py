"""Keyset pages of the staff queue (`supportdesk.keyset`, `supportdesk.admin_paging`):
walking Next and Previous shows every case once in order, for each order the queue
offers; bad cursors and jumps fall back to the first page with a message; a deep page
costs the queries the first page costs; old `?p=` links still work."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.admin.saved_views import ORDERINGS
from cases.models import QUEUE_ORDER, BusinessImpact, Case, CloseReason, State
from supportdesk.keyset import encode_cursor, keyset_page, order_keys
from tests.factories import CaseFactory, SupportPlanFactory, TenantFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:cases_case_changelist")
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
PREVIOUS = re.compile(r'<a href="([^"]+)" rel="prev">')


def _tied_cases(cast) -> None:
    """Twenty-four cases with ties on every sort key: two plans, two priorities, two
    impacts, three received times shared by many cases, due times with ties and NULLs,
    some closed."""
    plans = [cast.tenant_a.plan, SupportPlanFactory(name="Keyset other plan")]
    tenants = [cast.tenant_a, TenantFactory(plan=plans[1], reference_prefix="KEY")]
    for i in range(24):
        closed = i % 7 == 0
        with time_machine.travel(NOW - dt.timedelta(hours=i % 3), tick=False):
            CaseFactory(
                tenant=tenants[i % 2],
                priority="P1" if i % 4 < 2 else "P3",
                business_impact=BusinessImpact.HIGH if i % 3 else BusinessImpact.LOW,
                next_due_at=None if i % 5 == 0 else NOW + dt.timedelta(hours=i % 4),
                state=State.CLOSED if closed else State.NEW,
                close_reason=CloseReason.RESOLVED if closed else "",
                closed_at=NOW if closed else None,
            )


ORDERS = {
    "contract order": QUEUE_ORDER,
    **{f"saved view: {name}": list(order) for name, order in ORDERINGS.items()},
    # What the admin makes of a column sort: the column, then the queue's own order.
    "time left column, ascending": ["next_due_at", *QUEUE_ORDER],
    "time left column, descending": ["-next_due_at", *QUEUE_ORDER],
    "received column, newest first": ["-created_at", *QUEUE_ORDER],
}


def _walk(queryset, keys, per_page: int) -> tuple[list[int], list[int]]:
    """The ids walking Next from the first page to the last, then Previous back."""
    paginator = Paginator(queryset, per_page)
    page = keyset_page(paginator, queryset, keys, per_page)
    forward = [case.id for case in page]
    while page.next_cursor:
        page = keyset_page(paginator, queryset, keys, per_page, after=page.next_cursor)
        assert len(page) <= per_page
        forward.extend(case.id for case in page)
    backward = [case.id for case in page][::-1]
    while page.previous_cursor:
        page = keyset_page(paginator, queryset, keys, per_page, before=page.previous_cursor)
        backward.extend(case.id for case in reversed(page.object_list))
    return forward, backward[::-1]


@pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
@pytest.mark.parametrize("per_page", [1, 5, 7])
def test_walking_next_and_previous_shows_every_case_once_in_the_lists_order(cast, order, per_page):
    _tied_cases(cast)
    queryset = Case.objects.order_by(*order)
    keys = order_keys(queryset)
    assert keys is not None
    expected = [case.id for case in Case.objects.order_by(*(key.order_by() for key in keys))]
    forward, backward = _walk(queryset, keys, per_page)
    assert forward == expected
    assert backward == expected


def test_nulls_of_time_left_come_last_ascending_and_first_descending(cast):
    _tied_cases(cast)
    ascending = order_keys(Case.objects.order_by("next_due_at", "id"))
    descending = order_keys(Case.objects.order_by("-next_due_at", "-id"))
    up, _ = _walk(Case.objects.all(), ascending, 4)
    down, _ = _walk(Case.objects.all(), descending, 4)
    no_clock = set(Case.objects.filter(next_due_at__isnull=True).values_list("id", flat=True))
    assert set(up[-len(no_clock) :]) == no_clock
    assert set(down[: len(no_clock)]) == no_clock


def test_an_order_by_an_expression_is_not_paged_by_keys(cast):
    from django.db.models import F

    assert order_keys(Case.objects.order_by(F("summary").desc(nulls_last=True), "id")) is not None
    assert order_keys(Case.objects.order_by("tenant__name", "id")) is None
    assert order_keys(Case.objects.order_by("created_at")) is None  # no id last


# The queue through the admin


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(admin.site._registry[Case], "list_per_page", 5)


def _references(response) -> list[str]:
    return [case.reference for case in response.context["cl"].result_list]


def test_the_queues_next_and_previous_links_walk_every_open_case_once(client, cast, small_pages):
    _tied_cases(cast)
    client.force_login(cast.engineer)
    response = client.get(QUEUE)
    seen = _references(response)
    pages = [seen]
    while found := NEXT.search(response.content.decode()):
        response = client.get(QUEUE + unescape(found.group(1)))
        assert response.status_code == 200
        pages.append(_references(response))
        seen += pages[-1]
    expected = list(
        Case.objects.exclude(state=State.CLOSED)
        .order_by(*QUEUE_ORDER)
        .values_list("reference", flat=True)
    )
    assert seen == expected
    back = []
    while found := PREVIOUS.search(response.content.decode()):
        response = client.get(QUEUE + unescape(found.group(1)))
        back = _references(response) + back
    assert back == expected[: len(back)]
    assert back[-5:] == pages[-2]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "eyJrIjpbXX0",  # {"k":[]}
        encode_cursor(order_keys(Case.objects.order_by("-created_at", "-id")), [NOW, 1]),
        encode_cursor(order_keys(Case.objects.order_by(*QUEUE_ORDER)), ["x", 1, 1, 1, 1, 1]),
        encode_cursor(order_keys(Case.objects.order_by(*QUEUE_ORDER)), [None, 1, 1, 1, 1, 1]),
        "A" * 5000,
    ],
    ids=["not base64", "no values", "another order", "wrong type", "null rank", "too long"],
)
@pytest.mark.parametrize("param", ["after", "before"])
def test_a_bad_cursor_shows_the_first_page_with_a_message(client, cast, small_pages, cursor, param):
    _tied_cases(cast)
    client.force_login(cast.engineer)
    first = _references(client.get(QUEUE))
    response = client.get(QUEUE, {param: cursor})
    assert response.status_code == 200
    assert _references(response) == first
    assert "does not belong to this list" in response.content.decode()


def test_a_deep_page_by_cursor_makes_the_queries_of_the_first_page(
    client, cast, small_pages, django_assert_max_num_queries
):
    _tied_cases(cast)
    client.force_login(cast.engineer)
    client.get(QUEUE)  # warm the session and the content types
    with CaptureQueriesContext(connection) as first:
        response = client.get(QUEUE)
    assert response.status_code == 200
    budget = len(first.captured_queries)  # read now: the next request empties the log
    for _ in range(2):
        response = client.get(QUEUE + unescape(NEXT.search(response.content.decode()).group(1)))
    deep = QUEUE + unescape(NEXT.search(response.content.decode()).group(1))
    with django_assert_max_num_queries(budget):
        assert client.get(deep).status_code == 200


def test_an_old_page_number_link_is_still_served(client, cast, small_pages):
    _tied_cases(cast)
    client.force_login(cast.engineer)
    expected = Case.objects.exclude(state=State.CLOSED).order_by(*QUEUE_ORDER)
    response = client.get(QUEUE + "?p=2")
    assert response.status_code == 200
    assert _references(response) == [case.reference for case in expected[5:10]]


def test_jump_to_a_reference_opens_the_page_starting_with_that_case(client, cast, small_pages):
    _tied_cases(cast)
    client.force_login(cast.engineer)
    expected = list(
        Case.objects.exclude(state=State.CLOSED)
        .order_by(*QUEUE_ORDER)
        .values_list("reference", flat=True)
    )
    target = expected[8]
    response = client.get(QUEUE, {"jump": target.lower()})
    assert _references(response) == expected[8:13]
    # Previous from there walks back to the start.
    found = PREVIOUS.search(response.content.decode())
    assert _references(client.get(QUEUE + unescape(found.group(1)))) == expected[3:8]


def test_jump_to_a_time_in_the_newest_first_order(client, cast, small_pages):
    _tied_cases(cast)
    client.force_login(cast.engineer)
    # The received column, newest first (0 is the checkbox, 9 the received column).
    response = client.get(QUEUE, {"o": "-9", "jump": "2026-03-10 13:30"})
    assert response.status_code == 200
    shown = response.context["cl"].result_list
    assert shown
    assert all(case.created_at <= NOW - dt.timedelta(hours=1, minutes=30) for case in shown)
    assert all(case.created_at == NOW - dt.timedelta(hours=2) for case in shown)


@pytest.mark.parametrize("text", ["NOPE-99", "yesterday-ish", "KEY-00001"])
def test_jump_to_something_not_in_the_list_shows_the_first_page_with_a_message(
    client, cast, small_pages, text
):
    _tied_cases(cast)
    client.force_login(cast.engineer)
    first = _references(client.get(QUEUE + "?tenant__id__exact=" + str(cast.tenant_a.id)))
    response = client.get(QUEUE, {"tenant__id__exact": cast.tenant_a.id, "jump": text})
    assert response.status_code == 200
    assert _references(response) == first
    assert "in this list (check the filters)" in response.content.decode()
