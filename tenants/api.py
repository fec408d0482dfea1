"""The tenants part of the REST API: who is calling, the tenants they act for, a tenant's
contacts and contact requests, and letters of authorization.

Views parse input and call `tenants.services` / `tenants.selectors`; every read starts
from `tenants_for`.
"""

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from supportdesk.api import converters  # noqa: F401  (registers the URL converters)
from supportdesk.api.pagination import CursorPage
from supportdesk.api.serializers import Person, Rfc3339Date, StrictInput, validated
from supportdesk.api.views import ApiListView, ApiView
from supportdesk.errors import NotFound
from supportdesk.types import AnyUser, signed_in
from tenants import services
from tenants.access import is_contact_of
from tenants.models import (
    AuthorizedContact,
    ChannelRule,
    ContactRequest,
    EnvironmentKind,
    IntakeField,
    LetterOfAuthorization,
    PlanPriority,
    SupportPhone,
    SupportPlan,
    Tenant,
)
from tenants.phones import phone_for_country, support_phone_for
from tenants.roles import is_support_staff
from tenants.selectors import (
    contact_requests_of,
    contacts_of,
    letters_visible_to,
    tenant_choices,
    tenant_for,
    tenant_of_contact,
)

ACTING_AS = ["contact", "partner", "staff"]
# Environment kinds as the API names them ("production", …): one schema enum for every
# field that takes or shows one (ENUM_NAME_OVERRIDES).
ENVIRONMENT_KINDS = [(kind.name.lower(), kind.label) for kind in EnvironmentKind]


def acting_as(user: AnyUser, tenant: Tenant) -> str:
    if is_support_staff(user):
        return "staff"
    return "contact" if is_contact_of(user, tenant.id) else "partner"


class PrioritySerializer(serializers.ModelSerializer):
    rank = serializers.IntegerField(help_text="1 is the most urgent.")
    initial_response = serializers.CharField(
        help_text='A target: "4bh" business hours, "1h" clock time, "2bd", "nbd", '
        '"immediate"; blank: none.'
    )
    off_hours_initial_response = serializers.CharField(
        help_text="The initial-response target for a case received outside business hours; "
        "blank: the same as in hours."
    )
    channel_rule = serializers.ChoiceField(
        choices=ChannelRule.choices,
        help_text="portal: file in the portal, API or by mail (or call); portal_and_phone: "
        "file, then call as well; phone_only: call, the portal and API refuse it.",
    )
    environments_allowed = serializers.SerializerMethodField(
        help_text="Environments a case at this priority may concern; empty: any."
    )
    needs_phone = serializers.SerializerMethodField(
        help_text="Deprecated: the channel rule asks for a call (portal_and_phone or phone_only)."
    )

    class Meta:
        model = PlanPriority
        fields = [
            "code",
            "name",
            "definition",
            "rank",
            "initial_response",
            "off_hours_initial_response",
            "update_interval",
            "resolution",
            "channel_rule",
            "environments_allowed",
            "needs_phone",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(ENVIRONMENT_KINDS)))
    def get_environments_allowed(self, priority: PlanPriority) -> list[str]:
        return [
            EnvironmentKind(kind).name.lower() for kind in sorted(priority.environments_allowed)
        ]

    def get_needs_phone(self, priority: PlanPriority) -> bool:
        return priority.channel_rule != ChannelRule.PORTAL


class SupportPhoneSerializer(serializers.ModelSerializer):
    countries = serializers.ListField(
        child=serializers.CharField(),
        help_text="ISO 3166 codes this number serves; empty: every country no other names.",
    )

    class Meta:
        model = SupportPhone
        fields = ["region", "countries", "number", "hours"]


class IntakeFieldSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=IntakeField.Kind.choices,
        help_text="How the answer is given: text or choice as a string, number as a number, "
        "date as YYYY-MM-DD, yes_no as true or false.",
    )
    stage = serializers.ChoiceField(
        choices=IntakeField.Stage.choices,
        help_text="intake: asked when the case is filed (`custom_fields` of the new case); "
        "closure: asked by support when closing it.",
    )
    options = serializers.ListField(
        child=serializers.CharField(), help_text="The allowed answers of a choice."
    )

    class Meta:
        model = IntakeField
        fields = ["key", "label", "kind", "options", "required", "stage", "help_text"]


class PlanCategorySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="What a case's `category` takes.")
    name = serializers.CharField()
    description = serializers.CharField()
    sla_applies = serializers.BooleanField(
        help_text="Whether the plan's response and update targets apply to its cases."
    )
    intake_fields = IntakeFieldSerializer(many=True)


def plan_categories(plan: SupportPlan) -> list[dict]:
    """The plan's active categories in its order, each with its active fields (intake
    before closure, each in the plan's order). Reads what the caller prefetched
    (`PLAN_PREFETCH`)."""
    fields = sorted(
        (field for field in plan.intake_fields.all() if field.is_active),
        key=lambda f: (f.stage != IntakeField.Stage.INTAKE, f.order, f.id),
    )
    return [
        {
            "code": row.category.code,
            "name": row.category.name,
            "description": row.category.description,
            "sla_applies": row.sla_applies,
            "intake_fields": [f for f in fields if f.category_id in (None, row.category_id)],
        }
        for row in plan.plan_categories.all()
        if row.category.is_active
    ]


PLAN_PREFETCH = (
    "plan__priorities",
    "plan__plan_categories__category",
    "plan__intake_fields",
    "plan__phones",
    "plan__accepted_certifications",
)


class PlanSerializer(serializers.Serializer):
    name = serializers.CharField()
    max_portal_contacts = serializers.IntegerField(
        allow_null=True, help_text="How many people may use the portal; null for no limit."
    )
    recommended_min_contacts = serializers.IntegerField(
        help_text="The plan recommends at least this many contacts (advice, not enforced)."
    )
    accepted_certifications = serializers.ListField(
        child=serializers.CharField(),
        source="accepted_certification_names",
        help_text="Certifications that give portal access; empty: any recorded one.",
    )
    partners_count_toward_limit = serializers.BooleanField(
        help_text="Members of partners acting under an active letter take places of the limit."
    )
    partners_need_certification = serializers.BooleanField(
        help_text="Partner members act for the customer only with an accepted certification."
    )
    contact_notice_business_days = serializers.IntegerField(
        help_text="A new contact takes effect no earlier than this many business days after "
        "it is asked for (the plan's calendar and holidays); removal takes effect at once."
    )
    reopen_window_days = serializers.IntegerField()
    categories = serializers.SerializerMethodField(
        help_text="The categories the plan offers, in its order, with their intake fields."
    )
    sla_categories = serializers.SerializerMethodField(
        help_text="Codes of the categories whose cases carry SLA targets."
    )
    support_phone = serializers.SerializerMethodField(
        help_text="Deprecated: the number for every other region; see `phones`."
    )
    phones = SupportPhoneSerializer(many=True, source="phones.all")
    priorities = PrioritySerializer(many=True, source="priorities.all")

    def get_support_phone(self, plan: SupportPlan) -> str:
        phone = phone_for_country(list(plan.phones.all()), "")
        return phone.number if phone else ""

    @extend_schema_field(PlanCategorySerializer(many=True))
    def get_categories(self, plan: SupportPlan) -> list[dict]:
        return PlanCategorySerializer(plan_categories(plan), many=True).data  # type: ignore[return-value]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_sla_categories(self, plan: SupportPlan) -> list[str]:
        return [row["code"] for row in plan_categories(plan) if row["sla_applies"]]


class TenantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    reference_prefix = serializers.CharField()
    time_zone = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166 code; blank when not recorded.")
    acting_as = serializers.SerializerMethodField()
    your_support_phone = serializers.SerializerMethodField(
        help_text="The number you should call for this customer (your country's, else the "
        "one for every other region); null when the plan has none."
    )
    plan = PlanSerializer()

    def get_acting_as(self, tenant: Tenant) -> str:
        return acting_as(self.context["request"].user, tenant)

    @extend_schema_field(SupportPhoneSerializer(allow_null=True))
    def get_your_support_phone(self, tenant: Tenant) -> dict | None:
        phone = support_phone_for(self.context["request"].user, tenant)
        return None if phone is None else SupportPhoneSerializer(phone).data


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    is_support_staff = serializers.BooleanField()
    authenticated_by = serializers.ChoiceField(choices=["token", "session"])
    tenants = TenantSerializer(many=True)


class ContactSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(source="user.email")
    has_portal_access = serializers.BooleanField()

    class Meta:
        model = AuthorizedContact
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "certification",
            "effective_from",
            "has_portal_access",
        ]

    def get_name(self, contact: AuthorizedContact) -> str:
        return contact.user.get_full_name() or contact.user.get_username()


class ContactRequestSerializer(serializers.ModelSerializer):
    requested_by = Person()

    class Meta:
        model = ContactRequest
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "training_completed",
            "effective_from",
            "status",
            "decision_note",
            "requested_by",
            "created_at",
            "decided_at",
        ]


class ContactRequestInput(StrictInput):
    first_name = serializers.CharField(max_length=150, allow_blank=True)
    last_name = serializers.CharField(max_length=150, allow_blank=True)
    email = serializers.CharField(max_length=254, allow_blank=True)
    phone = serializers.CharField(max_length=40, allow_blank=True, required=False, default="")
    training_completed = serializers.CharField(
        max_length=200,
        allow_blank=True,
        help_text="The certification held; one of the plan's accepted_certifications when it "
        "lists any.",
    )
    effective_from = Rfc3339Date(
        required=False,
        allow_null=True,
        default=None,
        help_text="Defaults to the first day the plan's notice period allows (today without "
        "one); an earlier day is refused.",
    )


class RecordedReason(StrictInput):
    reason = serializers.CharField(
        max_length=5000, allow_blank=True, help_text="Why; kept on record."
    )


class TenantRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LetterSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.name")
    tenant = TenantRef()
    rescinded_by = Person(allow_null=True)

    class Meta:
        model = LetterOfAuthorization
        fields = [
            "id",
            "partner",
            "tenant",
            "status",
            "signatory_name",
            "signatory_title",
            "signed_on",
            "reviewed_at",
            "rescinded_at",
            "rescinded_by",
            "rescission_reason",
            "created_at",
        ]


@extend_schema(tags=["account"])
class MeView(ApiView):
    @extend_schema(
        operation_id="me",
        summary="Who is calling, and the customers they act for",
        responses=MeSerializer,
    )
    def get(self, request: Request) -> Response:
        user = signed_in(request)
        data = {
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "email": user.email,
            "is_support_staff": is_support_staff(user),
            "authenticated_by": "token" if request.auth is not None else "session",
            "tenants": list(tenant_choices(user).prefetch_related(*PLAN_PREFETCH)),
        }
        return Response(MeSerializer(data, context={"request": request}).data)


@extend_schema(tags=["customers"])
class TenantList(ApiView):
    @extend_schema(
        operation_id="tenants_list",
        summary="The customers you act for",
        description="A contact acts for their own organisation; a partner for each customer "
        "whose letter of authorization is active.",
        responses=TenantSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        tenants = tenant_choices(request.user).prefetch_related(*PLAN_PREFETCH)
        return Response(TenantSerializer(tenants, many=True, context={"request": request}).data)


@extend_schema(tags=["customers"])
class TenantDetail(ApiView):
    @extend_schema(operation_id="tenants_read", summary="One customer", responses=TenantSerializer)
    def get(self, request: Request, tenant_id: int) -> Response:
        tenant = tenant_for(request.user, tenant_id)
        return Response(TenantSerializer(tenant, context={"request": request}).data)


@extend_schema(tags=["customers"])
class ContactList(ApiView):
    @extend_schema(
        operation_id="contacts_list",
        summary="The customer's portal contacts",
        description="For the customer's own contacts; a partner is refused (403).",
        responses=ContactSerializer(many=True),
    )
    def get(self, request: Request, tenant_id: int) -> Response:
        tenant = tenant_of_contact(request.user, tenant_id)
        return Response(ContactSerializer(contacts_of(request.user, tenant.id), many=True).data)


@extend_schema(tags=["customers"])
class ContactRemove(ApiView):
    error_statuses = (409,)

    @extend_schema(
        operation_id="contacts_remove",
        summary="Remove a contact; their portal and API access ends at once",
        request=RecordedReason,
        responses=ContactSerializer,
    )
    def post(self, request: Request, tenant_id: int, contact_id: int) -> Response:
        tenant = tenant_of_contact(request.user, tenant_id)
        data = validated(RecordedReason, request.data)
        if not AuthorizedContact.objects.filter(tenant=tenant, id=contact_id).exists():
            raise NotFound("No such contact.")
        contact = services.contact_remove(
            actor=signed_in(request), contact_id=contact_id, reason=data["reason"]
        )
        return Response(ContactSerializer(contact).data)


@extend_schema(tags=["customers"])
class ContactRequestList(ApiListView):
    pagination_class = CursorPage
    serializer_class = ContactRequestSerializer

    def get_queryset(self) -> QuerySet[ContactRequest]:
        tenant = tenant_of_contact(self.request.user, self.kwargs["tenant_id"])
        return contact_requests_of(self.request.user, tenant.id)

    @extend_schema(
        operation_id="contact_requests_list",
        summary="Requests for another contact, and how support decided them",
    )
    def get(self, request: Request, tenant_id: int) -> Response:
        return self.list(request)

    @extend_schema(
        operation_id="contact_requests_create",
        summary="Ask for another portal contact",
        description="Support reviews the request against the plan's contact limit.",
        request=ContactRequestInput,
        responses={201: ContactRequestSerializer},
    )
    def post(self, request: Request, tenant_id: int) -> Response:
        tenant = tenant_of_contact(request.user, tenant_id)
        data = validated(ContactRequestInput, request.data)
        created = services.contact_request_create(
            actor=signed_in(request), tenant_id=tenant.id, **data
        )
        return Response(ContactRequestSerializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["letters"])
class LetterList(ApiView):
    @extend_schema(
        operation_id="letters_list",
        summary="Letters of authorization you may see",
        description="A contact sees their organisation's letters; a partner its own "
        "company's letters, whatever their status.",
        responses=LetterSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        letters = letters_visible_to(request.user).order_by("status", "-created_at")
        return Response(LetterSerializer(letters, many=True).data)


@extend_schema(tags=["letters"])
class LetterDetail(ApiView):
    @extend_schema(operation_id="letters_read", summary="One letter", responses=LetterSerializer)
    def get(self, request: Request, letter_id: int) -> Response:
        return Response(LetterSerializer(_letter(request, letter_id)).data)


@extend_schema(tags=["letters"])
class LetterRescind(ApiView):
    error_statuses = (409,)

    @extend_schema(
        operation_id="letters_rescind",
        summary="Rescind a letter in writing",
        description="For the customer's contacts. The partner's access ends at once; "
        "cases it filed stay with the customer. A partner is refused (403).",
        request=RecordedReason,
        responses=LetterSerializer,
    )
    def post(self, request: Request, letter_id: int) -> Response:
        _letter(request, letter_id)  # 404 before anything else for a letter one cannot see
        data = validated(RecordedReason, request.data)
        services.letter_rescind(
            actor=signed_in(request), letter_id=letter_id, reason=data["reason"]
        )
        return Response(LetterSerializer(_letter(request, letter_id)).data)


def _letter(request: Request, letter_id: int) -> LetterOfAuthorization:
    letter = letters_visible_to(request.user).filter(id=letter_id).first()
    if letter is None:
        raise NotFound("No such letter of authorization.")
    return letter


urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("tenants/", TenantList.as_view(), name="tenants"),
    path("tenants/<api_id:tenant_id>/", TenantDetail.as_view(), name="tenant"),
    path("tenants/<api_id:tenant_id>/contacts/", ContactList.as_view(), name="contacts"),
    path(
        "tenants/<api_id:tenant_id>/contacts/<api_id:contact_id>/remove/",
        ContactRemove.as_view(),
        name="contact-remove",
    ),
    path(
        "tenants/<api_id:tenant_id>/contact-requests/",
        ContactRequestList.as_view(),
        name="contact-requests",
    ),
    path("letters/", LetterList.as_view(), name="letters"),
    path("letters/<api_id:letter_id>/", LetterDetail.as_view(), name="letter"),
    path("letters/<api_id:letter_id>/rescind/", LetterRescind.as_view(), name="letter-rescind"),
]
