"""The queue at a laptop's 1366 px and on a phone, the search box, and saved views."""

import pytest
from django.conf import settings
from pytest_django.live_server_helper import LiveServer

from cases import services
from cases.models import CloseReason, SavedQueueView, State
from tests.cases.helpers import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = "/admin/cases/case/"
SUMMARIES = [
    "Nightly export to the data warehouse fails with a timeout after the schema change",
    "SSO sign-in loops back to the login page for users of the EU tenant",
    "Invoice PDF shows the wrong VAT rate for Swiss customers",
    "Webhook deliveries retried forever after a 410 from the receiver",
    "Dashboard slow",
]


@pytest.fixture
def plain_live_server(transactional_db):
    """A live server started after the test settings apply (see test_queue_browser.py)."""
    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def staff_page(browser, plain_live_server, client, cast, frozen_clock):
    """`staff_page(width, height)`: a page signed in as the cast's engineer."""
    client.force_login(cast.engineer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    contexts = []

    def _open(width: int, height: int):
        context = browser.new_context(
            base_url=plain_live_server.url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session,
                    "url": plain_live_server.url,
                }
            ]
        )
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def busy_queue(cast):
    """A queue with long summaries, owners, escalations and a closed case."""
    cases = []
    for n, summary in enumerate(SUMMARIES * 3):
        case = file_case(cast, summary, priority=f"P{n % 4 + 1}")
        if n % 2:
            services.case_assign(case_id=case.id, actor=cast.triage_lead, owner=cast.engineer)
        cases.append(case)
    services.case_escalate(case_id=cases[1].id, actor=cast.engineer, reason="Customer waits.")
    closed = file_case(cast, "Certificate expired on the staging gateway")
    services.case_close(
        case_id=closed.id, actor=cast.engineer, reason=CloseReason.RESOLVED, note="Renewed."
    )
    closed.refresh_from_db()
    return closed


def results_overflow(page) -> dict:
    return page.evaluate(
        "() => { const r = document.querySelector('#changelist .results');"
        " return {scroll: r.scrollWidth, client: r.clientWidth,"
        " page: document.documentElement.scrollWidth,"
        " window: document.documentElement.clientWidth}; }"
    )


def test_default_queue_fits_1366_px_without_horizontal_scrolling(
    staff_page, busy_queue, screenshot, assert_accessible
):
    page = staff_page(1366, 768)
    page.goto(QUEUE)
    assert page.locator("#result_list tbody tr").count() == 15
    sizes = results_overflow(page)
    assert sizes["scroll"] <= sizes["client"], sizes
    assert sizes["page"] <= sizes["window"], sizes
    assert page.locator("#result_list th.column-tenant_column").is_visible()
    assert_accessible(page)
    screenshot(page, "staff-queue-1366", full_page=False)


def test_phone_shows_each_case_as_a_card_with_state_due_and_owner(
    staff_page, busy_queue, screenshot, assert_accessible
):
    page = staff_page(390, 844)
    page.goto(QUEUE)
    row = page.locator("#result_list tbody tr").nth(1)
    for cell in ("state_column", "due_column", "owner_group_column", "priority"):
        assert row.locator(f"td.field-{cell}").is_visible(), cell
    assert not row.locator("td.field-impact_column").is_visible()
    label = row.locator("td.field-owner_group_column").evaluate(
        "cell => getComputedStyle(cell, '::before').content"
    )
    assert label == '"Owner "'
    sizes = results_overflow(page)
    assert sizes["scroll"] <= sizes["client"], sizes
    assert_accessible(page)
    screenshot(page, "staff-queue-phone", full_page=False)


def test_searching_a_closed_cases_reference_finds_it_from_the_open_queue(
    staff_page, busy_queue, screenshot, assert_accessible
):
    closed = busy_queue
    assert closed.state == State.CLOSED
    page = staff_page(1366, 768)
    page.goto(QUEUE)
    page.fill("#searchbar", closed.reference.lower())
    with page.expect_navigation():
        page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Certificate expired" in rows.first.inner_text()
    assert "Closed" in rows.first.inner_text()
    assert_accessible(page)
    screenshot(page, "staff-search", full_page=False)


def test_save_a_view_and_reopen_it_from_the_picker(staff_page, busy_queue, assert_accessible):
    page = staff_page(1366, 768)
    page.goto(f"{QUEUE}?priority=P1")
    page.click(".sd-views-save summary")
    page.fill("#sd-view-name", "My P1s")
    page.uncheck("input[name=columns][value=impact_column]")
    page.check("input[name=columns][value=channel_column]")
    page.select_option("#sd-view-order", "time_left")
    with page.expect_navigation():
        page.click("button[name=save_new]")
    assert "Saved the view" in page.inner_text(".messagelist")
    view = SavedQueueView.objects.get()
    assert view.query == "priority=P1"
    assert "channel_column" in view.columns
    assert "impact_column" not in view.columns
    assert_accessible(page)
    page.goto(QUEUE)
    assert page.locator("#result_list th.column-channel_column").count() == 0
    with page.expect_navigation():
        page.click(".sd-views-picker a:has-text('My P1s')")
    assert "priority=P1" in page.url
    assert page.locator("#result_list th.column-channel_column").count() == 1
    assert page.locator("#result_list th.column-impact_column").count() == 0
    assert page.locator("#result_list tbody tr").count() == 4
