"""Outbound webhooks: endpoints other systems register, and the signed events they hear.

An event is written as one `WebhookDelivery` row per subscribed endpoint in the
transaction of the change it reports (`webhooks_emit`, called by `cases`), and POSTed once
that commits, exactly as the outbox sends mail: a rolled-back change sends nothing, a
committed one is sent even if the broker is down then (the sweep picks it up). A row is
claimed with one compare-and-swap UPDATE, failures are retried with exponential backoff,
and an endpoint that keeps failing is disabled and its owner emailed.

Each POST is signed: `SupportDesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" under the endpoint's secret>` (docs/api.md shows how to check it).
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.outbox import outbox_enqueue
from supportdesk.encryption import decrypt_text, encrypt_text
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from supportdesk.redaction import redact
from supportdesk.types import AnyUser, User
from tenants.access import can_act_for, portal_access_problem
from tenants.models import Tenant
from tenants.roles import Role, has_role, require_role

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = "2026-12-01"
SIGNATURE_HEADER = "SupportDesk-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 (the secrets' visible prefix, not a secret)
RESPONSE_KEPT = 1000
"""How much of an endpoint's answer the delivery log keeps."""

WEBHOOK_EVENTS: dict[str, str] = {
    "case.created": "A case was filed",
    "case.commented": "A public comment was added to a case",
    "case.state_changed": "A case changed state",
    "case.sla_at_risk": "A case is at risk of breaching its SLA",
    "case.sla_breached": "A case breached its SLA",
    "case.escalated": "A case was escalated",
    "request.state_changed": "A service request changed state",
}
TEST_EVENT = "webhook.test"
PUBLIC_EVENTS = frozenset(
    {"case.created", "case.commented", "case.state_changed", "request.state_changed"}
)
"""What a customer's own endpoint may hear: what its people see in the portal anyway (SLA
warnings and escalations are the desk's internal business)."""

WEBHOOK_MANAGER = Role.MANAGER


def may_manage_webhooks(user: AnyUser) -> bool:
    """Who registers, changes and tests endpoints, and reads their deliveries: support
    managers (an endpoint hears about customers' cases, possibly every customer's)."""
    return has_role(user, WEBHOOK_MANAGER)


def may_manage_tenant_webhooks(user: AnyUser, tenant_id: int) -> bool:
    """Who manages a customer's own endpoints in the portal: whoever may use the portal
    and act for that customer (the rule of API tokens: no separate admin role)."""
    return (
        user.is_authenticated
        and not user.is_staff
        and portal_access_problem(user) is None
        and can_act_for(user, tenant_id)
    )


def _customer_owned(endpoint: WebhookEndpoint) -> bool:
    """Registered in the portal by the customer's people (not by support staff)."""
    return not endpoint.owner.is_staff


def tenant_webhook_endpoints(user: AnyUser, tenant_id: int) -> list[WebhookEndpoint]:
    """The customer's own endpoints, for one who may manage them (else none): staff's
    endpoints for the customer are the desk's and not shown."""
    if not may_manage_tenant_webhooks(user, tenant_id):
        return []
    return list(
        WebhookEndpoint.objects.filter(tenant_id=tenant_id, owner__is_staff=False)
        .select_related("owner")
        .order_by("name", "id")
    )


def tenant_webhook_deliveries(
    user: AnyUser, tenant_id: int, *, limit: int = 25
) -> list[WebhookDelivery]:
    """The recent deliveries to the customer's own endpoints, newest first."""
    if not may_manage_tenant_webhooks(user, tenant_id):
        return []
    return list(
        WebhookDelivery.objects.filter(
            endpoint__tenant_id=tenant_id, endpoint__owner__is_staff=False
        )
        .select_related("endpoint")
        .order_by("-created_at", "-id")[:limit]
    )


def _require_may_register(actor: User, tenant: Tenant | None, verb: str) -> None:
    """Staff: managers, as before. Anyone else: only for a customer they may act for."""
    if actor.is_staff:
        require_role(actor, WEBHOOK_MANAGER, verb)
        return
    if tenant is None or not may_manage_tenant_webhooks(actor, tenant.id):
        raise NotPermitted("You may register webhooks only for an organisation you act for.")


# --- Endpoints -------------------------------------------------------------------------


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url_check(url: str) -> str:
    """The URL, stripped, or InvalidInput: https, or plain http to the loopback address
    where WEBHOOK_ALLOW_LOOPBACK_HTTP allows it (development and tests)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            "Give the endpoint's full address, e.g. https://example.com/hooks.",
            field_errors={"url": ["Give a full https address."]},
        )
    if parts.username or parts.password:
        raise InvalidInput(
            "The address may not carry a user name or password.",
            field_errors={"url": ["No user name or password in the address."]},
        )
    if parts.scheme == "http" and not (
        settings.WEBHOOK_ALLOW_LOOPBACK_HTTP and _loopback(parts.hostname)
    ):
        raise InvalidInput(
            "Webhooks are sent over https only.",
            field_errors={"url": ["Use an https address."]},
        )
    return url


def _events_check(events: Iterable[str], *, public_only: bool = False) -> list[str]:
    chosen = sorted(set(events))
    unknown = [kind for kind in chosen if kind not in WEBHOOK_EVENTS]
    if unknown or not chosen:
        message = (
            f"Unknown event kind(s): {', '.join(unknown)}."
            if unknown
            else "Choose at least one kind of event."
        )
        raise InvalidInput(message, field_errors={"events": [message]})
    internal = [kind for kind in chosen if kind not in PUBLIC_EVENTS]
    if public_only and internal:
        message = (
            f"A customer's endpoint cannot hear internal events ({', '.join(internal)}); "
            f"choose from {', '.join(sorted(PUBLIC_EVENTS))}."
        )
        raise InvalidInput(message, field_errors={"events": [message]})
    return chosen


def _name_check(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Name the endpoint.", field_errors={"name": ["Name the endpoint."]})
    return name[:100]


def webhook_endpoint_validate(*, name: str, url: str, events: Iterable[str]) -> None:
    """What the admin form checks before saving: the service's own rules."""
    _name_check(name)
    webhook_url_check(url)
    _events_check(events)


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str
    """Shown to its maker once; never readable afterwards."""


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor: User,
    name: str,
    url: str,
    events: Iterable[str],
    tenant: Tenant | None = None,
) -> CreatedEndpoint:
    """Register an endpoint; the actor owns it (and is emailed if it is disabled for
    failing). Returns it with its signing secret, which is shown this once.

    Managers register any; a customer's people (portal users) only their own customer's,
    hearing only `PUBLIC_EVENTS`."""
    _require_may_register(actor, tenant, "register webhooks")
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        name=_name_check(name),
        url=webhook_url_check(url),
        events=_events_check(events, public_only=not actor.is_staff),
        tenant=tenant,
        owner=actor,
        secret_encrypted=encrypt_text(secret),
        secret_prefix=secret[:10],
    )
    _changed()
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def _endpoint_for_update(endpoint_id: int) -> WebhookEndpoint:
    try:
        return (
            WebhookEndpoint.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(id=endpoint_id)
        )
    except WebhookEndpoint.DoesNotExist:
        raise NotFound("No such webhook endpoint.") from None


def _endpoint_for(actor: User, endpoint_id: int, verb: str) -> WebhookEndpoint:
    """The endpoint, locked, if the actor may change it: managers any; a customer's
    people only their customer's own (any other id is not found, as if it did not exist)."""
    if actor.is_staff:
        require_role(actor, WEBHOOK_MANAGER, verb)
        return _endpoint_for_update(endpoint_id)
    endpoint = _endpoint_for_update(endpoint_id)
    if (
        endpoint.tenant_id is None
        or not _customer_owned(endpoint)
        or not may_manage_tenant_webhooks(actor, endpoint.tenant_id)
    ):
        raise NotFound("No such webhook endpoint.")
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    actor: User,
    endpoint_id: int,
    name: str,
    url: str,
    events: Iterable[str],
    tenant: Tenant | None,
) -> WebhookEndpoint:
    """Change what an endpoint hears and where; its secret and owner stay. A customer's
    own endpoint stays its customer's and hears only `PUBLIC_EVENTS`, whoever changes it."""
    endpoint = _endpoint_for(actor, endpoint_id, "change webhooks")
    customer_owned = _customer_owned(endpoint)
    if customer_owned and (tenant is None or tenant.id != endpoint.tenant_id):
        raise InvalidInput(
            "A customer's own endpoint stays with its customer.",
            field_errors={"tenant": ["A customer's own endpoint stays with its customer."]},
        )
    endpoint.name = _name_check(name)
    endpoint.url = webhook_url_check(url)
    endpoint.events = _events_check(events, public_only=customer_owned)
    endpoint.tenant = tenant
    endpoint.save(update_fields=["name", "url", "events", "tenant", "updated_at"])
    _changed()
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, actor: User, endpoint_id: int) -> WebhookEndpoint:
    """Turn an endpoint on again (after fixing it): its failure count starts afresh and
    the deliveries that waited are due at once."""
    endpoint = _endpoint_for(actor, endpoint_id, "enable webhooks")
    if endpoint.is_active:
        raise StateConflict(f"{endpoint} is already enabled.")
    endpoint.is_active = True
    endpoint.disabled_reason = ""
    endpoint.consecutive_failures = 0
    endpoint.save(
        update_fields=["is_active", "disabled_reason", "consecutive_failures", "updated_at"]
    )
    _changed()
    waiting = list(
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).values_list(
            "id", flat=True
        )
    )
    WebhookDelivery.objects.filter(id__in=waiting).update(next_attempt_at=timezone.now())
    if waiting:
        transaction.on_commit(partial(webhook_dispatch, waiting), robust=True)
    return endpoint


@transaction.atomic
def webhook_endpoint_disable(*, actor: User, endpoint_id: int) -> WebhookEndpoint:
    """Stop sending to an endpoint; what it has not received waits until it is enabled."""
    endpoint = _endpoint_for(actor, endpoint_id, "disable webhooks")
    if not endpoint.is_active:
        raise StateConflict(f"{endpoint} is already disabled.")
    endpoint.is_active = False
    endpoint.disabled_reason = f"Disabled by {actor}."
    endpoint.save(update_fields=["is_active", "disabled_reason", "updated_at"])
    _changed()
    return endpoint


# --- Events ----------------------------------------------------------------------------


def webhook_payload(
    *, kind: str, event_id: str, occurred_at: str, tenant_id: int | None, data: Mapping
) -> str:
    """The JSON body of an event, as POSTed (described in the OpenAPI document)."""
    return json.dumps(
        {
            "version": PAYLOAD_VERSION,
            "id": event_id,
            "type": kind,
            "created_at": occurred_at,
            "tenant_id": tenant_id,
            "data": dict(data),
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


_ACTIVE_CACHE_KEY = "webhooks:active-endpoints:v2"


def _forget_active() -> None:
    cache.delete(_ACTIVE_CACHE_KEY)


def _changed() -> None:
    """The set of active endpoints changed: every process reads it afresh (now, and once
    the change commits, so no reader caches the state from before it)."""
    _forget_active()
    transaction.on_commit(_forget_active)


def _active_endpoints() -> list[tuple[int, int | None, frozenset[str], bool]]:
    """(id, tenant id, kinds, customer-owned) of every active endpoint, cached: every
    recorded case event asks, and most desks have no endpoint at all."""
    cached = cache.get(_ACTIVE_CACHE_KEY)
    if cached is None:
        cached = [
            (endpoint_id, tenant_id, list(events), not staff_owner)
            for endpoint_id, tenant_id, events, staff_owner in WebhookEndpoint.objects.filter(
                is_active=True
            ).values_list("id", "tenant_id", "events", "owner__is_staff")
        ]
        cache.set(_ACTIVE_CACHE_KEY, cached, timeout=300)
    return [
        (endpoint_id, tenant_id, frozenset(kinds), customer_owned)
        for endpoint_id, tenant_id, kinds, customer_owned in cached
    ]


def _hears(
    kind: str, tenant_id: int | None, endpoint_tenant: int | None, customer_owned: bool
) -> bool:
    if customer_owned:
        # Defence in depth (the services refuse to make such an endpoint): a customer's
        # own endpoint hears its own customer's public events, nothing else.
        return (
            endpoint_tenant is not None and endpoint_tenant == tenant_id and (kind in PUBLIC_EVENTS)
        )
    return endpoint_tenant in (None, tenant_id)


def _subscribed(kind: str, tenant_id: int | None) -> list[tuple[int, bool]]:
    """(id, customer-owned) of the active endpoints that hear this kind of event of this
    tenant: those of the tenant, and those of every tenant (a customer's own endpoint: its
    public events)."""
    return [
        (endpoint_id, customer_owned)
        for endpoint_id, endpoint_tenant, kinds, customer_owned in _active_endpoints()
        if kind in kinds and _hears(kind, tenant_id, endpoint_tenant, customer_owned)
    ]


def subscribed_endpoint_ids(kind: str, tenant_id: int | None) -> list[int]:
    return [endpoint_id for endpoint_id, _owned in _subscribed(kind, tenant_id)]


def webhooks_wanted(kind: str, tenant_id: int | None) -> bool:
    """Whether any endpoint hears this event: callers ask before building its payload,
    so a desk without endpoints pays no query for them."""
    return bool(subscribed_endpoint_ids(kind, tenant_id))


def _still_entitled(subscribed: list[tuple[int, bool]], tenant_id: int | None) -> list[int]:
    """The subscribed endpoints' ids, without the customers' own endpoints whose owner may
    no longer act for the customer (a contact removed, a partner's letter rescinded): what
    they registered stops hearing the customer's events at once, without waiting for
    someone to disable it."""
    customer_owned = {endpoint_id for endpoint_id, owned in subscribed if owned}
    lapsed: set[int] = set()
    if customer_owned and tenant_id is not None:
        owners = WebhookEndpoint.objects.filter(id__in=customer_owned).select_related("owner")
        lapsed = {
            endpoint.id
            for endpoint in owners
            if not may_manage_tenant_webhooks(endpoint.owner, tenant_id)
        }
    return [endpoint_id for endpoint_id, _owned in subscribed if endpoint_id not in lapsed]


def webhooks_emit(*, kind: str, tenant_id: int | None, data: Mapping, dedup_key: str) -> list[int]:
    """Write one delivery per endpoint that hears this event, in the caller's
    transaction, and send them once it commits. The same `dedup_key` written twice keeps
    the first (a change recorded twice is sent once). Returns the new rows' ids."""
    if kind not in WEBHOOK_EVENTS:
        raise ValueError(f"Unknown webhook event kind {kind!r}.")
    endpoint_ids = _still_entitled(_subscribed(kind, tenant_id), tenant_id)
    if not endpoint_ids:
        return []
    event_id = str(uuid.uuid4())
    body = webhook_payload(
        kind=kind,
        event_id=event_id,
        occurred_at=timezone.now().isoformat(),
        tenant_id=tenant_id,
        data=data,
    )
    return _write(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event=kind,
                event_id=event_id,
                dedup_key=f"{dedup_key}:endpoint-{endpoint_id}"[:300],
                body=body,
            )
            for endpoint_id in endpoint_ids
        ]
    )


def _write(rows: list[WebhookDelivery]) -> list[int]:
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        WebhookDelivery.objects.filter(
            dedup_key__in=[row.dedup_key for row in rows], status=WebhookDelivery.Status.PENDING
        ).values_list("id", flat=True)
    )
    if ids:
        transaction.on_commit(partial(webhook_dispatch, ids), robust=True)
    return ids


@transaction.atomic
def webhook_send_test(*, actor: User, endpoint_id: int) -> WebhookDelivery:
    """Send an endpoint a test event (kind `webhook.test`), signed like any other, to
    check its address and its signature check; it shows in the delivery log."""
    endpoint = _endpoint_for(actor, endpoint_id, "test webhooks")
    event_id = str(uuid.uuid4())
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=TEST_EVENT,
        event_id=event_id,
        dedup_key=f"test:{event_id}",
        body=webhook_payload(
            kind=TEST_EVENT,
            event_id=event_id,
            occurred_at=timezone.now().isoformat(),
            tenant_id=endpoint.tenant_id,
            data={"endpoint": endpoint.name, "sent_by": str(actor)},
        ),
    )
    transaction.on_commit(partial(webhook_dispatch, [delivery.id]), robust=True)
    return delivery


def webhook_dispatch(ids: list[int]) -> None:
    """Hand committed rows to the workers; a broker that is down only delays them."""
    from notifications.tasks import send_webhook

    for position, delivery_id in enumerate(ids):
        try:
            send_webhook.apply_async((delivery_id,), retry=False)
        except Exception as error:
            logger.warning(
                "webhooks: could not enqueue %d deliver(ies) (%s); they stay pending",
                len(ids) - position,
                type(error).__name__,
            )
            return


# --- Signing ---------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp` (Unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --- Delivery --------------------------------------------------------------------------

_UNSENT = [WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING]


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base … after each failed attempt, capped."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a place to send the event (and its signature) to."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class _Answer:
    status: int | None
    body: str
    error: str


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> _Answer:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 (the URL is checked to be http(s))
    try:
        with _OPENER.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            text = response.read(RESPONSE_KEPT).decode("utf-8", "replace")
            return _Answer(response.status, text, "")
    except urllib.error.HTTPError as error:
        text = error.read(RESPONSE_KEPT).decode("utf-8", "replace") if error.fp else ""
        return _Answer(error.code, text, f"HTTP {error.code}")
    except (TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return _Answer(None, "", f"{type(error).__name__}: {reason}")


def _claim(ids: list[int]) -> list[WebhookDelivery]:
    token = uuid.uuid4().hex
    now = timezone.now()
    WebhookDelivery.objects.filter(
        id__in=ids, status__in=_UNSENT, next_attempt_at__lte=now, endpoint__is_active=True
    ).update(
        status=WebhookDelivery.Status.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=settings.WEBHOOK_SEND_LEASE_SECONDS),
        claim=token,
    )
    won = {
        row.id: row
        for row in WebhookDelivery.objects.filter(id__in=ids, claim=token).select_related(
            "endpoint"
        )
    }
    return [won[i] for i in ids if i in won]


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    secret = decrypt_text(delivery.endpoint.secret_encrypted)
    return {
        "Content-Type": "application/json",
        "User-Agent": "SupportDesk-Webhooks/1",
        "SupportDesk-Event": delivery.event,
        "SupportDesk-Delivery": str(delivery.id),
        SIGNATURE_HEADER: webhook_signature(secret, int(time.time()), body),
    }


def _deliver_claimed(delivery: WebhookDelivery) -> str:
    body = delivery.body.encode("utf-8")
    answer = _post(delivery.endpoint.url, body, _headers(delivery, body))
    now = timezone.now()
    kept = redact(answer.body)[:RESPONSE_KEPT]
    if answer.status is not None and 200 <= answer.status < 300:
        WebhookDelivery.objects.filter(id=delivery.id).update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=now,
            response_status=answer.status,
            response_body=kept,
            last_error="",
        )
        WebhookEndpoint.objects.filter(id=delivery.endpoint_id).update(consecutive_failures=0)
        return "delivered"
    error = redact(answer.error or f"HTTP {answer.status}")[:2000]
    give_up = delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
    WebhookDelivery.objects.filter(id=delivery.id).update(
        status=WebhookDelivery.Status.FAILED if give_up else WebhookDelivery.Status.PENDING,
        next_attempt_at=now + retry_delay(delivery.attempts),
        response_status=answer.status,
        response_body=kept,
        last_error=error,
    )
    logger.warning(
        "webhooks: delivery %d (%s to endpoint %d) failed on attempt %d%s: %s",
        delivery.id,
        delivery.event,
        delivery.endpoint_id,
        delivery.attempts,
        ", giving up" if give_up else "",
        error,
    )
    _count_failure(delivery.endpoint_id)
    return "failed" if give_up else "retry"


def _count_failure(endpoint_id: int) -> None:
    """One more failure in a row; past WEBHOOK_DISABLE_AFTER the endpoint is disabled
    (once: the UPDATE only matches an active endpoint) and its owner emailed."""
    WebhookEndpoint.objects.filter(id=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = settings.WEBHOOK_DISABLE_AFTER
    with transaction.atomic():
        disabled = WebhookEndpoint.objects.filter(
            id=endpoint_id, is_active=True, consecutive_failures__gte=limit
        ).update(
            is_active=False,
            disabled_reason=f"Disabled after {limit} failed deliveries in a row.",
        )
        if not disabled:
            return
        _changed()
        endpoint = WebhookEndpoint.objects.select_related("owner").get(id=endpoint_id)
        if endpoint.owner.email:
            outbox_enqueue(
                recipient=endpoint.owner.email,
                user_id=endpoint.owner_id,
                event="webhook.disabled",
                template="webhook_disabled",
                context={
                    "name": endpoint.name,
                    "failures": limit,
                    "host": urlsplit(endpoint.url).hostname or "",
                },
                dedup_key=f"webhook-disabled:{endpoint.id}:{timezone.now():%Y%m%d%H%M%S%f}",
            )
    logger.error("webhooks: endpoint %d disabled after %d failures in a row", endpoint_id, limit)


def webhooks_deliver(ids: Iterable[int]) -> dict[str, int]:
    """POST each delivery this worker manages to claim; returns the count per outcome.
    Rows another worker claimed, already delivered, or of a disabled endpoint are skipped."""
    ids = list(ids)
    counts = {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0}
    claimed = _claim(ids)
    counts["skipped"] = len(ids) - len(claimed)
    for delivery in claimed:
        counts[_deliver_claimed(delivery)] += 1
    return counts


def webhooks_deliver_due(*, batch_size: int = 200, time_budget: float = 50.0) -> dict[str, int]:
    """The sweep (beat, every minute): every due delivery of an active endpoint, oldest
    first, until the time budget is spent."""
    started = time.monotonic()
    totals = {"delivered": 0, "retry": 0, "failed": 0, "skipped": 0}
    while time.monotonic() - started < time_budget:
        due = list(
            WebhookDelivery.objects.filter(
                status__in=_UNSENT, next_attempt_at__lte=timezone.now(), endpoint__is_active=True
            )
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not due:
            break
        counts = webhooks_deliver(due)
        for outcome, count in counts.items():
            totals[outcome] += count
        if not counts["delivered"] and not counts["failed"] and counts["skipped"] == len(due):
            break
    return totals
