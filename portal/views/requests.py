"""Service requests in the portal, beside cases: the list, the catalogue of the plan,
a form per request type, a request's page and a signed authorization."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from portal.context import PortalRequest, portal_page
from portal.errors import apply_service_error, form_invalid, found_or_404
from servicerequests import services
from servicerequests.handlers import handler_for
from servicerequests.models import ServiceRequest
from servicerequests.selectors import (
    request_by_reference,
    request_events_for,
    request_list_for,
    request_types_for,
    signed_authorization,
)
from supportdesk.errors import ServiceError
from tenants.account_teams import account_team_of
from tenants.environments import environments_of, flag_matrix


@require_GET
@portal_page
def request_list(request: PortalRequest) -> HttpResponse:
    tenant = request.portal.tenant
    closed = request.GET.get("view") == "closed"
    context = {
        "requests": request_list_for(request.user, tenant_id=tenant.id, closed=closed)[:100],
        "closed": closed,
        "types": request_types_for(tenant),
    }
    return render(request, "portal/requests.html", context)


@require_http_methods(["GET", "POST"])
@portal_page
def request_new(request: PortalRequest, code: str) -> HttpResponse:
    tenant = request.portal.tenant
    request_type = request_types_for(tenant).filter(code=code).first()
    if request_type is None:
        raise Http404("Your plan does not offer this request.")
    handler = handler_for(code)
    form = handler.form(tenant=tenant, data=request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            created = services.service_request_submit(
                actor=request.user, tenant_id=tenant.id, type_code=code, data=request.POST
            )
        except ServiceError as error:
            status = apply_service_error(request, error, form)
            if status == 400 and not error.field_errors:
                status = form_invalid(request)
        else:
            messages.success(request, f"{created.reference} is submitted. We'll keep you posted.")
            return redirect("portal:request", reference=created.reference)
    environments = list(environments_of(request.user, tenant.id))
    context = {
        "request_type": request_type,
        "handler": handler,
        "form": form,
        "matrix": flag_matrix(environments) if code == "feature_flags" else None,
        "environments": environments,
    }
    return render(request, "portal/request_new.html", context, status=status)


def _lines(service_request: ServiceRequest) -> list[tuple[str, str]]:
    return handler_for(service_request.request_type.code).describe(service_request.details)


@require_GET
@portal_page
def request_detail(request: PortalRequest, reference: str) -> HttpResponse:
    service_request = found_or_404(request_by_reference, request.user, reference)
    context = {
        "sr": service_request,
        "lines": _lines(service_request),
        "steps": service_request.steps.all(),
        "events": request_events_for(request.user, service_request),
        "signed": signed_authorization(service_request) is not None,
    }
    return render(request, "portal/request_detail.html", context)


@require_GET
@portal_page
def request_authorization(request: PortalRequest, reference: str) -> HttpResponse:
    service_request = found_or_404(request_by_reference, request.user, reference)
    authorization = signed_authorization(service_request)
    if authorization is None:
        raise Http404("There is no signed authorization for this request.")
    context = {
        "sr": service_request,
        "document": authorization["document"],
        "signature": authorization["signature"],
        "back": reverse("portal:request", kwargs={"reference": reference}),
    }
    return render(request, "portal/request_authorization.html", context)


@require_GET
@portal_page
def account(request: PortalRequest) -> HttpResponse:
    tenant = request.portal.tenant
    environments = list(environments_of(request.user, tenant.id))
    context = {
        "team": account_team_of(request.user, tenant.id),
        "environments": environments,
        "matrix": flag_matrix(environments),
    }
    return render(request, "portal/account.html", context)
