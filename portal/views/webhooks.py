"""The customer's own webhooks: register an endpoint (its secret shown once), turn it
off and on, send it a test event, and read what was delivered to it."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from notifications.webhooks import (
    tenant_webhook_deliveries,
    tenant_webhook_endpoints,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_send_test,
)
from portal.context import PortalRequest, portal_page
from portal.errors import apply_service_error, form_invalid
from portal.forms import WebhookEndpointForm
from supportdesk.errors import ServiceError


def _page(
    request: PortalRequest,
    form: WebhookEndpointForm | None = None,
    *,
    created: object = None,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    tenant = request.portal.tenant
    endpoints = tenant_webhook_endpoints(request.user, tenant.id)
    deliveries = tenant_webhook_deliveries(request.user, tenant.id)
    last: dict[int, list] = {}
    for delivery in deliveries:
        last.setdefault(delivery.endpoint_id, [])
        if len(last[delivery.endpoint_id]) < 3:
            last[delivery.endpoint_id].append(delivery)
    context = {
        "endpoints": [(endpoint, last.get(endpoint.id, [])) for endpoint in endpoints],
        "deliveries": deliveries,
        "form": form or WebhookEndpointForm(),
        "created": created,
        "secret": secret,
    }
    response = render(request, "portal/webhooks.html", context, status=status)
    # The new secret is in this page only: never keep a copy in any cache.
    add_never_cache_headers(response)
    return response


@require_GET
@portal_page
def webhooks(request: PortalRequest) -> HttpResponse:
    return _page(request)


@require_POST
@portal_page
def webhook_new(request: PortalRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=form_invalid(request))
    try:
        made = webhook_endpoint_create(
            actor=request.user, tenant=request.portal.tenant, **form.cleaned_data
        )
    except ServiceError as error:
        return _page(request, form, status=apply_service_error(request, error, form))
    # Rendered, not redirected: the secret must not be stored anywhere to show it later.
    return _page(request, created=made.endpoint, secret=made.secret)


@require_POST
@portal_page
def webhook_disable(request: PortalRequest, endpoint_id: int) -> HttpResponse:
    try:
        endpoint = webhook_endpoint_disable(actor=request.user, endpoint_id=endpoint_id)
    except ServiceError as error:
        return _page(request, status=apply_service_error(request, error))
    messages.success(request, f"“{endpoint.name}” is disabled: events wait until you enable it.")
    return redirect("portal:webhooks")


@require_POST
@portal_page
def webhook_enable(request: PortalRequest, endpoint_id: int) -> HttpResponse:
    try:
        endpoint = webhook_endpoint_enable(actor=request.user, endpoint_id=endpoint_id)
    except ServiceError as error:
        return _page(request, status=apply_service_error(request, error))
    messages.success(request, f"“{endpoint.name}” is enabled again.")
    return redirect("portal:webhooks")


@require_POST
@portal_page
def webhook_test(request: PortalRequest, endpoint_id: int) -> HttpResponse:
    try:
        delivery = webhook_send_test(actor=request.user, endpoint_id=endpoint_id)
    except ServiceError as error:
        return _page(request, status=apply_service_error(request, error))
    messages.success(
        request, f"A test event is on its way to “{delivery.endpoint.name}”: see the log below."
    )
    return redirect("portal:webhooks")
