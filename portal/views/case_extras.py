"""On a case's page, the customer's own moves beyond the conversation: escalating the
case to the account team, and picking a time for a live troubleshooting session."""

from typing import cast

from django.contrib import messages
from django.forms import ChoiceField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cases import services
from cases.models import Case, TroubleshootingSession
from cases.selectors import case_by_reference
from portal.context import PortalRequest, portal_page
from portal.errors import apply_service_error, found_or_404
from portal.forms import EscalateForm, SessionChoiceForm
from supportdesk.errors import ServiceError
from tenants.account_teams import escalation_path


def customer_panels(request: HttpRequest, case: Case, forms: dict) -> dict:
    """What the case page needs for the escalation and session panels."""
    session = services.open_session(case)
    choice = forms.get("session_form") or SessionChoiceForm()
    if session is not None and session.status == TroubleshootingSession.Status.PROPOSED:
        slots = [(slot.id, slot.starts_at) for slot in session.slots.all()]
        cast(ChoiceField, choice.fields["slot"]).choices = slots
    escalation = services.live_escalation(case)
    # The path shows beside a live escalation, or with the button on an open case.
    path = escalation_path(case.tenant) if escalation is not None or case.is_open else []
    return {
        "escalation": escalation,
        "escalation_path": path,
        "escalate_form": forms.get("escalate_form") or EscalateForm(),
        "session": session,
        "session_form": choice,
    }


def _back(case: Case, anchor: str) -> HttpResponse:
    return redirect(reverse("portal:case", kwargs={"reference": case.reference}) + f"#{anchor}")


@require_POST
@portal_page
def case_escalate(request: PortalRequest, reference: str) -> HttpResponse:
    from portal.views.cases import _case_page

    case = found_or_404(case_by_reference, request.user, reference)
    form = EscalateForm(request.POST)
    form.is_valid()
    try:
        escalation = services.case_escalate_by_customer(
            case_id=case.id, actor=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except ServiceError as error:
        status = apply_service_error(request, error, form)
        return _case_page(request, case, status=status, escalate_form=form)
    messages.success(
        request,
        f"{case.reference} is escalated. Your account team has been told (level "
        f"{escalation.level}) and will be in touch.",
    )
    return _back(case, "escalation")


@require_POST
@portal_page
def session_book(request: PortalRequest, reference: str, session_id: int) -> HttpResponse:
    from portal.views.cases import _case_page

    case = found_or_404(case_by_reference, request.user, reference)
    form = SessionChoiceForm(request.POST)
    session = services.open_session(case)
    if session is not None:
        slots = [(slot.id, slot.starts_at) for slot in session.slots.all()]
        cast(ChoiceField, form.fields["slot"]).choices = slots
    form.is_valid()
    try:
        booked = services.session_book(
            actor=request.user, session_id=session_id, slot_id=form.cleaned_data.get("slot") or 0
        )
    except ServiceError as error:
        status = apply_service_error(request, error, form)
        return _case_page(request, case, status=status, session_form=form)
    messages.success(
        request,
        f"Booked for {timezone.localtime(booked.starts_at):%a %d %b %Y, %H:%M %Z}. "
        "A calendar invitation is on "
        "its way to you and to support.",
    )
    return _back(case, "session")
