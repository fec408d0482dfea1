"""Other systems hear a service request change state (`request.state_changed`), for the
request's own tenant only."""

import json

import pytest

from notifications.models import WebhookDelivery
from notifications.services import webhook_endpoint_create
from servicerequests import services
from tests.factories import ProductFlagFactory

pytestmark = pytest.mark.django_db


def test_submitting_and_starting_a_request_write_state_events_for_its_tenants_endpoint(
    cast, estate
):
    own = webhook_endpoint_create(
        actor=cast.manager,
        name="Acme",
        url="https://hooks.acme.test/in",
        events=["request.state_changed"],
        tenant=cast.tenant_a,
    ).endpoint
    webhook_endpoint_create(
        actor=cast.manager,
        name="Globex",
        url="https://hooks.globex.test/in",
        events=["request.state_changed"],
        tenant=cast.tenant_b,
    )
    flag = ProductFlagFactory(key="new-editor", name="New editor")
    request = services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="feature_flags",
        data={"environment": estate.sandbox.id, "flags": [flag.id]},
    )
    services.service_request_start(actor=cast.engineer, request_id=request.id)
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert {d.endpoint_id for d in deliveries} == {own.id}
    bodies = [json.loads(d.body) for d in deliveries]
    assert [b["data"]["event"]["kind"] for b in bodies] == ["submitted", "started"]
    assert bodies[-1]["data"]["request"]["reference"] == request.reference
    assert bodies[-1]["type"] == "request.state_changed"
