"""The page an invited contact reaches from the invitation email to choose a password."""

from allauth.account.utils import perform_login
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.forms import ChoosePasswordForm
from supportdesk.errors import InvalidInput, ServiceError
from tenants.invitations import contact_invitation_open
from tenants.services import contact_invitation_accept

SESSION_TOKEN = "_contact_invitation_token"  # noqa: S105  (the session key's name)
SET_PASSWORD = "set-password"  # noqa: S105  (a path segment)
# The one backend that checks passwords; signing in here follows a password just chosen.


def _unavailable(request: HttpRequest, error: ServiceError) -> HttpResponse:
    return render(
        request,
        "portal/auth/invitation_unavailable.html",
        {"message": error.message},
        status=error.status_code,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, invitation_id: int, token: str) -> HttpResponse:
    """As Django's password reset does, the secret moves from the address to the session
    at once, so it stays out of the browser's history and any Referer header."""
    if token != SET_PASSWORD:
        request.session[SESSION_TOKEN] = token
        return redirect("portal:invitation", invitation_id=invitation_id, token=SET_PASSWORD)
    secret = request.session.get(SESSION_TOKEN, "")
    try:
        opened = contact_invitation_open(invitation_id=invitation_id, token=secret)
    except ServiceError as error:
        return _unavailable(request, error)
    form = ChoosePasswordForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = contact_invitation_accept(
                invitation_id=invitation_id,
                token=secret,
                password=form.cleaned_data["password"],
                password_again=form.cleaned_data["password_again"],
            )
        except InvalidInput as error:
            form.add_error(None, error.message)
            for field, field_errors in error.field_errors.items():
                for message in field_errors:
                    form.add_error(field, message)
            status = error.status_code
        except ServiceError as error:
            return _unavailable(request, error)
        else:
            request.session.pop(SESSION_TOKEN, None)
            messages.success(request, "Your password is set and you are signed in. Welcome!")
            # allauth's sign-in flow, as after a password: its stages (a second step, for
            # someone who has one) and its session bookkeeping all apply.
            return perform_login(request, user, redirect_url=reverse("portal:dashboard"))
    return render(
        request, "portal/auth/invitation.html", {"opened": opened, "form": form}, status=status
    )
