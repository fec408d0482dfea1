"""An engineer takes a customer's call in a real browser: logs a phone case for the
contact from the queue, then logs a call that reached the customer on a case filed in
the portal, which gives that case its first response. The README's "staff-phone-case"
screenshot comes from this test."""

import pytest
from django.conf import settings

from cases.models import Case, Channel
from tenants.models import AuthorizedContact
from tests.cases.helpers import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


def signed_in(page, client, live_server, user) -> None:
    """The browser carries a session of `user` (staff sign in with a second step, which
    has its own browser tests)."""
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_engineer_logs_a_phone_case_then_a_reached_call_gives_a_first_response(
    new_page, screenshot, cast, client, live_server, assert_accessible
):
    contact = AuthorizedContact.objects.get(user=cast.contact_a)
    contact.phone = "+1 (212) 555-0100"
    contact.save(update_fields=["phone"])
    portal_case = file_case(cast, "Invoices export times out")
    page = new_page(width=1280, height=900)
    signed_in(page, client, live_server, cast.engineer)

    page.goto("/admin/cases/case/")
    with page.expect_navigation():
        page.get_by_role("link", name="Log a phone case").click()
    expect(page.get_by_role("heading", name="Log a phone case")).to_be_visible()
    page.get_by_label("Contact").select_option(value=str(contact.id))
    page.get_by_label("Priority").select_option("P1")
    page.get_by_label("Category").select_option("outage")
    page.locator("#id_environment").select_option(label="Production")
    page.get_by_label("May support access the environment?").select_option("granted")
    page.get_by_label("Summary").fill("Checkout down, reported by phone")
    page.get_by_label("Description").fill("Caller says every order fails since 14:00.")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Log the case").click()

    phone_case = Case.objects.get(channel=Channel.PHONE)
    assert phone_case.reporter == cast.contact_a
    expect(page.locator(".messagelist")).to_contain_text("logged from the call")
    expect(page.locator(".sd-facts")).to_contain_text("Initial response")
    expect(page.locator(".sd-facts")).to_contain_text("given")
    expect(page.locator("a.sd-tel")).to_have_attribute("href", "tel:+12125550100")
    assert_accessible(page)

    page.goto(f"/admin/cases/case/{portal_case.id}/change/")
    expect(page.locator(".sd-facts")).to_contain_text("due")
    page.click("#action-log_phone_call summary")
    page.wait_for_selector("#action-log_phone_call textarea")
    page.locator("#action-log_phone_call").get_by_label("Yes", exact=False).check()
    page.fill("#action-log_phone_call textarea", "Walked through the export settings together.")
    assert_accessible(page)
    with page.expect_navigation():
        page.click("#action-log_phone_call input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("counts as a response")
    portal_case.refresh_from_db()
    assert portal_case.first_responded_at is not None
    expect(page.locator(".sd-facts")).to_contain_text("given")
    assert_accessible(page)
    screenshot(page, "staff-phone-case")
