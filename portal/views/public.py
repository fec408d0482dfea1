"""Pages anyone may read: the service status page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from notifications.announcements import public_status


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "portal/status.html", {"status": public_status(now), "now": now})
