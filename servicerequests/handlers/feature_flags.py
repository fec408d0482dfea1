"""Feature-flag enablement: flags from the product's list, for one environment.

Sandbox first, then production: turning a flag on in production that is not on in any
of the tenant's sandboxes needs the customer to say they mean it."""

from typing import Any

from django import forms

from servicerequests.handlers.base import ALL_KINDS, RequestForm, RequestHandler, Step, refuse
from supportdesk.errors import InvalidInput
from supportdesk.types import User
from tenants.environments import environment_flags_set, flag_matrix, flags_on
from tenants.models import Environment, EnvironmentKind, ProductFlag, Tenant


class FeatureFlagForm(RequestForm):
    flags = forms.ModelMultipleChoiceField(
        label="Flags to turn on",
        queryset=ProductFlag.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    untested_in_sandbox = forms.BooleanField(
        label="Turn these on in production although they are not on in a sandbox yet",
        required=False,
    )
    reason = forms.CharField(
        label="Why do you need them?", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        environments = self.model_choice_field("environment").queryset
        products = {env.product for env in environments} if environments is not None else set()
        self.model_choice_field("flags").queryset = ProductFlag.objects.filter(
            product__in=products, active=True
        ).order_by("name")


class FeatureFlagEnablement(RequestHandler):
    code = "feature_flags"
    title = "Feature flag enablement"
    description = "Turn on feature flags in one environment: a sandbox first, then production."
    form_class = FeatureFlagForm
    environment_kinds = ALL_KINDS
    steps = (
        Step("check", "Check the flags' prerequisites for this environment"),
        Step("enable", "Turn the flags on"),
        Step("confirm", "Confirm with the customer that they work"),
    )

    def validate(self, *, tenant: Tenant, cleaned: dict, environment: Environment) -> dict:
        flags = list(cleaned["flags"])
        wrong = [flag.name for flag in flags if flag.product != environment.product]
        if wrong:
            raise refuse(
                "flags",
                f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a flag of "
                f"{environment.product}, the product of {environment.name}.",
            )
        already = flags_on(environment)
        on = [flag.name for flag in flags if flag.id in already]
        if on:
            raise refuse("flags", f"Already on in {environment.name}: {', '.join(on)}.")
        if environment.kind == EnvironmentKind.PRODUCTION:
            sandboxes = Environment.objects.filter(
                tenant=tenant, kind=EnvironmentKind.SANDBOX, active=True
            )
            tried = {row.flag.id for row in flag_matrix(sandboxes) if row.on_in_sandbox}
            untried = [flag.name for flag in flags if flag.id not in tried]
            if untried and not cleaned.get("untested_in_sandbox"):
                message = (
                    f"Not on in any of your sandboxes yet: {', '.join(untried)}. We recommend "
                    "a sandbox first, then production. To go ahead anyway, tick the box."
                )
                raise InvalidInput(message, field_errors={"untested_in_sandbox": [message]})
        return {
            "flags": [{"id": flag.id, "key": flag.key, "name": flag.name} for flag in flags],
            "untested_in_sandbox": bool(cleaned.get("untested_in_sandbox")),
            "reason": (cleaned.get("reason") or "").strip(),
        }

    def summary(self, *, details: dict, environment: Environment) -> str:
        names = ", ".join(flag["name"] for flag in details["flags"])
        return f"Turn on {names} in {environment.name}"[:200]

    def describe(self, details: dict) -> list[tuple[str, str]]:
        lines = [("Flags", ", ".join(flag["name"] for flag in details["flags"]))]
        if details.get("untested_in_sandbox"):
            lines.append(("Sandbox first", "Asked for production without a sandbox trial"))
        if details.get("reason"):
            lines.append(("Reason", details["reason"]))
        return lines

    def on_done(self, *, request: Any, actor: User) -> None:
        environment_flags_set(
            environment=request.environment,
            flag_ids=[flag["id"] for flag in request.details["flags"]],
            enabled=True,
            reference=request.reference,
        )
