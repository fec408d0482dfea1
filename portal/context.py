"""Who is using the portal, for which tenant: checked on every request.

The current tenant lives in the session, but the session only names a choice: each
request takes it again from `tenants_for`, so a rescinded letter or a removed contact
ends access at the next click.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from supportdesk.types import AuthenticatedHttpRequest
from tenants.access import acting_partner_member, is_contact_of, portal_access_problem
from tenants.models import Partner, Tenant
from tenants.roles import is_support_staff
from tenants.selectors import tenant_choices

SESSION_KEY = "portal_tenant"

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Portal:
    """The portal's view of the request: the tenant acted for and in what capacity."""

    tenant: Tenant
    tenants: list[Tenant]
    is_contact: bool
    partner: Partner | None

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tenant.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


class PortalRequest(AuthenticatedHttpRequest):
    """The request of a view behind `portal_page`: signed in, with `portal` set."""

    portal: Portal


def remember_tenant(request: HttpRequest, tenant: Tenant) -> None:
    request.session[SESSION_KEY] = {"id": tenant.id, "name": tenant.name}


def _current(request: HttpRequest, tenants: list[Tenant]) -> Tenant:
    chosen = request.session.get(SESSION_KEY) or {}
    for tenant in tenants:
        if tenant.id == chosen.get("id"):
            return tenant
    if chosen:
        messages.warning(
            request,
            f"You no longer have access to {chosen.get('name', 'that customer')}; "
            f"you are now working for {tenants[0].name}.",
        )
    remember_tenant(request, tenants[0])
    return tenants[0]


def portal_page(view: View) -> View:
    """Sign-in, portal access and the current tenant for a customer or partner page;
    the view finds them on `request.portal`, and times render in the tenant's zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if is_support_staff(user):
            messages.info(request, "Support staff work cases in the staff queue.")
            return redirect("admin:index")
        problem = portal_access_problem(user)
        tenants = list(tenant_choices(user)) if problem is None else []
        if not tenants:
            request.session.pop(SESSION_KEY, None)
            return render(
                request,
                "portal/no_access.html",
                {"problem": problem or "Your account has no portal access."},
                status=403,
            )
        tenant = _current(request, tenants)
        contact = is_contact_of(user, tenant.id)
        membership = None if contact else acting_partner_member(user, tenant.id)
        portal = Portal(
            tenant=tenant,
            tenants=tenants,
            is_contact=contact,
            partner=membership.partner if membership else None,
        )
        # Here the request becomes the PortalRequest the view is typed with.
        request.portal = portal  # type: ignore[attr-defined]
        with timezone.override(portal.zone):
            return view(request, *args, **kwargs)

    return wrapper
