"""The webhook admin: managers register endpoints (the secret shown once, on the page after
adding), test them and read the delivery log; other roles and customers get nothing."""

import pytest
from django.urls import reverse

from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.tasks import send_pending_webhooks
from notifications.webhooks import webhook_endpoint_create
from tests.factories import PASSWORD
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

ADD = "admin:notifications_webhookendpoint_add"
LIST = "admin:notifications_webhookendpoint_changelist"


@pytest.fixture(autouse=True)
def _loopback(settings) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_manager_adds_an_endpoint_and_sees_its_secret_once(client, cast):
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(
        reverse(ADD),
        {
            "name": "Ops chat",
            "url": "https://hooks.example.com/in",
            "tenant": cast.tenant_a.id,
            "events": ["case.created", "case.sla_breached"],
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.owner, endpoint.tenant) == (cast.manager, cast.tenant_a)
    assert endpoint.events == ["case.created", "case.sla_breached"]

    page = client.get(reverse("admin:notifications_webhookendpoint_change", args=[endpoint.id]))
    assert page.status_code == 200
    assert secret not in page.content.decode()
    assert endpoint.secret_prefix in page.content.decode()
    assert secret not in client.get(reverse(LIST)).content.decode()


def test_plain_http_address_is_refused_on_the_form_and_nothing_is_saved(client, cast, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(
        reverse(ADD),
        {"name": "Ops", "url": "http://127.0.0.1:9/in", "events": ["case.created"]},
    )
    assert response.status_code == 200
    assert "Use an https address." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_send_test_event_action_posts_a_test_event_to_the_endpoint(client, cast, receiver):
    endpoint = webhook_endpoint_create(
        actor=cast.manager, name="Ops", url=receiver.url, events=["case.created"]
    ).endpoint
    client.login(username=cast.manager.username, password=PASSWORD)
    response = client.post(
        reverse(LIST), {"action": "send_test_event", "_selected_action": [endpoint.id]}
    )
    assert response.status_code == 302
    send_pending_webhooks()
    (request,) = receiver.received
    assert request.headers["SupportDesk-Event"] == "webhook.test"
    delivery = WebhookDelivery.objects.get()
    log = client.get(reverse("admin:notifications_webhookdelivery_change", args=[delivery.id]))
    assert log.status_code == 200
    assert "delivered" in log.content.decode().lower()


@pytest.mark.parametrize("who", ["engineer", "triage_lead", "contact_a"])
def test_other_roles_and_customers_get_no_webhook_page(client, cast, who):
    endpoint = webhook_endpoint_create(
        actor=cast.manager, name="Ops", url="https://h.example/in", events=["case.created"]
    ).endpoint
    client.login(username=getattr(cast, who).username, password=PASSWORD)
    for url in (
        reverse(LIST),
        reverse(ADD),
        reverse("admin:notifications_webhookendpoint_change", args=[endpoint.id]),
        reverse("admin:notifications_webhookdelivery_changelist"),
    ):
        assert client.get(url).status_code in (302, 403)
    client.post(reverse(LIST), {"action": "disable", "_selected_action": [endpoint.id]})
    endpoint.refresh_from_db()
    assert endpoint.is_active
