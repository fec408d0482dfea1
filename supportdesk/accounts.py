"""How the desk uses django-allauth's sign-in flow (ACCOUNT_ADAPTER)."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.views import LoginView
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

_MISMATCH = "Please enter a correct email (or staff user name) and password."
# The portal's sign-in asks for an email only; a staff user name is the admin's business.
_PORTAL_MISMATCH = "Please enter a correct email and password."
_MISMATCH_CODES = {"email_password_mismatch", "username_password_mismatch"}


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _MISMATCH,
        "username_password_mismatch": _MISMATCH,
    }

    def validation_error(self, code: str, *args: Any) -> ValidationError:
        """The wrong-password message in the words of the form it appears under."""
        request = getattr(self, "request", None)
        portal = request is not None and not request.path.startswith("/admin/")
        if code in _MISMATCH_CODES and portal:
            return ValidationError(_PORTAL_MISMATCH, code=code)
        return super().validation_error(code, *args)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Nobody signs up: staff create staff, and contacts arrive through the
        contact-request flow or an invitation."""
        return False

    def get_login_stages(self) -> list[str]:
        """allauth's stages, its second step replaced by the one that knows when the
        vendor's SSO provider already proved a second factor (tenants/sso.py)."""
        return [
            "tenants.sso.SsoAwareAuthenticateStage"
            if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in super().get_login_stages()
        ]

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """django-axes throttles password sign-in (per user and address, with its lockout
        page), so allauth's second counter of failed passwords is not consumed here; it
        still counts failed second-step codes (allauth.mfa calls it directly)."""


sign_in = LoginView.as_view(template_name="portal/auth/sign_in.html")


def admin_sign_in(request: HttpRequest) -> HttpResponseBase:
    """The admin's /admin/login/, served by the same allauth flow as the portal's sign-in
    (the admin's own form would sign staff in without their second step). A signed-in
    customer is sent to the portal rather than bounced between the admin and this page."""
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return sign_in(request)
