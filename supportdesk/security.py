"""Security headers and what a locked-out sign-in sees (django-axes calls `locked_out`
instead of the view)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from supportdesk.sign_in_limits import address_locked_out

API_PREFIX = "/api/"


def locked_out(request: HttpRequest, credentials: dict | None = None) -> HttpResponse:
    """The lockout page, on the portal's and the admin's sign-in alike: how many failed
    attempts caused it (for this account, or for any account from this network) and when
    to try again, with status 429 (Too Many Requests)."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    whole_address = address_locked_out(request)
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT if whole_address else settings.AXES_FAILURE_LIMIT
    return render(
        request,
        "portal/auth/locked_out.html",
        {"whole_address": whole_address, "failure_limit": limit, "cooloff_minutes": minutes},
        status=429,
    )


class NoStoreMiddleware:
    """`Cache-Control: no-store` (with `private`) on every API answer and on every response
    to a signed-in user, so no browser or proxy keeps a copy of someone's cases. Anonymous
    pages (the public status page, sign-in) keep whatever the view set, and static files
    never reach this middleware (WhiteNoise answers them first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Read after the view: a sign-in in this request counts, a sign-out does not.
        if request.path_info.startswith(API_PREFIX) or request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


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
            response._csp_update = {"style-src": ["'unsafe-inline'"]}  # type: ignore[attr-defined]
        return response
