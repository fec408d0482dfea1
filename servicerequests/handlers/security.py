"""Security-testing authorization: a customer (or its testing firm) may test our
product only once staff of the Security role have approved the scope and signed the
authorization. The signed document is what the tester shows when asked."""

import datetime as dt
import json
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from servicerequests.handlers.base import (
    ALL_KINDS,
    RequestForm,
    RequestHandler,
    Step,
    refuse,
    tenant_today,
)
from supportdesk.errors import StateConflict
from supportdesk.types import User
from tenants.models import Environment, Tenant
from tenants.roles import Role

SIGNATURE_SALT = "servicerequests.security-testing-authorization"
MAX_WINDOW_DAYS = 31
APPROVAL, SIGN_OFF = "security_approval", "security_sign_off"


class SecurityTestingForm(RequestForm):
    scope = forms.CharField(
        label="Scope",
        required=False,
        help_text="Hosts, URLs and kinds of test (e.g. authenticated web application test).",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    starts_on = forms.DateField(
        label="Testing starts", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label="Testing ends", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    testing_organisation = forms.CharField(label="Testing organisation", required=False)
    contact_name = forms.CharField(label="Tester contact name", required=False)
    contact_email = forms.EmailField(label="Tester contact email", required=False)
    contact_phone = forms.CharField(label="Tester contact phone", required=False)


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _payload(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def sign(document: dict) -> str:
    return signing.Signer(salt=SIGNATURE_SALT).signature(_payload(document))


def authorization_is_valid(authorization: dict) -> bool:
    """The stored document still matches its signature (nobody edited it since)."""
    document, signature = authorization.get("document"), authorization.get("signature")
    if not document or not signature:
        return False
    return constant_time_compare(sign(document), signature)


class SecurityTestingAuthorization(RequestHandler):
    code = "security_testing"
    title = "Security testing authorization"
    description = (
        "Ask for written authorization before you or a firm you hire tests our product; "
        "our security team approves the scope and signs it."
    )
    form_class = SecurityTestingForm
    environment_kinds = ALL_KINDS
    produces_authorization = True
    steps = (
        Step("review", "Review the scope with engineering"),
        Step(APPROVAL, "Security approval of scope and dates", Role.SECURITY),
        Step(SIGN_OFF, "Security sign-off of the authorization", Role.SECURITY),
    )

    def validate(self, *, tenant: Tenant, cleaned: dict, environment: Environment) -> dict:
        required = {
            "scope": "Describe what will be tested.",
            "starts_on": "Give the first day of testing.",
            "ends_on": "Give the last day of testing.",
            "testing_organisation": "Name the organisation that tests.",
            "contact_name": "Name the tester we can reach during the test.",
            "contact_email": "Give the tester's email address.",
        }
        for field, message in required.items():
            value = cleaned.get(field)
            if not (value.strip() if isinstance(value, str) else value):
                raise refuse(field, message)
        starts_on, ends_on = cleaned["starts_on"], cleaned["ends_on"]
        if starts_on < tenant_today(tenant):
            raise refuse("starts_on", "Testing cannot start in the past.")
        if ends_on < starts_on:
            raise refuse("ends_on", "Testing cannot end before it starts.")
        if (ends_on - starts_on).days + 1 > MAX_WINDOW_DAYS:
            raise refuse("ends_on", f"Ask for at most {MAX_WINDOW_DAYS} days of testing at once.")
        return {
            "scope": cleaned["scope"].strip(),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "testing_organisation": cleaned["testing_organisation"].strip(),
            "contact": {
                "name": cleaned["contact_name"].strip(),
                "email": cleaned["contact_email"].strip().lower(),
                "phone": (cleaned.get("contact_phone") or "").strip(),
            },
        }

    def summary(self, *, details: dict, environment: Environment) -> str:
        starts = dt.date.fromisoformat(details["starts_on"])
        ends = dt.date.fromisoformat(details["ends_on"])
        return (
            f"Security testing of {environment.name} by {details['testing_organisation']}, "
            f"{starts:%d %b} – {ends:%d %b %Y}"
        )[:200]

    def describe(self, details: dict) -> list[tuple[str, str]]:
        contact = details["contact"]
        reach = ", ".join(part for part in (contact["email"], contact["phone"]) if part)
        return [
            ("Scope", details["scope"]),
            ("Dates", f"{details['starts_on']} to {details['ends_on']}"),
            ("Testing organisation", details["testing_organisation"]),
            ("Tester contact", f"{contact['name']} ({reach})"),
        ]

    def on_step_done(self, *, request: Any, step: Any, actor: User) -> None:
        if step.code != SIGN_OFF:
            return
        ends_on = dt.date.fromisoformat(request.details["ends_on"])
        if ends_on < timezone.now().date():
            raise StateConflict(
                f"The testing window ended on {ends_on:%d %b %Y}; reject this request and ask "
                "the customer for new dates."
            )
        approval = request.steps.get(code=APPROVAL)
        document = {
            "reference": request.reference,
            "customer": request.tenant.name,
            "environment": request.environment.name if request.environment else "",
            **{key: request.details[key] for key in ("scope", "starts_on", "ends_on")},
            "testing_organisation": request.details["testing_organisation"],
            "tester": request.details["contact"],
            "approved_by": _name(approval.done_by),
            "approved_at": approval.done_at.isoformat(),
            "signed_by": _name(actor),
            "signed_at": timezone.now().isoformat(),
        }
        request.authorization = {"document": document, "signature": sign(document)}
        request.save(update_fields=["authorization"])
