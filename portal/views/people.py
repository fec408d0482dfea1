"""A tenant's contacts and letters of authorization, managed by its own contacts."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from portal.context import PortalRequest, portal_page
from portal.errors import apply_service_error, form_invalid
from portal.forms import ContactRequestForm, ReasonForm, RescindForm
from supportdesk.errors import ServiceError
from tenants import services
from tenants.invitations import ONBOARDING_LABELS, contact_onboarding
from tenants.selectors import contact_requests_of, contacts_of, letters_of

View = Callable[..., HttpResponse]


def contacts_only(view: View) -> View:
    """Partners act for a tenant's cases; its people and letters are the tenant's own."""

    @wraps(view)
    def wrapper(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.portal.is_contact:
            return render(
                request,
                "portal/refused.html",
                {
                    "title": "For the customer's own contacts",
                    "message": f"Only {request.portal.tenant}'s authorized contacts manage its "
                    "portal contacts and letters of authorization.",
                },
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


def _contacts_page(
    request: PortalRequest, form: ContactRequestForm | None = None, status: int = 200
) -> HttpResponse:
    tenant = request.portal.tenant
    slots = services.contact_slots(tenant)
    contacts = list(contacts_of(request.user, tenant.id).prefetch_related("invitations"))
    now = timezone.now()
    for contact in contacts:
        # Read by the template beside the contact's own fields.
        onboarding = contact_onboarding(contact, now)
        contact.onboarding = onboarding  # type: ignore[attr-defined]
        contact.onboarding_label = ONBOARDING_LABELS[onboarding]  # type: ignore[attr-defined]
    context = {
        "contacts": contacts,
        "requests": contact_requests_of(request.user, tenant.id),
        "slots": slots,
        "accepted_certifications": tenant.plan.accepted_certification_names,
        "form": form or ContactRequestForm(plan=tenant.plan),
    }
    return render(request, "portal/contacts.html", context, status=status)


@require_GET
@portal_page
@contacts_only
def contacts(request: PortalRequest) -> HttpResponse:
    return _contacts_page(request)


@require_POST
@portal_page
@contacts_only
def contact_request(request: PortalRequest) -> HttpResponse:
    form = ContactRequestForm(request.POST, plan=request.portal.tenant.plan)
    if not form.is_valid():
        return _contacts_page(request, form, status=form_invalid(request))
    try:
        created = services.contact_request_create(
            actor=request.user, tenant_id=request.portal.tenant.id, **form.cleaned_data
        )
    except ServiceError as error:
        return _contacts_page(request, form, status=apply_service_error(request, error, form))
    messages.success(
        request,
        f"Request sent for {created.first_name} {created.last_name}. Support reviews it, "
        "usually within one business day; you'll see the outcome here.",
    )
    return redirect("portal:contacts")


@require_POST
@portal_page
@contacts_only
def contact_remove(request: PortalRequest, contact_id: int) -> HttpResponse:
    form = ReasonForm(request.POST, prefix="remove")
    form.is_valid()
    try:
        removed = services.contact_remove(
            actor=request.user, contact_id=contact_id, reason=form.cleaned_data.get("reason", "")
        )
    except ServiceError as error:
        return _contacts_page(request, status=apply_service_error(request, error))
    name = removed.user.get_full_name() or removed.user.get_username()
    messages.success(request, f"{name} no longer has portal access.")
    return redirect("portal:contacts")


@require_POST
@portal_page
@contacts_only
def contact_invitation_resend_view(request: PortalRequest, contact_id: int) -> HttpResponse:
    try:
        invitation = services.contact_invitation_resend(actor=request.user, contact_id=contact_id)
    except ServiceError as error:
        return _contacts_page(request, status=apply_service_error(request, error))
    user = invitation.contact.user
    messages.success(
        request,
        f"A new invitation is on its way to {user.email}; the previous link no longer works.",
    )
    return redirect("portal:contacts")


def _letters_page(
    request: PortalRequest, form: ReasonForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "letters": letters_of(request.user, request.portal.tenant.id),
        "rescind_form": form or RescindForm(),
    }
    return render(request, "portal/letters.html", context, status=status)


@require_GET
@portal_page
@contacts_only
def letters(request: PortalRequest) -> HttpResponse:
    return _letters_page(request)


@require_POST
@portal_page
@contacts_only
def letter_rescind(request: PortalRequest, letter_id: int) -> HttpResponse:
    form = RescindForm(request.POST)
    form.is_valid()
    try:
        letter = services.letter_rescind(
            actor=request.user, letter_id=letter_id, reason=form.cleaned_data.get("reason", "")
        )
    except ServiceError as error:
        return _letters_page(request, form, status=apply_service_error(request, error, form))
    messages.success(
        request,
        f"The letter is rescinded: {letter.partner} can no longer act for "
        f"{request.portal.tenant}. Cases they filed stay with you.",
    )
    return redirect("portal:letters")
