"""The service status page: anyone may read it; signed-in users choose email alerts."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from notifications.announcements import announcement_kinds_for, public_status
from notifications.services import announcement_subscription_set
from portal.context import viewer_zone
from portal.errors import apply_service_error, form_invalid
from portal.forms import AnnouncementAlertsForm
from supportdesk.errors import ServiceError
from supportdesk.types import AuthenticatedHttpRequest


def _status_page(
    request: HttpRequest, form: AnnouncementAlertsForm | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    if form is None and request.user.is_authenticated:
        form = AnnouncementAlertsForm(initial={"kinds": announcement_kinds_for(request.user)})
    context = {"status": public_status(now), "now": now, "alerts_form": form}
    # Signed in, times read in the viewer's zone; anyone else reads them in UTC.
    with timezone.override(viewer_zone(request) or ZoneInfo("UTC")):
        return render(request, "portal/status.html", context, status=status)


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    return _status_page(request)


@login_required
@require_POST
def announcement_alerts(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AnnouncementAlertsForm(request.POST)
    if not form.is_valid():
        return _status_page(request, form, form_invalid(request))
    try:
        kinds = announcement_subscription_set(user=request.user, kinds=form.cleaned_data["kinds"])
    except ServiceError as error:
        return _status_page(request, form, apply_service_error(request, error, form))
    if kinds:
        messages.success(request, f"We will email you at {request.user.email} about these.")
    else:
        messages.success(request, "You will no longer receive announcement emails.")
    return redirect("portal:status")
