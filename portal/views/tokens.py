"""The user's personal API tokens: make one (shown once) and revoke it."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from portal.context import PortalRequest, portal_page
from portal.errors import apply_service_error, form_invalid
from portal.forms import ApiTokenForm
from supportdesk.errors import ServiceError
from tenants.api_tokens import MAX_ACTIVE_TOKENS, api_token_create, api_token_revoke, api_tokens_of


def _page(
    request: HttpRequest,
    form: ApiTokenForm | None = None,
    *,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "tokens": api_tokens_of(request.user),
        "form": form or ApiTokenForm(),
        "secret": secret,
        "max_tokens": MAX_ACTIVE_TOKENS,
        "api_root": request.build_absolute_uri(reverse("api:me")).removesuffix("me/"),
        "api_docs": reverse("api:docs"),
    }
    response = render(request, "portal/api_tokens.html", context, status=status)
    # The new token is in this page only: never keep a copy in any cache.
    add_never_cache_headers(response)
    return response


@require_GET
@portal_page
def api_tokens(request: PortalRequest) -> HttpResponse:
    return _page(request)


@require_POST
@portal_page
def api_token_new(request: PortalRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=form_invalid(request))
    try:
        made = api_token_create(actor=request.user, **form.cleaned_data)
    except ServiceError as error:
        return _page(request, form, status=apply_service_error(request, error, form))
    # Rendered, not redirected: the token must not be stored anywhere to show it later.
    return _page(request, secret=made.secret)


@require_POST
@portal_page
def api_token_revoke_view(request: PortalRequest, token_id: int) -> HttpResponse:
    try:
        token = api_token_revoke(actor=request.user, token_id=token_id)
    except ServiceError as error:
        return _page(request, status=apply_service_error(request, error))
    messages.success(request, f"“{token.name}” is revoked: it no longer works.")
    return redirect("portal:api_tokens")
