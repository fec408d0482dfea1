"""What the cases API reads and writes. Output serializers only present; input ones only
parse types and sizes. Every rule (what is required, allowed, when) is in `cases.services`."""

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import (
    STAFF_CLOSE_REASONS,
    Attachment,
    BusinessImpact,
    Case,
    CaseEvent,
    CaseWatcher,
    Channel,
    CloseReason,
    Comment,
    EnvironmentAccess,
    State,
)
from supportdesk.api.serializers import NamedChoiceField, Person, Rfc3339DateTime, StrictInput
from tenants.api import TenantRef
from tenants.models import EnvironmentKind

# Case.users_affected is a PositiveIntegerField: the largest value every database stores.
MAX_USERS_AFFECTED = 2_147_483_647
MAX_TEXT = 20_000


class OptionalChoiceField(serializers.ChoiceField):
    """A choice stored as "" when unset, shown as null."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value: str) -> str | None:  # type: ignore[override]  # null
        return super().to_representation(value) if value else None


class AttachmentSerializer(serializers.ModelSerializer):
    comment: "serializers.PrimaryKeyRelatedField[Comment]" = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "comment", "created_at", "download_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment: Attachment) -> str:
        url = reverse("api:attachment-content", kwargs={"attachment_id": attachment.id})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class DueTimes(serializers.Serializer):
    """The case's promises, as stored on the case and kept current by every change."""

    applies = serializers.SerializerMethodField(
        help_text="Whether the plan puts SLA targets on this category."
    )
    waiting_on = serializers.SerializerMethodField(
        help_text="Whose move it is: support, the customer, or nobody (closed)."
    )
    initial_response_due = serializers.DateTimeField(allow_null=True)
    first_responded_at = serializers.DateTimeField(allow_null=True)
    next_update_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)
    next_due_at = serializers.DateTimeField(
        allow_null=True, help_text="The earliest of the due times."
    )

    def get_applies(self, case: Case) -> bool:
        return case.tenant.plan.category_has_sla(case.category)

    @extend_schema_field(serializers.ChoiceField(choices=["support", "customer"], allow_null=True))
    def get_waiting_on(self, case: Case) -> str | None:
        if case.state == State.CLOSED:
            return None
        if case.state in (State.AWAITING_INFORMATION, State.SOLUTION_PROPOSED):
            return "customer"
        return "support"


class Targets(serializers.Serializer):
    initial_response = serializers.CharField(help_text='e.g. "1h", "nbd", "2bd"; empty: none.')
    update_interval = serializers.CharField()
    resolution = serializers.CharField()
    calendar = serializers.CharField(help_text="The business calendar the targets count in.")
    time_zone = serializers.CharField()


class SlaSerializer(DueTimes):
    """Due times with the targets and calendar they come from."""

    targets = serializers.SerializerMethodField()

    @extend_schema_field(Targets(allow_null=True))
    def get_targets(self, case: Case) -> dict | None:
        priority = case.tenant.plan.priorities.select_related("calendar").filter(code=case.priority)
        found = priority.first()
        if found is None:
            return None
        calendar = found.calendar or case.tenant.plan.calendar
        return {
            "initial_response": found.initial_response,
            "update_interval": found.update_interval,
            "resolution": found.resolution,
            "calendar": calendar.name,
            "time_zone": calendar.time_zone,
        }


class CaseSummarySerializer(serializers.ModelSerializer):
    """A case in a list."""

    tenant = TenantRef()
    category_name = serializers.CharField(read_only=True, help_text="The category's name.")
    state = serializers.ChoiceField(choices=State.choices)
    close_reason = OptionalChoiceField(choices=CloseReason.choices)
    reporter = Person()
    partner = serializers.CharField(source="partner.name", allow_null=True, default=None)
    owner = Person(allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "reference",
            "url",
            "tenant",
            "summary",
            "category",
            "category_name",
            "priority",
            "state",
            "close_reason",
            "channel",
            "reporter",
            "partner",
            "owner",
            "next_due_at",
            "version",
            "created_at",
            "updated_at",
            "closed_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, case: Case) -> str:
        url = reverse("api:case", kwargs={"reference": case.reference})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CaseSerializer(CaseSummarySerializer):
    """A case with its intake, its promises and what may happen next."""

    business_impact = NamedChoiceField(BusinessImpact)
    environment = NamedChoiceField(EnvironmentKind)
    environment_access = serializers.ChoiceField(choices=EnvironmentAccess.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    reopen_until = serializers.DateTimeField(
        source="reopen_deadline",
        allow_null=True,
        help_text="A closed case may be reopened until then.",
    )
    sla = DueTimes(source="*")
    agreed_update_interval = serializers.CharField(
        help_text='An update interval agreed for this case ("2h", "1bd"); blank: the '
        "customer's agreed cadence or the plan's applies (see `sla.explanation`)."
    )
    custom_fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Answers to the plan's intake and closure fields, by key (typed).",
    )
    # Declared, not derived from the model: the derived bounds differ per database.
    users_affected = serializers.IntegerField(allow_null=True, min_value=0)

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "description",
            "steps_to_reproduce",
            "expected_result",
            "actual_result",
            "business_impact",
            "business_impact_details",
            "users_affected",
            "environment",
            "environment_access",
            "product",
            "product_version",
            "browsers",
            "first_seen_at",
            "related_cases",
            "reopen_until",
            "agreed_update_interval",
            "custom_fields",
            "sla",
        ]


class CommentSerializer(serializers.ModelSerializer):
    author = Person()
    by_support = serializers.BooleanField(source="by_staff")
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "author",
            "by_support",
            "body",
            "public",
            "channel",
            "created_at",
            "attachments",
        ]

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, comment: Comment) -> list[dict]:
        visible = self.context["visible_attachments"]
        files = [a for a in comment.attachments.all() if a.id in visible]
        # A ReturnList with many=True; the stubs type `.data` as a ReturnDict.
        return AttachmentSerializer(files, many=True, context=self.context).data  # type: ignore[return-value]


class EventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=CaseEvent.Kind.choices)
    actor = Person(allow_null=True, help_text="Empty when the desk acted on its own.")
    from_state = OptionalChoiceField(choices=State.choices)
    to_state = OptionalChoiceField(choices=State.choices)
    comment: "serializers.PrimaryKeyRelatedField[Comment]" = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "kind",
            "message",
            "from_state",
            "to_state",
            "actor",
            "comment",
            "created_at",
        ]


class WatcherSerializer(serializers.ModelSerializer):
    added_by = Person()

    class Meta:
        model = CaseWatcher
        fields = ["id", "email", "name", "added_by", "created_at"]


# Input


class CaseFilter(StrictInput):
    tenant = serializers.IntegerField(
        required=False, min_value=1, max_value=2**53, help_text="One customer's cases only."
    )
    status = serializers.ChoiceField(
        choices=["open", "closed", "all"], default="all", help_text="Open or closed cases."
    )
    state = serializers.ChoiceField(choices=State.choices, required=False)
    priority = serializers.CharField(required=False, max_length=8)
    category = serializers.CharField(
        required=False, max_length=32, help_text="A category code, e.g. bug."
    )
    search = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Words that must all appear in the summary, or a case reference.",
    )
    updated_since = Rfc3339DateTime(
        required=False, help_text="Only cases changed at or after this instant."
    )

    passed_through = ("cursor", "page_size")


class CaseCreateInput(StrictInput):
    tenant = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**53,
        help_text="The customer the case is for; needed when you act for several.",
    )
    summary = serializers.CharField(max_length=200, allow_blank=True)
    category = serializers.CharField(
        max_length=32,
        help_text="The code of one of the categories the customer's plan offers (the "
        "customer's `plan.categories`); another code is refused (400).",
    )
    custom_fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="Answers to the plan's intake fields for the category (the customer's "
        "`plan.categories[].intake_fields`), by `key`: text or choice as a string, number "
        "as a number, date as YYYY-MM-DD, yes/no as true or false. Unknown keys and "
        "missing required fields are refused (400, `custom_fields.<key>`).",
    )
    priority = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        default="",
        help_text="A priority code of the customer's plan (see the customer's `plan`); "
        "the plan's lowest when empty.",
    )
    environment_access = serializers.ChoiceField(choices=EnvironmentAccess.choices)
    business_impact = NamedChoiceField(BusinessImpact, default=BusinessImpact.MEDIUM)
    environment = NamedChoiceField(EnvironmentKind, default=EnvironmentKind.PRODUCTION)
    users_affected = serializers.IntegerField(
        min_value=0, max_value=MAX_USERS_AFFECTED, required=False, allow_null=True, default=None
    )
    first_seen_at = Rfc3339DateTime(required=False, allow_null=True, default=None)
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    steps_to_reproduce = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True
    )
    expected_result = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    actual_result = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    business_impact_details = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True
    )
    product = serializers.CharField(max_length=100, required=False, allow_blank=True)
    product_version = serializers.CharField(max_length=50, required=False, allow_blank=True)
    browsers = serializers.CharField(max_length=200, required=False, allow_blank=True)
    related_cases = serializers.CharField(max_length=200, required=False, allow_blank=True)
    reporter = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**53,
        help_text="Support staff only, and required for them: the `id` of the customer's "
        "contact who reported the case, e.g. by phone (from "
        "`GET /api/v1/tenants/{id}/contacts/`). The case is recorded as a phone case. "
        "Customers and partners are refused (403): they file in their own name.",
    )


class Attachments(serializers.Serializer):
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, max_length=None),
        required=False,
        default=list,
        help_text="Screenshots, logs, videos …: repeat the part for several files. Up to "
        "`ATTACHMENT_MAX_FILES` files (10 by default), `ATTACHMENT_MAX_BYTES` each (25 MB) "
        "and `ATTACHMENT_MAX_REQUEST_BYTES` in all (50 MB); a larger request is refused "
        "with 413 before it is read, as is a file that would pass the plan's storage quota.",
    )


class CaseCreateUpload(CaseCreateInput, Attachments):
    """The same fields as multipart/form-data, with files."""


class CommentInput(StrictInput):
    body = serializers.CharField(max_length=100_000, allow_blank=True)
    public = serializers.BooleanField(
        default=True, help_text="False makes an internal note (support staff only)."
    )


class CommentUpload(CommentInput, Attachments):
    """The same fields as multipart/form-data, with files."""


class BodyInput(StrictInput):
    body = serializers.CharField(max_length=100_000, allow_blank=True)


class ReasonInput(StrictInput):
    reason = serializers.CharField(max_length=MAX_TEXT, allow_blank=True)


class NoteInput(StrictInput):
    note = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, required=False, default="")


class WatcherInput(StrictInput):
    email = serializers.CharField(max_length=254, allow_blank=True)
    name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class TakeInput(StrictInput):
    """Nothing to send: the case becomes yours."""


class AssignInput(StrictInput):
    owner = serializers.CharField(
        max_length=150,
        allow_null=True,
        help_text="The username of the support staff member who takes the case over (as "
        "`GET /api/v1/me/` shows it), or null to leave it unassigned.",
    )


class TransferInput(StrictInput):
    group = serializers.CharField(
        max_length=100, help_text="The name of the active support group the case goes to."
    )
    note = serializers.CharField(
        max_length=MAX_TEXT,
        allow_blank=True,
        help_text="Why it goes there: required, kept as an internal note on the case.",
    )


class PriorityInput(StrictInput):
    priority = serializers.CharField(
        max_length=8, allow_blank=True, help_text="A priority code of the customer's plan."
    )
    reason = serializers.CharField(
        max_length=MAX_TEXT, allow_blank=True, help_text="Why; kept on the case's timeline."
    )


# The reasons staff close a case with; one schema enum (ENUM_NAME_OVERRIDES).
STAFF_CLOSE_REASON_CHOICES = [(r.value, r.label) for r in map(CloseReason, STAFF_CLOSE_REASONS)]


class CloseInput(StrictInput):
    reason = serializers.ChoiceField(
        choices=STAFF_CLOSE_REASON_CHOICES,
        help_text="Known issues and enhancement requests close through their own verbs.",
    )
    note = serializers.CharField(
        max_length=MAX_TEXT, allow_blank=True, help_text="The closing note for the customer."
    )
    custom_fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="Answers to the plan's closure fields for the case's category (the "
        "customer's `plan.categories[].intake_fields` with `stage` closure), by key; "
        "required ones must be given (400, `custom_fields.<key>`).",
    )


class CaseOwnerSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="What `assign/` takes as `owner`.")
    name = serializers.CharField()
    role = serializers.CharField(help_text="Support engineer, Triage lead or Support manager.")
