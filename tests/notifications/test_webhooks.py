"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: written in the change's
transaction, signed, retried with backoff, disabled after failing, and never showing the
secret."""

import datetime as dt
import json
import logging
import re
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from cases.services import case_comment
from notifications.delivery import notifications_deliver_due
from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.tasks import send_pending_webhooks, send_webhook
from notifications.webhooks import (
    PAYLOAD_VERSION,
    retry_delay,
    webhook_endpoint_create,
    webhook_endpoint_enable,
    webhook_endpoint_update,
    webhook_send_test,
    webhooks_emit,
)
from supportdesk.errors import InvalidInput, NotFound, NotPermitted
from tests.factories import CaseFactory
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.fixture(autouse=True)
def _webhook_settings(settings) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    settings.WEBHOOK_MAX_ATTEMPTS = 8
    settings.WEBHOOK_DISABLE_AFTER = 15
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def dispatched(monkeypatch):
    """The delivery ids handed to the broker on commit (the broker is not involved)."""
    ids: list[int] = []
    monkeypatch.setattr(send_webhook, "apply_async", lambda args, **options: ids.append(args[0]))
    return ids


def endpoint_for(cast, receiver, *, events=("case.commented",), tenant=None):
    return webhook_endpoint_create(
        actor=cast.manager, name="Ops", url=receiver.url, events=events, tenant=tenant
    )


def documented_verify():
    """The verification snippet of docs/api.md, run as published."""
    text = DOCS.read_text()
    section = text[text.index("### Verifying the signature") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 (our own documentation, checked as code)
    return namespace["verify_signature"]


def test_public_comment_posts_a_signed_versioned_event_once_the_change_commits(
    cast, receiver, dispatched, django_capture_on_commit_callbacks
):
    created = endpoint_for(cast, receiver)
    case = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    with django_capture_on_commit_callbacks(execute=True):
        case_comment(case_id=case.id, actor=cast.engineer, body="Patched in 5.2", public=True)
    (delivery_id,) = dispatched
    assert receiver.received == []  # written, not yet sent: the worker sends it

    assert send_webhook(delivery_id) == "delivered"
    (request,) = receiver.received
    payload = json.loads(request.body)
    assert payload["version"] == PAYLOAD_VERSION
    assert payload["type"] == "case.commented"
    assert payload["tenant_id"] == cast.tenant_a.id
    assert payload["data"]["case"]["reference"] == case.reference
    assert payload["data"]["comment"]["body"] == "Patched in 5.2"
    assert request.headers["SupportDesk-Event"] == "case.commented"
    verify = documented_verify()
    assert verify(created.secret, request.headers["SupportDesk-Signature"], request.body)
    assert not verify("whsec_wrong", request.headers["SupportDesk-Signature"], request.body)
    assert not verify(created.secret, request.headers["SupportDesk-Signature"], request.body + b" ")
    row = WebhookDelivery.objects.get()
    assert (row.status, row.response_status) == (WebhookDelivery.Status.DELIVERED, 200)
    assert row.response_body == '{"ok": true}'


def test_documented_check_refuses_a_signature_older_than_five_minutes(cast, receiver):
    created = endpoint_for(cast, receiver, events=("case.created",))
    with time_machine.travel(START, tick=False):
        webhook_send_test(actor=cast.manager, endpoint_id=created.endpoint.id)
        send_pending_webhooks()
    (request,) = receiver.received
    verify = documented_verify()
    header = request.headers["SupportDesk-Signature"]
    with time_machine.travel(START + dt.timedelta(minutes=4), tick=False):
        assert verify(created.secret, header, request.body)
    with time_machine.travel(START + dt.timedelta(minutes=6), tick=False):
        assert not verify(created.secret, header, request.body)


def test_internal_note_and_rolled_back_comment_send_nothing(cast, receiver, dispatched):
    endpoint_for(cast, receiver)
    case = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    case_comment(case_id=case.id, actor=cast.engineer, body="internal only", public=False)

    @transaction.atomic
    def comment_then_fail() -> None:
        case_comment(case_id=case.id, actor=cast.engineer, body="undone", public=True)
        raise RuntimeError

    with pytest.raises(RuntimeError):
        comment_then_fail()
    assert WebhookDelivery.objects.count() == 0
    assert dispatched == []


def test_tenant_endpoint_hears_only_its_tenant_and_an_all_tenant_one_hears_both(cast, receiver):
    own = endpoint_for(cast, receiver, events=("case.created",), tenant=cast.tenant_a).endpoint
    every = endpoint_for(cast, receiver, events=("case.created",)).endpoint
    deaf = endpoint_for(cast, receiver, events=("case.sla_breached",)).endpoint
    for tenant in (cast.tenant_a, cast.tenant_b):
        webhooks_emit(kind="case.created", tenant_id=tenant.id, data={}, dedup_key=f"t-{tenant.id}")
    heard = sorted(WebhookDelivery.objects.values_list("endpoint_id", flat=True))
    assert heard == sorted([own.id, every.id, every.id])
    assert not WebhookDelivery.objects.filter(endpoint=deaf).exists()


def test_same_event_written_twice_is_delivered_once(cast, receiver):
    endpoint_for(cast, receiver, events=("case.created",))
    for _ in range(2):
        webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="k")
    send_pending_webhooks()
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.received) == 1


def test_500_is_retried_with_exponential_backoff_and_then_delivered(cast, receiver):
    receiver.statuses = [500, 503, 200]
    receiver.answer = b"upstream down"
    endpoint_for(cast, receiver, events=("case.created",))
    with time_machine.travel(START, tick=False) as traveller:
        webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="k")
        assert send_pending_webhooks()["retry"] == 1
        row = WebhookDelivery.objects.get()
        assert (row.status, row.attempts, row.response_status) == ("pending", 1, 500)
        assert row.response_body == "upstream down"
        assert row.next_attempt_at == START + dt.timedelta(minutes=1)

        traveller.shift(dt.timedelta(seconds=59))
        assert send_pending_webhooks()["retry"] == 0  # not due yet
        traveller.shift(dt.timedelta(seconds=1))
        assert send_pending_webhooks()["retry"] == 1
        row.refresh_from_db()
        assert row.next_attempt_at == START + dt.timedelta(minutes=3)  # 2 minutes later

        traveller.shift(dt.timedelta(minutes=2))
        assert send_pending_webhooks()["delivered"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == ("delivered", 3, 200)
    assert WebhookEndpoint.objects.get().consecutive_failures == 0
    # Every attempt carried the same event: the same body and delivery number.
    assert len({r.body for r in receiver.received}) == 1
    assert len({r.headers["SupportDesk-Delivery"] for r in receiver.received}) == 1


def test_backoff_doubles_up_to_the_cap():
    delays = [retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_an_endpoint_that_does_not_answer_in_time_is_retried(cast, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    receiver.pause = 0.5
    endpoint_for(cast, receiver, events=("case.created",))
    webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="k")
    assert send_pending_webhooks()["retry"] == 1
    row = WebhookDelivery.objects.get()
    assert row.status == WebhookDelivery.Status.PENDING
    assert row.response_status is None
    assert "timed out" in row.last_error.lower()


def test_a_redirect_is_a_failure_not_followed(cast, receiver):
    receiver.statuses = [302]
    endpoint_for(cast, receiver, events=("case.created",))
    webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="k")
    assert send_pending_webhooks()["retry"] == 1
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().response_status == 302


def test_delivery_gives_up_after_the_last_attempt(cast, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses = [500]
    endpoint_for(cast, receiver, events=("case.created",))
    with time_machine.travel(START, tick=False) as traveller:
        webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="k")
        send_pending_webhooks()
        traveller.shift(dt.timedelta(hours=1))
        assert send_pending_webhooks()["failed"] == 1
        traveller.shift(dt.timedelta(hours=1))
        assert send_pending_webhooks()["failed"] == 0
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED
    assert len(receiver.received) == 2


def test_failing_endpoint_is_disabled_its_owner_emailed_and_enabling_sends_what_it_had_pending(
    cast, receiver, settings
):
    settings.WEBHOOK_DISABLE_AFTER = 3
    receiver.statuses = [500]
    endpoint = endpoint_for(cast, receiver, events=("case.created",)).endpoint
    with time_machine.travel(START, tick=False) as traveller:
        for n in range(3):
            webhooks_emit(
                kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key=f"k{n}"
            )
        send_pending_webhooks()
        endpoint.refresh_from_db()
        assert not endpoint.is_active
        assert endpoint.disabled_reason == "Disabled after 3 failed deliveries in a row."

        notifications_deliver_due()
        (message,) = mail.outbox
        assert message.to == [cast.manager.email]
        assert message.subject == "Webhook disabled: Ops"
        assert "127.0.0.1" in message.body

        # Disabled: nothing is sent, and it hears no new events.
        webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="k3")
        assert WebhookDelivery.objects.count() == 3
        traveller.shift(dt.timedelta(hours=2))
        send_pending_webhooks()
        assert len(receiver.received) == 3

        receiver.statuses = [200]
        webhook_endpoint_enable(actor=cast.manager, endpoint_id=endpoint.id)
        send_pending_webhooks()
    assert len(receiver.received) == 6
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert len(mail.outbox) == 1  # disabled once, emailed once


def test_secret_is_shown_once_stored_encrypted_and_never_logged(cast, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    receiver.statuses = [500]
    receiver.answer = b"bad"
    created = endpoint_for(cast, receiver, events=("case.created",))
    assert created.secret.startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get()
    assert created.secret not in endpoint.secret_encrypted
    assert endpoint.secret_prefix == created.secret[:10]
    webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="k")
    send_pending_webhooks()
    row = WebhookDelivery.objects.get()
    stored = " ".join([row.body, row.response_body, row.last_error, repr(endpoint)])
    assert created.secret not in stored
    assert created.secret not in caplog.text
    assert "secret" not in {f.name for f in WebhookEndpoint._meta.get_fields()}


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.example.com/in", True),
        ("http://127.0.0.1:8080/in", True),
        ("http://hooks.example.com/in", False),
        ("https://user:pw@hooks.example.com/in", False),
        ("ftp://hooks.example.com/in", False),
        ("hooks.example.com", False),
    ],
)
def test_addresses_must_be_https_or_loopback_http_in_development(cast, url, allowed):
    if allowed:
        webhook_endpoint_create(actor=cast.manager, name="x", url=url, events=["case.created"])
    else:
        with pytest.raises(InvalidInput):
            webhook_endpoint_create(actor=cast.manager, name="x", url=url, events=["case.created"])


def test_loopback_http_is_refused_in_production(cast, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    with pytest.raises(InvalidInput, match="https only"):
        webhook_endpoint_create(
            actor=cast.manager, name="x", url="http://127.0.0.1/in", events=["case.created"]
        )


def test_unknown_or_no_event_kinds_are_refused(cast):
    for events in ([], ["case.deleted"]):
        with pytest.raises(InvalidInput):
            webhook_endpoint_create(
                actor=cast.manager, name="x", url="https://h.example/in", events=events
            )
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize("who", ["engineer", "triage_lead", "contact_a"])
def test_only_managers_register_or_change_endpoints(cast, who):
    """Staff without the role are refused; a customer's contact does not even find the
    desk's endpoint (their own tenant's are tests/notifications/test_portal_webhooks.py)."""
    actor = getattr(cast, who)
    with pytest.raises(NotPermitted):
        webhook_endpoint_create(
            actor=actor, name="x", url="https://h.example/in", events=["case.created"]
        )
    endpoint = webhook_endpoint_create(
        actor=cast.manager, name="x", url="https://h.example/in", events=["case.created"]
    ).endpoint
    with pytest.raises(NotFound if who == "contact_a" else NotPermitted):
        webhook_endpoint_update(
            actor=actor,
            endpoint_id=endpoint.id,
            name="y",
            url="https://evil.example/in",
            events=["case.created"],
            tenant=None,
        )
    endpoint.refresh_from_db()
    assert endpoint.url == "https://h.example/in"
