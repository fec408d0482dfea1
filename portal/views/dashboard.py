"""The dashboard (a tenant's cases) and the tenant switcher."""

from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cases.models import OPEN_STATES, State
from cases.selectors import case_list_for
from notifications.announcements import current_announcements
from portal.context import PortalRequest, portal_page, remember_tenant
from supportdesk.keyset import BadCursor, keyset_page, order_keys
from tenants.selectors import tenant_choices

PAGE_SIZE = 20


def is_htmx_fragment(request: HttpRequest, target: str) -> bool:
    """An htmx request for one region of the page (history restores want the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and request.headers.get("HX-Target") == target
    )


def case_page(request: HttpRequest, cases: QuerySet) -> tuple[Page, bool]:
    """A page of the list by its keys (`supportdesk.keyset`): Older and Newer carry the
    last or first row's update (or closure) time and id, so an old page costs what the
    first costs. A search (best match first) and an old `?page=` link are paged by number
    as before. The second value is True when the cursor was refused (first page shown)."""
    paginator = Paginator(cases, PAGE_SIZE)
    keys = order_keys(cases)
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    if keys is None or (request.GET.get("page") and not (after or before)):
        return paginator.get_page(request.GET.get("page")), False
    try:
        return keyset_page(paginator, cases, keys, PAGE_SIZE, after=after, before=before), False
    except BadCursor:
        return keyset_page(paginator, cases, keys, PAGE_SIZE), True


@require_GET
@portal_page
def dashboard(request: PortalRequest) -> HttpResponse:
    portal = request.portal
    closed = request.GET.get("view") == "closed"
    filters = {
        "state": request.GET.get("state", ""),
        "priority": request.GET.get("priority", ""),
        "query": request.GET.get("q", "").strip()[:100],
    }
    cases = case_list_for(request.user, tenant_id=portal.tenant.id, closed=closed, **filters)
    page, bad_cursor = case_page(request, cases)
    list_query = urlencode(
        {
            **({"view": "closed"} if closed else {}),
            "q": filters["query"],
            "state": filters["state"],
            "priority": filters["priority"],
        }
    )
    context = {
        "page": page,
        "bad_cursor": bad_cursor,
        "list_query": list_query,
        "closed": closed,
        "searching": bool(filters["query"]),
        "filters": filters,
        "filtered": any(filters.values()),
        "states": [(state, State(state).label) for state in OPEN_STATES],
        "priorities": portal.tenant.plan.priorities.all(),
    }
    if is_htmx_fragment(request, "case-results"):
        response = render(request, "portal/_case_table.html", context)
    else:
        context["announcements"] = current_announcements(timezone.now())
        context["open_count"] = (
            page.paginator.count
            if not (closed or context["filtered"])
            else case_list_for(request.user, tenant_id=portal.tenant.id).count()
        )
        response = render(request, "portal/dashboard.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_POST
@portal_page
def switch_tenant(request: PortalRequest) -> HttpResponse:
    tenant_id = request.POST.get("tenant", "")
    tenant = (
        tenant_choices(request.user).filter(id=tenant_id).first() if tenant_id.isdigit() else None
    )
    if tenant is None:
        raise Http404("No such customer.")
    remember_tenant(request, tenant)
    return redirect("portal:dashboard")
