"""Reads of service requests, all starting from the one access function."""

import datetime as dt

from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery

from servicerequests.handlers import REGISTRY
from servicerequests.handlers.security import authorization_is_valid
from servicerequests.models import (
    OPEN_STATES,
    FulfilmentStep,
    RequestEvent,
    RequestType,
    ServiceRequest,
    State,
)
from supportdesk.errors import NotFound
from supportdesk.types import AnyUser
from tenants.access import tenants_for
from tenants.models import Tenant
from tenants.roles import Role, is_support_staff


def requests_for(user: AnyUser) -> QuerySet[ServiceRequest]:
    """Requests of the tenants the user may act for (all of them for support staff)."""
    if is_support_staff(user):
        return ServiceRequest.objects.all()
    return ServiceRequest.objects.filter(tenant__in=tenants_for(user))


def request_list_for(user: AnyUser, *, tenant_id: int, closed: bool = False) -> QuerySet:
    requests = requests_for(user).filter(tenant_id=tenant_id)
    if closed:
        requests = requests.exclude(state__in=OPEN_STATES)
    else:
        requests = requests.filter(state__in=OPEN_STATES)
    return requests.select_related("request_type", "environment", "requested_by").order_by(
        "-created_at", "-id"
    )


def requests_matching(
    user: AnyUser,
    *,
    tenant_id: int | None = None,
    status: str = "all",
    state: str = "",
    type_code: str = "",
    updated_since: dt.datetime | None = None,
) -> QuerySet[ServiceRequest]:
    """Requests the user may see, filtered as the API's list asks, with what a list shows."""
    requests = requests_for(user).select_related(
        "tenant", "request_type", "environment", "requested_by", "owner", "partner"
    )
    if tenant_id is not None:
        requests = requests.filter(tenant_id=tenant_id)
    if status == "open":
        requests = requests.filter(state__in=OPEN_STATES)
    elif status == "closed":
        requests = requests.exclude(state__in=OPEN_STATES)
    if state:
        requests = requests.filter(state=state)
    if type_code:
        requests = requests.filter(request_type__code=type_code)
    if updated_since is not None:
        requests = requests.filter(updated_at__gte=updated_since)
    return requests.order_by("-created_at", "-id")


def request_by_reference(user: AnyUser, reference: str) -> ServiceRequest:
    """The request if the user may see it; NotFound for another tenant's, as for none."""
    request = (
        requests_for(user)
        .select_related(
            "tenant__plan", "request_type", "environment", "requested_by", "owner", "partner"
        )
        .prefetch_related(
            Prefetch("steps", queryset=FulfilmentStep.objects.select_related("done_by"))
        )
        .filter(reference=reference)
        .first()
    )
    if request is None:
        raise NotFound("No such request.")
    return request


def requests_waiting_for(user: AnyUser, role: Role) -> QuerySet[ServiceRequest]:
    """Requests in fulfilment whose next step is done by staff of `role` (Security's
    approval and sign-off of a security test), soonest due first, with that step's title
    as `next_step_title`. Read from the requests in fulfilment (the `request_queue` index),
    the next step per request through the steps' (request, position) constraint."""
    pending = FulfilmentStep.objects.filter(request=OuterRef("pk"), done_at__isnull=True)
    next_step = pending.order_by("position")
    return (
        requests_for(user)
        .filter(state=State.IN_FULFILMENT)
        .annotate(
            next_step_role=Subquery(next_step.values("role")[:1]),
            next_step_title=Subquery(next_step.values("title")[:1]),
        )
        .filter(next_step_role=role.value)
        .select_related("tenant", "request_type")
        .order_by(F("respond_by").asc(nulls_last=True), "created_at", "id")
    )


def signed_authorization(request: ServiceRequest) -> dict | None:
    """The request's signed authorization (document and signature) while its signature
    still matches; None when it has none or it was altered."""
    authorization = request.authorization
    if not authorization or not authorization_is_valid(authorization):
        return None
    return authorization


def request_types_for(tenant: Tenant) -> QuerySet[RequestType]:
    """The catalogue as the tenant's plan offers it."""
    return RequestType.objects.filter(active=True, plans=tenant.plan_id, code__in=list(REGISTRY))


def request_events_for(user: AnyUser, request: ServiceRequest) -> QuerySet[RequestEvent]:
    events = request.events.select_related("actor")
    return events if is_support_staff(user) else events.filter(public=True)


__all__ = [
    "State",
    "request_by_reference",
    "request_events_for",
    "request_list_for",
    "request_types_for",
    "requests_for",
    "requests_matching",
    "requests_waiting_for",
    "signed_authorization",
]
