"""A support manager registers a webhook endpoint in the admin: the signing secret shown
once, a test event sent to a real receiver on 127.0.0.1, the delivery in the log. Every
page passes axe; the README's screenshot "staff-webhooks" (the endpoint list) comes from
this test."""

import pytest
from django.conf import settings

from notifications.models import WebhookEndpoint
from notifications.tasks import send_pending_webhooks
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    server = Receiver().start()
    yield server
    server.stop()


def signed_in(page, client, live_server, user) -> None:
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_manager_adds_an_endpoint_sees_the_secret_once_and_sends_a_test_event(
    new_page, screenshot, cast, client, live_server, assert_accessible, receiver
):
    page = new_page()
    signed_in(page, client, live_server, cast.manager)
    page.goto("/admin/notifications/webhookendpoint/add/")
    assert_accessible(page)
    page.fill("#id_name", "Acme ops chat")
    page.fill("#id_url", receiver.url)
    page.select_option("#id_tenant", str(cast.tenant_a.id))
    page.check("input[name=events][value='case.created']")
    page.check("input[name=events][value='case.sla_breached']")
    with page.expect_navigation():
        page.click("input[name=_save]")
    secret = page.input_value("#webhook-secret")
    assert secret.startswith("whsec_")
    assert_accessible(page)

    with page.expect_navigation():
        page.click("text=Done: back to the endpoint")
    assert secret not in page.content()
    assert_accessible(page)

    page.goto("/admin/notifications/webhookendpoint/")
    page.check("#result_list tbody input[name=_selected_action]")
    page.select_option("select[name=action]", "send_test_event")
    with page.expect_navigation():
        page.click("button[name=index]")
    assert "Test events queued" in page.inner_text(".messagelist")
    send_pending_webhooks()
    (request,) = receiver.received
    assert request.headers["SupportDesk-Event"] == "webhook.test"

    page.goto("/admin/notifications/webhookendpoint/")
    assert secret not in page.content()
    assert_accessible(page)
    screenshot(page, "staff-webhooks")

    page.goto("/admin/notifications/webhookdelivery/")
    assert "webhook.test" in page.inner_text("#result_list")
    assert_accessible(page)
    assert WebhookEndpoint.objects.get().owner == cast.manager
