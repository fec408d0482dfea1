"""Who is using the portal, for which tenant: checked on every request.

The current tenant lives in the session, but the session only names a choice: each
request takes it again from `tenants_for`, so a rescinded letter or a removed contact
ends access at the next click.
"""

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from supportdesk.types import AuthenticatedHttpRequest
from tenants.access import acting_partner_member, portal_access_problem
from tenants.models import Partner, Tenant
from tenants.phones import support_phone_without_access
from tenants.roles import is_support_staff
from tenants.selectors import portal_tenants, tenant_choices
from tenants.staff_preferences import staff_time_zone_of

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
        return _zone_named(self.tenant.time_zone)


class PortalRequest(AuthenticatedHttpRequest):
    """The request of a view behind `portal_page`: signed in, with `portal` set."""

    portal: Portal


def _zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def viewer_zone(request: HttpRequest) -> ZoneInfo | None:
    """The zone a page open to everyone (the status page) shows times in for a signed-in
    viewer: staff their own, a customer or partner the zone of the customer they work for
    (the one chosen in the session, else their first); None for everyone else."""
    user = request.user
    if not user.is_authenticated:
        return None
    if is_support_staff(user):
        return _zone_named(staff_time_zone_of(user))
    tenants = list(tenant_choices(user))
    if not tenants:
        return None
    chosen = (request.session.get(SESSION_KEY) or {}).get("id")
    tenant = next((t for t in tenants if t.id == chosen), tenants[0])
    return _zone_named(tenant.time_zone)


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
        # The tenants first: when there are some, there is no access problem to explain.
        tenants = portal_tenants(user)
        problem = None if tenants else portal_access_problem(user)
        if not tenants:
            request.session.pop(SESSION_KEY, None)
            return render(
                request,
                "portal/no_access.html",
                {
                    "problem": problem or "Your account has no portal access.",
                    "phone": support_phone_without_access(user),
                    "support_email": settings.SUPPORT_EMAIL_ADDRESS
                    or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
                },
                status=403,
            )
        tenant = _current(request, tenants)
        contact = bool(getattr(tenant, "as_contact", False))
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
