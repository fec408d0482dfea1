"""What every request type's rules look like: a form, checks, steps and what fulfilment
changes. A type is a subclass of `RequestHandler` registered in `REGISTRY`."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils import timezone

from supportdesk.errors import InvalidInput
from supportdesk.types import User
from tenants.models import Environment, EnvironmentKind, Tenant
from tenants.roles import Role

if TYPE_CHECKING:
    from servicerequests.models import FulfilmentStep, ServiceRequest


@dataclass(frozen=True)
class Step:
    code: str
    title: str
    role: Role = Role.ENGINEER


@dataclass(frozen=True)
class Limit:
    """A period the request counts against: one live request per key."""

    key: str
    refusal: str


def tenant_zone(tenant: Tenant) -> ZoneInfo:
    try:
        return ZoneInfo(tenant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def tenant_today(tenant: Tenant) -> dt.date:
    """Today's date where the tenant is: the calendar the contracts count months in."""
    return timezone.now().astimezone(tenant_zone(tenant)).date()


def refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, field_errors={field: [message]})


class RequestForm(forms.Form):
    """A type's form; `environment` offers only the tenant's own active environments of
    the kinds the type concerns."""

    environment = forms.ModelChoiceField(
        label="Environment", queryset=Environment.objects.none(), empty_label="Choose…"
    )

    def __init__(
        self,
        *args: Any,
        tenant: Tenant,
        environment_kinds: tuple[int, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        environments = Environment.objects.filter(tenant=tenant, active=True)
        if environment_kinds:
            environments = environments.filter(kind__in=environment_kinds)
        field = self.model_choice_field("environment")
        field.queryset = environments.order_by("kind", "name")
        field.label_from_instance = environment_label  # type: ignore[method-assign,assignment]

    def model_choice_field(self, name: str) -> forms.ModelChoiceField:
        """One of this form's model choice fields (`self.fields` types them as Field)."""
        return cast(forms.ModelChoiceField, self.fields[name])


def environment_label(environment: Environment) -> str:
    version = f" {environment.version}" if environment.version else ""
    return f"{environment.name} · {environment.get_kind_display()} · {environment.product}{version}"


class RequestHandler:
    """The rules of one request type."""

    code: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    form_class: ClassVar[type[RequestForm]]
    steps: ClassVar[tuple[Step, ...]]
    environment_kinds: ClassVar[tuple[int, ...] | None] = None
    produces_authorization: ClassVar[bool] = False

    def form(self, *, tenant: Tenant, data: Mapping | None = None, **kwargs: Any) -> RequestForm:
        return self.form_class(
            data, tenant=tenant, environment_kinds=self.environment_kinds, **kwargs
        )

    def validate(self, *, tenant: Tenant, cleaned: dict, environment: Environment) -> dict:
        """Check the rules beyond the form's; return the details to store (plain JSON)."""
        raise NotImplementedError

    def limit(self, *, tenant: Tenant, details: dict, environment: Environment) -> Limit | None:
        return None

    def summary(self, *, details: dict, environment: Environment) -> str:
        return f"{self.title}: {environment.name}"

    def describe(self, details: dict) -> list[tuple[str, str]]:
        """The details as label/value lines for the portal, the queue and email."""
        return []

    def on_step_done(
        self, *, request: "ServiceRequest", step: "FulfilmentStep", actor: User
    ) -> None:
        """What completing a step changes beyond the step (e.g. a signature)."""

    def on_done(self, *, request: "ServiceRequest", actor: User) -> None:
        """What fulfilment changes in the tenant's environment records."""


ALL_KINDS = (EnvironmentKind.PRODUCTION, EnvironmentKind.SANDBOX, EnvironmentKind.TEST)
