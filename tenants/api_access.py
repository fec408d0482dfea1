"""Who is calling the API: bearer tokens, and the desk-access check every endpoint makes.

Both are named in settings (`REST_FRAMEWORK`), so the other apps' API views get them
without importing `tenants`.
"""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from tenants.access import portal_access_problem
from tenants.api_tokens import api_token_user
from tenants.mfa import mfa_missing
from tenants.models import ApiToken


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` with a token made on the portal's API tokens page."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[object, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as 'Authorization: Bearer <token>'.")
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        found = api_token_user(secret)
        if found is None:
            raise exceptions.AuthenticationFailed(
                _("The token is not valid: it is unknown, revoked or expired.")
            )
        return found

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class HasDeskAccess(BasePermission):
    """Signed in (session or token) and allowed to use the desk: support staff, or a
    contact or partner who may act for at least one tenant; and, where a second step of
    sign-in is required (tenants.mfa), with one set up: a token made before the tenant
    required it does not get around it. The refusal says why."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        problem = portal_access_problem(request.user)
        if problem is not None:
            self.message = problem
            return False
        if mfa_missing(request.user):
            self.message = "Set up two-step sign-in in the portal before using the API."
            return False
        return True
