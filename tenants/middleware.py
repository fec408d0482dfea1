"""Keeps a signed-in user who must have a second step of sign-in, and has none yet, on
the pages that set one up (tenants.mfa says who must); shows staff pages in the staff
user's own time zone."""

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from supportdesk.api.errors import error_body
from tenants.mfa import mfa_missing
from tenants.roles import is_support_staff
from tenants.staff_preferences import staff_time_zone_of

# Pages such a user may still open: allauth's MFA set-up pages (mfa_*), reauthentication
# (asked before a security key is added) and signing out.
_OPEN_URL_NAMES = frozenset(
    {"account_reauthenticate", "account_logout", "portal:sign_out", "admin:logout"}
)
_ADMIN_PREFIX = "/admin/"
_MESSAGE = "Set up two-step sign-in first: this account may not be used without it."


def _open_to_everyone(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    return (match.url_name or "").startswith("mfa_") or match.view_name in _OPEN_URL_NAMES


class MfaRequiredMiddleware:
    """Staff without a second step reach neither the admin nor the API; a contact (or
    partner) of a tenant that requires one reaches neither the portal nor the API. Pages
    are redirected to the set-up page; the API answers 403 in its error body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: tuple, view_kwargs: dict
    ) -> HttpResponseBase | None:
        if not request.user.is_authenticated or _open_to_everyone(request):
            return None
        if not mfa_missing(request.user):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("mfa_required", _MESSAGE), status=403)
        return HttpResponseRedirect(reverse("mfa_index"))


class StaffTimeZoneMiddleware:
    """Staff pages (the admin) render every time in the signed-in staff user's own zone
    (tenants.staff_preferences); other pages keep theirs (the portal: the tenant's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not (request.path.startswith(_ADMIN_PREFIX) and is_support_staff(request.user)):
            return self.get_response(request)
        with timezone.override(ZoneInfo(staff_time_zone_of(request.user))):
            return self.get_response(request)
