"""Sandbox refresh: a copy of production into a sandbox, at most once per calendar
month per sandbox. Months are the tenant's: a refresh asked for on the 1st in Auckland
is already next month's while it is still the 31st in London."""

import datetime as dt
from typing import Any

from django import forms

from servicerequests.handlers.base import (
    Limit,
    RequestForm,
    RequestHandler,
    Step,
    refuse,
    tenant_today,
)
from tenants.models import Environment, EnvironmentKind, Tenant

MAX_DAYS_AHEAD = 90


def first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


class SandboxRefreshForm(RequestForm):
    refresh_on = forms.DateField(
        label="Refresh on",
        required=False,
        help_text="Your local date; leave empty for as soon as possible.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    source = forms.ModelChoiceField(
        label="Copy from",
        required=False,
        queryset=Environment.objects.none(),
        empty_label="Production",
    )
    notes = forms.CharField(
        label="Anything to keep or leave out?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["environment"].label = "Sandbox"
        self.model_choice_field("source").queryset = Environment.objects.filter(
            tenant=self.tenant, active=True, kind=EnvironmentKind.PRODUCTION
        )


class SandboxRefresh(RequestHandler):
    code = "sandbox_refresh"
    title = "Sandbox refresh"
    description = "Copy production into a sandbox; each sandbox can be refreshed once a month."
    form_class = SandboxRefreshForm
    environment_kinds = (EnvironmentKind.SANDBOX,)
    steps = (
        Step("schedule", "Schedule the refresh window"),
        Step("refresh", "Copy production into the sandbox"),
        Step("verify", "Verify the sandbox and tell the customer"),
    )

    def validate(self, *, tenant: Tenant, cleaned: dict, environment: Environment) -> dict:
        today = tenant_today(tenant)
        refresh_on = cleaned.get("refresh_on") or today
        if refresh_on < today:
            raise refuse("refresh_on", "The refresh date cannot be in the past.")
        if refresh_on > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            raise refuse("refresh_on", f"Ask for a date within the next {MAX_DAYS_AHEAD} days.")
        source = cleaned.get("source") or (
            Environment.objects.filter(
                tenant=tenant, active=True, kind=EnvironmentKind.PRODUCTION
            ).first()
        )
        if source is None:
            raise refuse("source", "Your organisation has no production environment to copy.")
        return {
            "refresh_on": refresh_on.isoformat(),
            "source": {"id": source.id, "name": source.name},
            "notes": (cleaned.get("notes") or "").strip(),
        }

    def limit(self, *, tenant: Tenant, details: dict, environment: Environment) -> Limit:
        refresh_on = dt.date.fromisoformat(details["refresh_on"])
        next_allowed = first_of_next_month(refresh_on)
        return Limit(
            key=f"sandbox_refresh:{environment.id}:{refresh_on:%Y-%m}",
            refusal=(
                f"{environment.name} already has a refresh in {refresh_on:%B %Y}, and a sandbox "
                f"can be refreshed once per calendar month. The next refresh can be on "
                f"{next_allowed.day} {next_allowed:%B %Y} or later."
            ),
        )

    def summary(self, *, details: dict, environment: Environment) -> str:
        refresh_on = dt.date.fromisoformat(details["refresh_on"])
        return (
            f"Refresh {environment.name} from {details['source']['name']} on {refresh_on:%d %b %Y}"
        )

    def describe(self, details: dict) -> list[tuple[str, str]]:
        refresh_on = dt.date.fromisoformat(details["refresh_on"])
        lines = [
            ("Refresh on", f"{refresh_on.day} {refresh_on:%B %Y}"),
            ("Copy from", details["source"]["name"]),
        ]
        if details.get("notes"):
            lines.append(("Notes", details["notes"]))
        return lines
