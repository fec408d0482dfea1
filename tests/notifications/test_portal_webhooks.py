"""A customer's own webhooks: the tenant's people register endpoints for their own tenant
in the portal, hearing only their own tenant's public events; the secret shows once."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from cases.services import case_comment
from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.tasks import send_pending_webhooks
from notifications.webhooks import (
    PUBLIC_EVENTS,
    WEBHOOK_EVENTS,
    _forget_active,
    tenant_webhook_endpoints,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_update,
    webhook_send_test,
    webhooks_emit,
)
from supportdesk.errors import InvalidInput, NotFound, NotPermitted
from tests.factories import PASSWORD, CaseFactory
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

INTERNAL = sorted(set(WEBHOOK_EVENTS) - PUBLIC_EVENTS)
URL = "https://hooks.acme.test/supportdesk"


@pytest.fixture(autouse=True)
def _webhook_settings(settings) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def own_endpoint(cast, *, actor=None, url=URL, events=("case.created",)):
    return webhook_endpoint_create(
        actor=actor or cast.contact_a,
        name="Acme ITSM",
        url=url,
        events=events,
        tenant=cast.tenant_a,
    )


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- Services ---------------------------------------------------------------------------


def test_contact_registers_an_endpoint_for_their_own_tenant_and_owns_it(cast):
    made = own_endpoint(cast, events=sorted(PUBLIC_EVENTS))
    assert made.secret.startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.tenant, endpoint.owner) == (cast.tenant_a, cast.contact_a)
    assert endpoint.events == sorted(PUBLIC_EVENTS)
    assert made.secret not in endpoint.secret_encrypted


def test_partner_acting_for_the_tenant_may_register_like_for_api_tokens(cast):
    own_endpoint(cast, actor=cast.partner_with_letter)
    assert WebhookEndpoint.objects.get().owner == cast.partner_with_letter


@pytest.mark.parametrize("who", ["contact_b", "partner_without_letter"])
def test_portal_user_is_refused_another_tenants_endpoint_and_nothing_is_made(cast, who):
    with pytest.raises(NotPermitted):
        own_endpoint(cast, actor=getattr(cast, who))
    assert not WebhookEndpoint.objects.exists()


def test_portal_user_is_refused_an_endpoint_for_every_tenant(cast):
    with pytest.raises(NotPermitted):
        webhook_endpoint_create(
            actor=cast.contact_a, name="All", url=URL, events=["case.created"], tenant=None
        )
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("kind", INTERNAL)
def test_customer_endpoint_is_refused_internal_kinds_with_a_clear_error(cast, kind):
    with pytest.raises(InvalidInput, match="internal events") as refused:
        own_endpoint(cast, events=["case.created", kind])
    assert kind in refused.value.field_errors["events"][0]
    assert not WebhookEndpoint.objects.exists()


def test_staff_rules_are_unchanged_a_manager_may_still_subscribe_a_tenant_to_sla_events(cast):
    webhook_endpoint_create(
        actor=cast.manager, name="Ops", url=URL, events=INTERNAL, tenant=cast.tenant_a
    )
    with pytest.raises(NotPermitted):
        webhook_endpoint_create(
            actor=cast.engineer, name="Ops", url=URL, events=["case.created"], tenant=cast.tenant_a
        )


def test_nobody_may_widen_a_customer_endpoint_to_internal_kinds_or_another_tenant(cast):
    endpoint = own_endpoint(cast).endpoint
    with pytest.raises(InvalidInput):
        webhook_endpoint_update(
            actor=cast.manager,
            endpoint_id=endpoint.id,
            name="Acme",
            url=URL,
            events=["case.sla_breached"],
            tenant=cast.tenant_a,
        )
    with pytest.raises(InvalidInput):
        webhook_endpoint_update(
            actor=cast.manager,
            endpoint_id=endpoint.id,
            name="Acme",
            url=URL,
            events=["case.created"],
            tenant=cast.tenant_b,
        )
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.tenant) == (["case.created"], cast.tenant_a)


def test_other_tenants_people_find_no_endpoint_to_disable_enable_or_test(cast):
    endpoint = own_endpoint(cast).endpoint
    staff_one = webhook_endpoint_create(
        actor=cast.manager, name="Desk", url=URL, events=["case.created"], tenant=cast.tenant_a
    ).endpoint
    for service in (webhook_endpoint_disable, webhook_send_test):
        with pytest.raises(NotFound):
            service(actor=cast.contact_b, endpoint_id=endpoint.id)
        # The desk's own endpoint for the tenant is not the customer's to manage.
        with pytest.raises(NotFound):
            service(actor=cast.contact_a, endpoint_id=staff_one.id)
    assert WebhookEndpoint.objects.filter(is_active=True).count() == 2
    assert not WebhookDelivery.objects.exists()
    assert tenant_webhook_endpoints(cast.contact_b, cast.tenant_a.id) == []
    assert tenant_webhook_endpoints(cast.contact_a, cast.tenant_a.id) == [endpoint]


def test_contact_disables_and_enables_their_endpoint(cast):
    endpoint = own_endpoint(cast).endpoint
    webhook_endpoint_disable(actor=cast.contact_a, endpoint_id=endpoint.id)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    webhook_endpoint_enable(actor=cast.partner_with_letter, endpoint_id=endpoint.id)
    endpoint.refresh_from_db()
    assert endpoint.is_active


def test_internal_events_are_never_delivered_to_a_customer_endpoint_even_if_stored(cast):
    endpoint = own_endpoint(cast).endpoint
    # Defence in depth: even a row that somehow lists internal kinds hears none of them.
    WebhookEndpoint.objects.filter(id=endpoint.id).update(events=sorted(WEBHOOK_EVENTS))
    _forget_active()
    for kind in INTERNAL:
        assert webhooks_emit(kind=kind, tenant_id=cast.tenant_a.id, data={}, dedup_key=kind) == []
    assert webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="c")
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["case.created"]


def test_other_tenants_events_are_never_delivered_to_a_customer_endpoint(cast):
    endpoint = own_endpoint(cast).endpoint
    assert (
        webhooks_emit(kind="case.created", tenant_id=cast.tenant_b.id, data={}, dedup_key="b") == []
    )
    # Even a row whose tenant was cleared behind the services' back hears no one's events.
    WebhookEndpoint.objects.filter(id=endpoint.id).update(tenant=None)
    _forget_active()
    assert (
        webhooks_emit(kind="case.created", tenant_id=cast.tenant_b.id, data={}, dedup_key="x") == []
    )
    assert not WebhookDelivery.objects.exists()


def test_a_removed_contacts_endpoint_hears_nothing_more_of_the_customer(cast):
    from tenants.models import AuthorizedContact
    from tenants.services import contact_remove

    own_endpoint(cast)
    assert webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="1")
    contact = AuthorizedContact.objects.get(tenant=cast.tenant_a, user=cast.contact_a)
    contact_remove(actor=cast.engineer, contact_id=contact.id, reason="Left the company")
    assert (
        webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="2") == []
    )
    assert WebhookDelivery.objects.count() == 1


def test_public_comment_reaches_the_customers_own_receiver_over_loopback(cast, receiver):
    made = own_endpoint(cast, url=receiver.url, events=["case.commented"])
    case = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    other = CaseFactory(tenant=cast.tenant_b, reporter=cast.contact_b)
    case_comment(case_id=other.id, actor=cast.engineer, body="B's news", public=True)
    case_comment(case_id=case.id, actor=cast.engineer, body="internal", public=False)
    case_comment(case_id=case.id, actor=cast.engineer, body="Fixed in 5.2", public=True)
    send_pending_webhooks()
    (request,) = receiver.received
    payload = json.loads(request.body)
    assert (payload["type"], payload["tenant_id"]) == ("case.commented", cast.tenant_a.id)
    assert payload["data"]["comment"]["body"] == "Fixed in 5.2"
    assert made.endpoint.id == WebhookDelivery.objects.get().endpoint_id


# --- Portal views ----------------------------------------------------------------------


def test_page_lists_only_the_tenants_own_endpoints(cast):
    own_endpoint(cast)
    webhook_endpoint_create(
        actor=cast.manager, name="Desk internal", url=URL, events=INTERNAL, tenant=cast.tenant_a
    )
    webhook_endpoint_create(
        actor=cast.contact_b,
        name="Globex hook",
        url=URL,
        events=["case.created"],
        tenant=cast.tenant_b,
    )
    body = signed_in(cast.contact_a).get(reverse("portal:webhooks")).content.decode()
    assert "Acme ITSM" in body
    assert "Desk internal" not in body
    assert "Globex hook" not in body


def test_adding_an_endpoint_shows_the_secret_once_and_never_again(cast):
    client = signed_in(cast.contact_a)
    response = client.post(
        reverse("portal:webhook_new"),
        {"name": "Acme ITSM", "url": URL, "events": ["case.created", "case.commented"]},
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.tenant, endpoint.owner) == (cast.tenant_a, cast.contact_a)
    later = client.get(reverse("portal:webhooks"))
    assert secret not in later.content.decode()
    assert "Acme ITSM" in later.content.decode()


def test_bad_address_comes_back_with_the_error_summary_and_changes_nothing(cast):
    response = signed_in(cast.contact_a).post(
        reverse("portal:webhook_new"), {"name": "Acme", "url": "ftp://x", "events": []}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "https" in body
    assert not WebhookEndpoint.objects.exists()


def test_internal_kind_posted_by_hand_is_refused(cast):
    response = signed_in(cast.contact_a).post(
        reverse("portal:webhook_new"), {"name": "Acme", "url": URL, "events": ["case.sla_breached"]}
    )
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_send_test_disable_and_enable_from_the_page(cast, receiver):
    endpoint = own_endpoint(cast, url=receiver.url).endpoint
    client = signed_in(cast.contact_a)
    response = client.post(reverse("portal:webhook_test", args=[endpoint.id]))
    assert response.status_code == 302
    send_pending_webhooks()
    assert len(receiver.received) == 1
    page = client.get(reverse("portal:webhooks")).content.decode()
    assert "webhook.test" in page
    assert "HTTP 200" in page
    client.post(reverse("portal:webhook_disable", args=[endpoint.id]))
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    client.post(reverse("portal:webhook_enable", args=[endpoint.id]))
    endpoint.refresh_from_db()
    assert endpoint.is_active


@pytest.mark.parametrize("name", ["webhook_test", "webhook_disable", "webhook_enable"])
def test_other_tenants_endpoint_is_not_found_from_the_portal(cast, name):
    endpoint = own_endpoint(cast).endpoint
    response = signed_in(cast.contact_b).post(reverse(f"portal:{name}", args=[endpoint.id]))
    assert response.status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert not WebhookDelivery.objects.exists()


def test_anonymous_is_sent_to_sign_in(cast):
    response = Client().get(reverse("portal:webhooks"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:sign_in"))
