"""What the service-request API reads and writes. Output serializers only present; input
ones only parse types and sizes. Every rule (what a type asks, who may act, when) is in
`servicerequests.services` and the type's handler."""

from collections.abc import Iterable, Mapping

from django import forms
from django.http import QueryDict
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicerequests.handlers import REGISTRY, RequestForm
from servicerequests.handlers.security import authorization_is_valid
from servicerequests.models import (
    FulfilmentStep,
    RequestEvent,
    RequestType,
    ServiceRequest,
    State,
    handler_choices,
)
from supportdesk.api.serializers import NamedChoiceField, Person, Rfc3339DateTime, StrictInput
from tenants.api import TenantRef
from tenants.models import EnvironmentKind
from tenants.roles import Role

MAX_TEXT = 20_000
MAX_DETAILS = 30
MAX_LIST_ITEMS = 100
MAX_ID = 2**53  # the largest whole number every JSON client reads exactly
ROLES = [(role.value, role.value) for role in Role]


def _absolute(serializer: serializers.Serializer, url: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request else url


class TypeRef(serializers.Serializer):
    code = serializers.ChoiceField(choices=handler_choices())
    name = serializers.CharField()


class EnvironmentRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = NamedChoiceField(EnvironmentKind)
    product = serializers.CharField()


class Line(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    value = serializers.CharField()


class StepSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(
        choices=ROLES, help_text="The staff role that completes the step."
    )
    done = serializers.BooleanField(source="is_done")
    done_by = Person(allow_null=True)

    class Meta:
        model = FulfilmentStep
        fields = ["code", "title", "role", "done", "done_at", "done_by", "note"]


class ServiceRequestSummarySerializer(serializers.ModelSerializer):
    """A request in a list."""

    url = serializers.SerializerMethodField()
    tenant = TenantRef()
    type = TypeRef(source="request_type")
    environment = EnvironmentRef(allow_null=True)
    state = serializers.ChoiceField(choices=State.choices)
    requested_by = Person()
    partner = serializers.CharField(source="partner.name", allow_null=True, default=None)
    owner = Person(allow_null=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "reference",
            "url",
            "tenant",
            "type",
            "environment",
            "summary",
            "state",
            "requested_by",
            "partner",
            "owner",
            "respond_by",
            "responded_at",
            "version",
            "created_at",
            "updated_at",
            "closed_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: ServiceRequest) -> str:
        return _absolute(self, reverse("api:request", kwargs={"reference": obj.reference}))


class ServiceRequestSerializer(ServiceRequestSummarySerializer):
    """A request with what was asked, its fulfilment steps and how it ended."""

    details = serializers.DictField(
        child=serializers.JSONField(),
        help_text="What was asked, as the type's rules stored it (its shape depends on the type).",
    )
    lines = serializers.SerializerMethodField(help_text="The details as the portal shows them.")
    steps = StepSerializer(many=True)
    authorized = serializers.SerializerMethodField(
        help_text="For types that produce a signed authorization (security testing): whether "
        "it is signed; null for other types."
    )

    class Meta(ServiceRequestSummarySerializer.Meta):
        fields = [
            *ServiceRequestSummarySerializer.Meta.fields,
            "details",
            "lines",
            "steps",
            "rejection_reason",
            "authorized",
        ]

    @extend_schema_field(Line(many=True))
    def get_lines(self, obj: ServiceRequest) -> list[dict]:
        lines = REGISTRY[obj.request_type.code].describe(obj.details)
        return [{"label": label, "value": value} for label, value in lines]

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_authorized(self, obj: ServiceRequest) -> bool | None:
        if not REGISTRY[obj.request_type.code].produces_authorization:
            return None
        return obj.state == State.DONE and authorization_is_valid(obj.authorization)


class RequestEventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=RequestEvent.Kind.choices)
    step = serializers.SerializerMethodField(help_text="The step's code, for `step_done`.")
    actor = Person(allow_null=True, help_text="Empty when the desk acted on its own.")

    class Meta:
        model = RequestEvent
        fields = ["id", "kind", "message", "step", "actor", "created_at"]

    def get_step(self, event: RequestEvent) -> str | None:
        return event.data.get("step") or None


class Tester(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class AuthorizationDocument(serializers.Serializer):
    reference = serializers.CharField()
    customer = serializers.CharField()
    environment = serializers.CharField()
    scope = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    testing_organisation = serializers.CharField()
    tester = Tester()
    approved_by = serializers.CharField()
    approved_at = serializers.DateTimeField()
    signed_by = serializers.CharField()
    signed_at = serializers.DateTimeField()


class AuthorizationSerializer(serializers.Serializer):
    document = AuthorizationDocument()
    signature = serializers.CharField(
        help_text="The verification code support checks against its records."
    )


# The catalogue


@extend_schema_field({"anyOf": [{"type": "string"}, {"type": "integer"}]})
class ChoiceValue(serializers.Field):
    """A choice's value as `details` takes it: an id (environments, flags) or a code."""

    def to_representation(self, value: object) -> object:
        return value


class ChoiceOption(serializers.Serializer):
    value = ChoiceValue()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label


FIELD_TYPES = ["text", "email", "date", "datetime", "boolean", "choice", "multiple_choice"]


class FormFieldSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The key in `details`.")
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    type = serializers.ChoiceField(
        choices=FIELD_TYPES,
        help_text="text, email, date (YYYY-MM-DD), datetime (YYYY-MM-DDThh:mm, the customer's "
        "local time), boolean, choice (one `value` of `choices`), multiple_choice (a list).",
    )
    help_text = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    choices = ChoiceOption(many=True, allow_null=True, help_text="For choice types; else null.")


class TypeStepSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    role = serializers.ChoiceField(choices=ROLES)


class RequestTypeSerializer(serializers.ModelSerializer):
    """A request the customer's plan offers, with the fields its `details` take."""

    code = serializers.ChoiceField(choices=handler_choices())
    response_target = serializers.SerializerMethodField(
        help_text='When SLA applies: the first-response target, e.g. "4bh", "nbd".'
    )
    steps = serializers.SerializerMethodField(help_text="How support fulfils it, in order.")
    details_fields = serializers.SerializerMethodField(
        help_text="The fields a request's `details` take."
    )

    class Meta:
        model = RequestType
        fields = [
            "code",
            "name",
            "description",
            "sla_applies",
            "response_target",
            "steps",
            "details_fields",
        ]

    def get_response_target(self, request_type: RequestType) -> str | None:
        return request_type.response_target if request_type.sla_applies else None

    @extend_schema_field(TypeStepSerializer(many=True))
    def get_steps(self, request_type: RequestType) -> list[dict]:
        steps = REGISTRY[request_type.code].steps
        return [{"code": s.code, "title": s.title, "role": s.role.value} for s in steps]

    @extend_schema_field(FormFieldSerializer(many=True))
    def get_details_fields(self, request_type: RequestType) -> list[dict]:
        form = REGISTRY[request_type.code].form(tenant=self.context["tenant"])
        return [_describe(name, field) for name, field in form.fields.items()]


def _field_type(field: forms.Field) -> str:
    if isinstance(field, forms.BooleanField):
        return "boolean"
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        return "multiple_choice"
    if isinstance(field, forms.ModelChoiceField | forms.ChoiceField):
        return "choice"
    if isinstance(field, forms.DateTimeField):
        return "datetime"
    if isinstance(field, forms.DateField):
        return "date"
    if isinstance(field, forms.EmailField):
        return "email"
    return "text"


def _describe(name: str, field: forms.Field) -> dict:
    kind = _field_type(field)
    choices = None
    if isinstance(field, forms.ChoiceField):  # the "choice" and "multiple_choice" kinds
        # Django normalises a field's choices to (value, label) pairs; the stubs type the
        # property as everything it may be set to (callables and Choices classes too).
        options: Iterable[tuple[object, object]] = field.choices  # type: ignore[assignment]
        choices = [
            {"value": getattr(value, "value", value), "label": str(label)}
            for value, label in options
            if value != ""
        ]
    return {
        "name": name,
        "label": str(field.label or name),
        "type": kind,
        "help_text": str(field.help_text or ""),
        "choices": choices,
    }


# Input


class RequestFilter(StrictInput):
    tenant = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="One customer's requests only."
    )
    status = serializers.ChoiceField(
        choices=["open", "closed", "all"], default="all", help_text="Open or closed requests."
    )
    state = serializers.ChoiceField(choices=State.choices, required=False)
    type = serializers.ChoiceField(
        choices=handler_choices(), required=False, help_text="One type's requests only."
    )
    updated_since = Rfc3339DateTime(
        required=False, help_text="Only requests changed at or after this instant."
    )

    passed_through = ("cursor", "page_size")


class CatalogueQuery(StrictInput):
    tenant = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="The customer whose plan's catalogue to show; needed when you act for several.",
    )


_ID = {"type": "integer", "minimum": -MAX_ID, "maximum": MAX_ID}
_TEXT = {"type": "string", "maxLength": MAX_TEXT}


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": MAX_DETAILS,
        "additionalProperties": {
            "anyOf": [
                _TEXT,
                _ID,
                {"type": "boolean"},
                {
                    "type": "array",
                    "maxItems": MAX_LIST_ITEMS,
                    "items": {"anyOf": [{"type": "string", "maxLength": 200}, _ID]},
                },
            ]
        },
        "description": "The type's fields, named as in its `details_fields` "
        '(`GET /api/v1/request-types/`), e.g. `{"environment": 12, "connector": "SAP", '
        '"platform": "linux-x64"}`. Text as strings, choices by `value`, several choices '
        "as a list, booleans as true/false.",
    }
)
class DetailsField(serializers.Field):
    default_error_messages = {"not_an_object": "Expected an object of the type's fields."}

    def to_internal_value(self, data: object) -> dict:
        if not isinstance(data, Mapping):
            self.fail("not_an_object")
        return dict(data)

    def to_representation(self, value: object) -> object:
        return value


class RequestCreateInput(StrictInput):
    tenant = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="The customer the request is for; needed when you act for several.",
    )
    type = serializers.ChoiceField(
        choices=handler_choices(), help_text="A `code` from the customer's catalogue."
    )
    details = DetailsField()

    def validate(self, attrs: dict) -> dict:
        form_class = REGISTRY[attrs["type"]].form_class
        attrs["details"] = form_data(form_class, attrs["details"])
        return attrs


def form_data(form_class: type[RequestForm], details: Mapping) -> QueryDict:
    """The JSON details as the type's form reads a submission (text values, lists for
    several choices), after refusing keys the type does not have and values of the
    wrong JSON type."""
    errors: dict[str, list[str]] = {}
    if len(details) > MAX_DETAILS:
        raise serializers.ValidationError({"details": [f"At most {MAX_DETAILS} fields."]})
    data = QueryDict(mutable=True)
    for name, value in details.items():
        field = form_class.base_fields.get(name)
        if field is None:
            errors[name] = ["Unknown field of this request type; see the type's `details_fields`."]
            continue
        problem = _value_problem(field, value)
        if problem:
            errors[name] = [problem]
        elif isinstance(value, list):
            data.setlist(name, [str(item) for item in value])
        elif isinstance(value, bool):
            data[name] = "true" if value else "false"
        else:
            data[name] = str(value)
    if errors:
        raise serializers.ValidationError({"details": errors})
    return data


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_ID


def _is_text(value: object, limit: int = MAX_TEXT) -> bool:
    return isinstance(value, str) and len(value) <= limit


def _value_problem(field: forms.Field, value: object) -> str | None:
    kind = _field_type(field)
    if kind == "boolean":
        return None if isinstance(value, bool) else "Expected true or false."
    if kind == "multiple_choice":
        if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
            return f"Expected a list of at most {MAX_LIST_ITEMS} values."
        if all(_is_id(item) or _is_text(item, 200) for item in value):
            return None
        return "Expected a list of choice values."
    if kind == "choice":
        return None if _is_id(value) or _is_text(value, 200) else "Expected a choice's value."
    if not isinstance(value, str):
        return "Expected text."
    return None if len(value) <= MAX_TEXT else f"At most {MAX_TEXT} characters."


class RejectInput(StrictInput):
    reason = serializers.CharField(
        max_length=MAX_TEXT, allow_blank=True, help_text="Why; the customer reads it."
    )


class StepDoneInput(StrictInput):
    note = serializers.CharField(
        max_length=MAX_TEXT,
        allow_blank=True,
        required=False,
        default="",
        help_text="Shown on the request's timeline.",
    )


class StartInput(StrictInput):
    """Taking a request on needs nothing more than the ETag."""
