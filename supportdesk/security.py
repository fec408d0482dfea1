"""What a locked-out sign-in sees (django-axes calls `locked_out` instead of the view)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
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


class AdminInlineStylesMiddleware:
    """Allows inline style attributes on staff admin pages only: Django's admin templates
    and the manager dashboard's bars set widths and colours in `style` attributes. Scripts
    stay as strict as everywhere else, and the portal keeps the full policy.

    Sits inside django-csp's middleware, which reads `_csp_update` off the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response
