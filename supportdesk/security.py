"""What a locked-out sign-in sees (django-axes calls `locked_out` instead of the view)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(request: HttpRequest, credentials: dict | None = None) -> HttpResponse:
    """The lockout page, on the portal's and the admin's sign-in alike: how many failed
    attempts caused it and when to try again, with status 429 (Too Many Requests)."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return render(
        request,
        "portal/auth/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=429,
    )
