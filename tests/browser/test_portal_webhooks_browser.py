"""A customer's contact adds a webhook in the portal's account area, copies its secret
(shown once), sends a test event to a real receiver and sees it in the delivery log."""

import re

import pytest

from notifications.tasks import send_pending_webhooks
from tests.factories import PASSWORD
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    server = Receiver().start()
    yield server
    server.stop()


def sign_in(page, user) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_contact_adds_a_webhook_sees_the_secret_once_and_a_test_delivery_listed(
    cast, receiver, new_page, screenshot, assert_accessible
):
    page = new_page()
    sign_in(page, cast.contact_a)
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    assert_accessible(page)

    # Nothing chosen and a bad address: the error summary, then the fixed form.
    page.get_by_label("Name").fill("Acme ITSM")
    page.get_by_label("Address (URL)").fill("ftp://itsm.acme.test")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Address (URL)").fill(receiver.url)
    page.get_by_label("A case was filed").check()
    page.get_by_label("A public comment was added to a case").check()
    page.get_by_role("button", name="Add endpoint").click()

    secret = page.locator("#new-secret").inner_text()
    assert secret.startswith("whsec_")
    expect(page.get_by_text("copy its signing secret now")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Send test event to Acme ITSM").click()
    expect(page.get_by_text("A test event is on its way")).to_be_visible()
    expect(page.locator("#new-secret")).to_have_count(0)
    assert secret not in page.content()
    send_pending_webhooks()
    assert len(receiver.received) == 1
    page.goto("/account/webhooks/")
    log = page.get_by_role("region", name="Recent deliveries")
    expect(log.get_by_text("webhook.test")).to_be_visible()
    expect(log.get_by_text("HTTP 200")).to_be_visible()
    assert secret not in page.content()
    assert_accessible(page)
    # The receiver's port changes from run to run: masked, so the screenshot is stable.
    screenshot(page, "portal-webhooks", mask=[page.locator(".webhook-url")])

    phone = new_page(width=390, height=844)
    phone.context.add_cookies(page.context.cookies())
    phone.goto("/account/webhooks/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone)
