"""Who hears of a request event, through the outbox, in the service's transaction."""

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from notifications.outbox import OutgoingEmail
from notifications.services import outbox_enqueue_many, webhooks_emit, webhooks_wanted
from servicerequests.handlers import handler_for
from servicerequests.models import RequestEvent, ServiceRequest
from supportdesk.types import User
from tenants.access import can_act_for
from tenants.roles import Role


def portal_request_url(request: ServiceRequest) -> str:
    return f"{settings.SITE_URL}/requests/{request.reference}/"


def staff_request_url(request: ServiceRequest) -> str:
    return settings.SITE_URL + reverse(
        "admin:servicerequests_servicerequest_change", args=[request.id]
    )


def _staff_in(role: Role) -> list[User]:
    return list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=role.value)
        .order_by("id")
    )


def _write(
    request: ServiceRequest,
    users: Iterable[User],
    *,
    event: RequestEvent,
    name: str,
    template: str,
    staff: bool,
    extra: dict | None = None,
) -> list[int]:
    handler = handler_for(request.request_type.code)
    zone = ZoneInfo(settings.TIME_ZONE if staff else (request.tenant.time_zone or "UTC"))
    emails, seen = [], set()
    for user in users:
        address = (user.email or "").strip().lower()
        if not address or address in seen or (user == event.actor and staff):
            continue
        seen.add(address)
        emails.append(
            OutgoingEmail(
                recipient=user.email,
                user_id=user.pk,
                event=name,
                template=template,
                context={
                    "request_reference": request.reference,
                    "summary": request.summary,
                    "type": request.request_type.name,
                    "tenant": request.tenant.name,
                    "environment": request.environment.name if request.environment else "",
                    "state": request.get_state_display(),
                    "details": handler.describe(request.details),
                    "message": event.message,
                    "recipient_name": user.get_full_name() or user.email,
                    "actor_name": (
                        event.actor.get_full_name() or event.actor.get_username()
                        if event.actor
                        else "SupportDesk"
                    ),
                    "case_url": staff_request_url(request)
                    if staff
                    else portal_request_url(request),
                    "respond_by": (
                        request.respond_by.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")
                        if request.respond_by
                        else ""
                    ),
                    **(extra or {}),
                },
                dedup_key=f"request-event:{event.id}:{address}",
            )
        )
    return outbox_enqueue_many(emails)


def _requester(request: ServiceRequest) -> list[User]:
    user = request.requested_by
    return [user] if user.is_active and can_act_for(user, request.tenant_id) else []


_STATE_EVENTS = {
    RequestEvent.Kind.SUBMITTED,
    RequestEvent.Kind.STARTED,
    RequestEvent.Kind.DONE,
    RequestEvent.Kind.REJECTED,
}


def _webhook(event: RequestEvent) -> None:
    """Other systems hear when a request changes state (`request.state_changed`)."""
    request = event.request
    if event.kind not in _STATE_EVENTS or not webhooks_wanted(
        "request.state_changed", request.tenant_id
    ):
        return
    webhooks_emit(
        kind="request.state_changed",
        tenant_id=request.tenant_id,
        data={
            "request": {
                "reference": request.reference,
                "summary": request.summary,
                "type": request.request_type.code,
                "state": request.state,
                "tenant": request.tenant.name,
                "url": portal_request_url(request),
            },
            "event": {"kind": event.kind, "message": event.message if event.public else ""},
        },
        dedup_key=f"request-event:{event.id}:webhook",
    )


def notify_request_event(event: RequestEvent) -> list[int]:
    """The emails (and the webhook deliveries) a request's event calls for."""
    _webhook(event)
    request = event.request
    kind = event.kind
    if kind == RequestEvent.Kind.SUBMITTED:
        return _write(
            request,
            _requester(request),
            event=event,
            name="request.submitted",
            template="request_submitted",
            staff=False,
        ) + _write(
            request,
            _staff_in(Role.TRIAGE_LEAD),
            event=event,
            name="request.received",
            template="request_received",
            staff=True,
        )
    if kind in (RequestEvent.Kind.STARTED, RequestEvent.Kind.DONE):
        return _write(
            request,
            _requester(request),
            event=event,
            name="request.state_changed",
            template="request_state_changed",
            staff=False,
            extra={"done": kind == RequestEvent.Kind.DONE, "signed": bool(request.authorization)},
        )
    if kind == RequestEvent.Kind.REJECTED:
        return _write(
            request,
            _requester(request),
            event=event,
            name="request.rejected",
            template="request_rejected",
            staff=False,
            extra={"reason": request.rejection_reason},
        )
    if kind == RequestEvent.Kind.STEP_DONE:
        pending = request.steps.filter(done_at__isnull=True).order_by("position").first()
        if pending is not None and pending.role == Role.SECURITY:
            return _write(
                request,
                _staff_in(Role.SECURITY),
                event=event,
                name="request.security_review",
                template="request_security_review",
                staff=True,
                extra={"step": pending.title},
            )
    return []
