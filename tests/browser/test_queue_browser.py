"""The queue's script in a real browser: filter selects and case-page forms fetched on open."""

import pytest
from django.conf import settings
from pytest_django.live_server_helper import LiveServer

from cases import services
from cases.models import State
from tests.cases.helpers import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plain_live_server(transactional_db):
    """A live server started after the test settings apply: Django's security middleware
    reads SECURE_SSL_REDIRECT once, when the server starts, and pytest-django's
    session-wide live_server may have started before the tests' plain-HTTP settings."""
    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def browser_page(browser, plain_live_server, client, cast):
    """A page of the conftest's chromium, signed in as the engineer of the cast."""
    client.force_login(cast.engineer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": plain_live_server.url}]
    )
    yield context.new_page()
    context.close()


def test_owner_filter_select_reloads_the_queue_keeping_other_filters(
    browser_page, plain_live_server, cast
):
    live_server = plain_live_server
    mine = file_case(cast, "Mine to fix")
    services.case_assign(case_id=mine.id, actor=cast.engineer, owner=cast.engineer)
    file_case(cast, "Nobody's yet")
    page = browser_page
    page.goto(f"{live_server.url}/admin/cases/case/?priority=P2")
    with page.expect_navigation():
        page.select_option("select[data-param=owner]", "mine")
    assert "priority=P2" in page.url
    assert "owner=mine" in page.url
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Mine to fix" in rows.first.inner_text()


def test_case_page_fetches_a_form_when_opened_and_the_action_runs(
    browser_page, plain_live_server, cast
):
    live_server = plain_live_server
    case = file_case(cast, "Export fails")
    services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)
    page = browser_page
    page.goto(f"{live_server.url}/admin/cases/case/{case.id}/change/")
    assert page.locator("#action-request_info select, #action-request_info textarea").count() == 0
    page.click("#action-request_info summary")
    page.wait_for_selector("#action-request_info textarea")
    page.fill("#action-request_info textarea", "Please attach the HAR file.")
    with page.expect_navigation():
        page.click("#action-request_info input[type=submit]")
    assert "now waits on the customer" in page.inner_text(".messagelist")
    case.refresh_from_db()
    assert case.state == State.AWAITING_INFORMATION
