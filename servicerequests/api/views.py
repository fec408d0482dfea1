"""Service requests over the API: the catalogue, list and submit, read, the timeline,
the signed authorization and the staff verbs. Each view finds the request through
`requests_for` (another tenant's request is a 404) and calls one service."""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from servicerequests import services
from servicerequests.api.serializers import (
    AuthorizationSerializer,
    CatalogueQuery,
    RejectInput,
    RequestCreateInput,
    RequestEventSerializer,
    RequestFilter,
    RequestTypeSerializer,
    ServiceRequestSerializer,
    ServiceRequestSummarySerializer,
    StartInput,
    StepDoneInput,
)
from servicerequests.models import RequestEvent, ServiceRequest
from servicerequests.selectors import (
    request_by_reference,
    request_events_for,
    request_types_for,
    requests_matching,
    signed_authorization,
)
from supportdesk.api.conditional import expected_version, not_modified, with_etag
from supportdesk.api.pagination import CursorPage, OldestFirstCursorPage
from supportdesk.api.serializers import validated
from supportdesk.api.views import ApiListView, ApiView
from supportdesk.errors import InvalidInput, NotFound
from supportdesk.types import signed_in
from tenants.models import Tenant
from tenants.selectors import tenant_choices

IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The request\'s ETag as last read (its `version` in quotes, e.g. `"3"`). If '
    "the request changed since, nothing is done and the answer is 412. `*` acts on any "
    "version.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag you hold: if the request has not changed, the answer is 304 without "
    "a body.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The request's version, for `If-Match` on the next change.",
)


def _request(request: Request, reference: str) -> ServiceRequest:
    return request_by_reference(request.user, reference)


def request_response(
    request: Request, service_request: ServiceRequest, code: int = status.HTTP_200_OK
) -> Response:
    data = ServiceRequestSerializer(service_request, context={"request": request}).data
    return with_etag(Response(data, status=code), service_request.version)


def _tenant(request: Request, tenant_id: int | None) -> Tenant:
    """The customer named, or the only one the caller acts for."""
    tenants = tenant_choices(request.user)
    if tenant_id is not None:
        tenant = tenants.filter(id=tenant_id).first()
        if tenant is None:
            raise NotFound("No such customer.")
        return tenant
    found = list(tenants[:2])
    if len(found) != 1:
        raise ValidationError(
            {"tenant": ["You act for several customers: say which (ids from /api/v1/tenants/)."]}
        )
    return found[0]


def _in_details(error: InvalidInput) -> InvalidInput:
    """The type's form names its fields; the API names them under `details`."""
    fields = {
        (name if name == "__all__" else f"details.{name}"): messages
        for name, messages in error.field_errors.items()
    }
    return InvalidInput(error.message, field_errors=fields)


@extend_schema(tags=["service requests"])
class RequestTypeList(ApiView):
    query_class = CatalogueQuery
    error_statuses = (404,)  # a customer you do not act for

    @extend_schema(
        operation_id="request_types_list",
        summary="The requests the customer's plan offers, with the fields each takes",
        description="Choices (environments, feature flags …) are the customer's own.",
        parameters=[CatalogueQuery],
        responses=RequestTypeSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        tenant = _tenant(request, self.query.get("tenant"))
        types = request_types_for(tenant).order_by("position", "name", "id")
        context = {"request": request, "tenant": tenant}
        return Response(RequestTypeSerializer(types, many=True, context=context).data)


@extend_schema(tags=["service requests"])
class RequestList(ApiListView):
    pagination_class = CursorPage
    serializer_class = ServiceRequestSummarySerializer
    query_class = RequestFilter
    error_statuses = {"post": (404,)}  # a customer you do not act for; a type not offered

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        filters = self.query
        return requests_matching(
            self.request.user,
            tenant_id=filters.get("tenant"),
            status=filters["status"],
            state=filters.get("state", ""),
            type_code=filters.get("type", ""),
            updated_since=filters.get("updated_since"),
        )

    @extend_schema(
        operation_id="requests_list",
        summary="Service requests of the customers you act for",
        description="Newest first, a page at a time: follow `next`. Filter by customer, "
        "open/closed, state, type, and `updated_since` to pick up what changed since your "
        "last poll.",
        parameters=[RequestFilter],
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        operation_id="requests_create",
        summary="Submit a service request",
        description="`type` from the customer's catalogue, `details` with that type's fields. "
        "The type's rules check them as the portal's form does (e.g. a sandbox is refreshed "
        "at most once a calendar month); a refusal names the field under `details.`. For "
        "the customer's contacts and partners acting for them; support staff are refused "
        "(403). The answer carries the request's ETag and its address in `Location`.",
        request={"application/json": RequestCreateInput},
        responses={201: ServiceRequestSerializer},
        parameters=[ETAG],
    )
    def post(self, request: Request) -> Response:
        data = validated(RequestCreateInput, request.data)
        tenant = _tenant(request, data.get("tenant"))
        try:
            created = services.service_request_submit(
                actor=signed_in(request),
                tenant_id=tenant.id,
                type_code=data["type"],
                data=data["details"],
            )
        except InvalidInput as error:
            raise _in_details(error) from error
        service_request = _request(request, created.reference)
        response = request_response(request, service_request, status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response


@extend_schema(tags=["service requests"])
class RequestDetail(ApiView):
    @extend_schema(
        operation_id="requests_read",
        summary="One service request",
        parameters=[IF_NONE_MATCH, ETAG],
        responses={
            200: ServiceRequestSerializer,
            304: OpenApiResponse(description="Not modified since the ETag you sent."),
        },
    )
    def get(self, request: Request, reference: str) -> Response:
        service_request = _request(request, reference)
        if not_modified(request, service_request.version):
            return with_etag(Response(status=status.HTTP_304_NOT_MODIFIED), service_request.version)
        return request_response(request, service_request)


@extend_schema(tags=["service requests"])
class RequestEvents(ApiListView):
    pagination_class = OldestFirstCursorPage
    serializer_class = RequestEventSerializer

    @extend_schema(
        operation_id="request_events_list",
        summary="The request's timeline, oldest first",
        description="Submitted, taken on, each step done, done or rejected.",
    )
    def get(self, request: Request, reference: str) -> Response:
        self.service_request = _request(request, reference)
        return self.list(request)

    def get_queryset(self) -> QuerySet[RequestEvent]:
        return request_events_for(self.request.user, self.service_request)


@extend_schema(tags=["service requests"])
class RequestAuthorization(ApiView):
    @extend_schema(
        operation_id="requests_authorization",
        summary="The signed security-testing authorization",
        description="Once security has signed it (the request is done and `authorized`); "
        "404 before, and for other types. Testers show it when asked.",
        responses=AuthorizationSerializer,
    )
    def get(self, request: Request, reference: str) -> Response:
        authorization = signed_authorization(_request(request, reference))
        if authorization is None:
            raise NotFound("This request has no signed authorization.")
        return Response(AuthorizationSerializer(authorization).data)


class RequestAction(ApiView):
    """One staff verb: the request by reference, `If-Match` required, one service call."""

    error_statuses = (409, 412, 428)


@extend_schema(tags=["service request actions"])
class RequestStart(RequestAction):
    @extend_schema(
        operation_id="requests_start",
        summary="Take the request on (support staff)",
        description="It goes into fulfilment with you as its owner. Customers are refused (403).",
        request=StartInput,
        responses=ServiceRequestSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG],
    )
    def post(self, request: Request, reference: str) -> Response:
        service_request = _request(request, reference)
        version = expected_version(request, required=True)
        validated(StartInput, request.data)
        services.service_request_start(
            actor=signed_in(request), request_id=service_request.id, expected_version=version
        )
        return request_response(request, _request(request, reference))


@extend_schema(tags=["service request actions"])
class RequestStepDone(RequestAction):
    @extend_schema(
        operation_id="requests_step_done",
        summary="Mark the next fulfilment step done (support staff of the step's role)",
        description="Steps go in order (`steps` of the request); when the last is done the "
        "request is done and its change takes effect. Customers are refused (403), and so "
        "is staff without the step's role.",
        request=StepDoneInput,
        responses=ServiceRequestSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG],
    )
    def post(self, request: Request, reference: str, step: str) -> Response:
        service_request = _request(request, reference)
        version = expected_version(request, required=True)
        data = validated(StepDoneInput, request.data)
        services.service_request_step_done(
            actor=signed_in(request),
            request_id=service_request.id,
            step_code=step,
            expected_version=version,
            **data,
        )
        return request_response(request, _request(request, reference))


@extend_schema(tags=["service request actions"])
class RequestReject(RequestAction):
    @extend_schema(
        operation_id="requests_reject",
        summary="Turn the request down (support staff)",
        description="Tell the customer why in `reason`. Customers are refused (403).",
        request=RejectInput,
        responses=ServiceRequestSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG],
    )
    def post(self, request: Request, reference: str) -> Response:
        service_request = _request(request, reference)
        version = expected_version(request, required=True)
        data = validated(RejectInput, request.data)
        services.service_request_reject(
            actor=signed_in(request),
            request_id=service_request.id,
            expected_version=version,
            **data,
        )
        return request_response(request, _request(request, reference))
