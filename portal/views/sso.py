"""Sign-in through the customer's own identity provider: the person gives their email,
the desk finds the tenant provider that vouches for its domain and offers to continue
there (portal.sso and tenants.sso decide the rest).

The continue page is a page of its own, not a redirect, because the Content-Security-
Policy's form-action also governs where a submitted form may be redirected: that page
allows its provider's origin, and only that one.
"""

from urllib.parse import urlsplit

from allauth.account.utils import get_next_redirect_url
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tenants.sso import identity_provider_for_email


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SsoEmailForm(forms.Form):
    email = forms.EmailField(
        label="Work email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


@require_http_methods(["GET", "POST"])
def sign_in_sso(request: HttpRequest) -> HttpResponse:
    form = SsoEmailForm(request.POST or None)
    next_url = get_next_redirect_url(request) or ""
    if form.is_valid():
        config = identity_provider_for_email(form.cleaned_data["email"])
        if config is not None:
            response = render(
                request,
                "portal/auth/sign_in_sso_continue.html",
                {"config": config, "next": next_url},
            )
            # Read by django-csp's middleware.
            response._csp_update = {"form-action": [origin_of(config.issuer)]}  # type: ignore[attr-defined]
            return response
        form.add_error(
            "email",
            "Your organisation has no single sign-on with SupportDesk. "
            "Sign in with your password instead.",
        )
    return render(
        request,
        "portal/auth/sign_in_sso.html",
        {"form": form, "next": next_url},
        status=200 if form.is_valid() or not form.is_bound else 400,
    )
