"""Cases over the API: list and file, read, reply, the lifecycle verbs (the customer's
and support staff's), files, the notification list and the SLA state. Each view finds the
case through `cases_for` (another tenant's case is a 404) and calls one service."""

from collections.abc import Callable, Iterable

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from audit.services import audit_staff_read
from cases import services
from cases.api.serializers import (
    AssignInput,
    AttachmentSerializer,
    BodyInput,
    CaseCreateInput,
    CaseCreateUpload,
    CaseFilter,
    CaseOwnerSerializer,
    CaseSerializer,
    CaseSummarySerializer,
    CloseInput,
    CommentInput,
    CommentSerializer,
    CommentUpload,
    EventSerializer,
    NoteInput,
    PriorityInput,
    ReasonInput,
    SlaSerializer,
    TakeInput,
    TransferInput,
    WatcherInput,
    WatcherSerializer,
)
from cases.attachments import attachment_response
from cases.models import Case, CaseEvent, Channel, Comment, SupportGroup
from cases.selectors import (
    attachments_for,
    case_by_reference,
    cases_matching,
    comments_for,
    events_for,
    watchers_for,
)
from cases.services import StaffAction
from supportdesk.api.conditional import expected_version, not_modified, with_etag
from supportdesk.api.pagination import CursorPage, OldestFirstCursorPage
from supportdesk.api.serializers import validated
from supportdesk.api.views import ApiListView, ApiView
from supportdesk.db_router import stale_reads_ok
from supportdesk.errors import InvalidInput, NotFound
from supportdesk.types import User, present, signed_in
from tenants.roles import highest_role, is_support_staff, support_staff
from tenants.selectors import contacts_of, tenant_choices, tenant_for

IF_MATCH_DOC = (
    'The case\'s ETag as last read (its `version` in quotes, e.g. `"3"`). If the case '
    "changed since, nothing is done and the answer is 412. `*` acts on any version."
)
IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, description=IF_MATCH_DOC
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description=IF_MATCH_DOC
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag you hold: if the case has not changed, the answer is 304 without a body.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The case's version, for `If-Match` on the next change.",
)
MULTIPART = "multipart/form-data"


def _case(request: Request, reference: str) -> Case:
    return case_by_reference(request.user, reference)


def case_response(request: Request, case: Case, code: int = status.HTTP_200_OK) -> Response:
    data = CaseSerializer(case, context={"request": request}).data
    return with_etag(Response(data, status=code), case.version)


def _is_multipart(request: Request) -> bool:
    return request.content_type.split(";")[0].strip().lower() == MULTIPART


@extend_schema(tags=["cases"])
class CaseList(ApiListView):
    pagination_class = CursorPage
    serializer_class = CaseSummarySerializer
    query_class = CaseFilter
    error_statuses = {"post": (404,)}  # a customer you do not act for

    def get_queryset(self) -> QuerySet[Case]:
        filters = self.query
        return cases_matching(
            self.request.user,
            tenant_id=filters.get("tenant"),
            status=filters["status"],
            states=[filters["state"]] if filters.get("state") else [],
            priority=filters.get("priority", ""),
            category=filters.get("category", ""),
            query=filters.get("search", ""),
            updated_since=filters.get("updated_since"),
        )

    @extend_schema(
        operation_id="cases_list",
        summary="Cases of the customers you act for",
        description="Newest first, a page at a time: follow `next`. Filter by customer, "
        "open/closed, state, priority, category, words of the summary or a reference, "
        "and `updated_since` to pick up what changed since your last poll.",
        parameters=[CaseFilter],
    )
    @stale_reads_ok
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        operation_id="cases_create",
        summary="File a case",
        description="JSON, or multipart/form-data to attach files (repeat `attachments`). "
        "The answer carries the case's ETag and its address in `Location`. Support staff "
        "log a case for a customer's contact: they name the customer (`tenant`) and the "
        "contact who reported it (`reporter`).",
        request={"application/json": CaseCreateInput, MULTIPART: CaseCreateUpload},
        responses={201: CaseSerializer},
        parameters=[ETAG],
    )
    def post(self, request: Request) -> Response:
        upload = _is_multipart(request)
        data = validated(CaseCreateUpload if upload else CaseCreateInput, request.data)
        contact_id = data.pop("reporter", None)
        if contact_id is not None:
            # Before the contact is looked up, so a customer hears "not allowed" only.
            services.require_permission(request.user, StaffAction.WORK_CASES)
        tenant_id = data.pop("tenant", None) or _only_tenant(request)
        reporter = None if contact_id is None else _reporter(request, tenant_id, contact_id)
        case = services.case_create(
            actor=signed_in(request),
            tenant_id=tenant_id,
            channel=Channel.API if reporter is None else Channel.PHONE,
            reporter=reporter,
            **data,
        )
        response = case_response(request, case, status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response


def _reporter(request: Request, tenant_id: int, contact_id: int) -> User:
    """The person behind a contact id of the customer; whether they may report a case
    (certified, access started) is the case service's to say."""
    tenant = tenant_for(request.user, tenant_id)
    contact = contacts_of(request.user, tenant.id).filter(id=contact_id).first()
    if contact is None:
        raise InvalidInput(
            "The reporter must be an authorized contact of the customer.",
            field_errors={
                "reporter": [f"{tenant.name} has no contact {contact_id}; see its contacts."]
            },
        )
    return contact.user


def _only_tenant(request: Request) -> int:
    tenants = list(tenant_choices(request.user).values_list("id", flat=True)[:2])
    if len(tenants) != 1:
        raise ValidationError(
            {"tenant": ["You act for several customers: say which (ids from /api/v1/tenants/)."]}
        )
    return tenants[0]


@extend_schema(tags=["cases"])
class CaseDetail(ApiView):
    @extend_schema(
        operation_id="cases_read",
        summary="One case",
        parameters=[IF_NONE_MATCH, ETAG],
        responses={
            200: CaseSerializer,
            304: OpenApiResponse(description="Not modified since the ETag you sent."),
        },
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        if not_modified(request, case.version):
            return with_etag(Response(status=status.HTTP_304_NOT_MODIFIED), case.version)
        return case_response(request, case)


@extend_schema(tags=["case actions"])
class CaseOwners(ApiView):
    @extend_schema(
        operation_id="case_owners_list",
        summary="Support staff who may own a case (support staff)",
        description="The usernames `assign/` takes, by name. Customers and partners are "
        "refused (403).",
        responses=CaseOwnerSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        services.require_permission(request.user, StaffAction.WORK_CASES)
        owners = [
            {
                "username": person.get_username(),
                "name": person.get_full_name() or person.get_username(),
                "role": present(highest_role(person), "staff role").value,
            }
            for person in support_staff()
        ]
        return Response(CaseOwnerSerializer(owners, many=True).data)


@extend_schema(tags=["cases"])
class CaseSla(ApiView):
    @extend_schema(
        operation_id="cases_sla",
        summary="The case's SLA state: due times, targets and whose move it is",
        description="Due times are stored on the case and recomputed by every change.",
        parameters=[ETAG],
        responses=SlaSerializer,
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        return with_etag(Response(SlaSerializer(case).data), case.version)


@extend_schema(tags=["cases"])
class CaseComments(ApiListView):
    pagination_class = OldestFirstCursorPage
    serializer_class = CommentSerializer
    error_statuses = (409, 412)

    def get_queryset(self) -> QuerySet[Comment]:
        return comments_for(self.request.user, self.case)

    def get_serializer_context(self) -> dict:
        visible = attachments_for(self.request.user).filter(case=self.case)
        return {
            **super().get_serializer_context(),
            "visible_attachments": set(visible.values_list("id", flat=True)),
        }

    @extend_schema(
        operation_id="comments_list",
        summary="The case's conversation, oldest first",
        description="Public replies (support staff also see internal notes), with their files.",
    )
    def get(self, request: Request, reference: str) -> Response:
        self.case = _case(request, reference)
        return self.list(request)

    @extend_schema(
        operation_id="comments_create",
        summary="Reply on the case",
        description="A reply while the case awaits your information puts it back with "
        "support. JSON, or multipart/form-data to attach files. `If-Match` is honoured "
        "when sent.",
        request={"application/json": CommentInput, MULTIPART: CommentUpload},
        responses={201: CommentSerializer},
        parameters=[IF_MATCH_OPTIONAL],
    )
    def post(self, request: Request, reference: str) -> Response:
        self.case = _case(request, reference)
        version = expected_version(request, required=False)
        data = validated(CommentUpload if _is_multipart(request) else CommentInput, request.data)
        comment = services.case_comment(
            case_id=self.case.id,
            actor=signed_in(request),
            channel=Channel.API,
            expected_version=version,
            **data,
        )
        comment = comments_for(request.user, self.case).get(id=comment.id)
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["cases"])
class CaseEvents(ApiListView):
    pagination_class = OldestFirstCursorPage
    serializer_class = EventSerializer

    @extend_schema(
        operation_id="events_list",
        summary="The case's timeline, oldest first",
        description="Every public change: filed, state changes, replies, files, closure.",
    )
    def get(self, request: Request, reference: str) -> Response:
        self.case = _case(request, reference)
        return self.list(request)

    def get_queryset(self) -> QuerySet[CaseEvent]:
        return events_for(self.request.user, self.case)


@extend_schema(tags=["cases"])
class CaseAttachments(ApiView):
    @extend_schema(
        operation_id="attachments_list",
        summary="The case's files",
        responses=AttachmentSerializer(many=True),
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        files = attachments_for(request.user).filter(case=case).order_by("created_at", "id")
        return Response(AttachmentSerializer(files, many=True, context={"request": request}).data)


class _AnyRenderer(BaseRenderer):
    media_type = "*/*"
    format = "file"


class _ErrorsAsJson(BaseContentNegotiation):
    """A download answers with the file whatever `Accept` says; refusals are JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser:
        return next(iter(parsers))

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


@extend_schema(tags=["cases"])
class AttachmentContent(ApiView):
    content_negotiation_class = _ErrorsAsJson

    @extend_schema(
        operation_id="attachments_download",
        summary="Download a file",
        description="Always as an attachment (`Content-Disposition: attachment`, `nosniff`); "
        "types a browser could run are sent as application/octet-stream.",
        responses={(200, "*/*"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, attachment_id: int) -> FileResponse:
        attachment = (
            attachments_for(request.user).select_related("case").filter(id=attachment_id).first()
        )
        if attachment is None:
            raise NotFound("No such file.")
        if is_support_staff(request.user):
            audit_staff_read(
                actor=signed_in(request),
                obj=attachment,
                verb="attachment downloaded",
                request=request,
            )
        return attachment_response(attachment)


@extend_schema(tags=["cases"])
class CaseWatchers(ApiView):
    error_statuses = (409, 412)

    @extend_schema(
        operation_id="watchers_list",
        summary="Who is copied on the case's updates",
        responses=WatcherSerializer(many=True),
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        return Response(WatcherSerializer(watchers_for(request.user, case), many=True).data)

    @extend_schema(
        operation_id="watchers_add",
        summary="Copy someone on the case's updates",
        request=WatcherInput,
        responses={201: WatcherSerializer},
        parameters=[IF_MATCH_OPTIONAL],
    )
    def post(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        version = expected_version(request, required=False)
        data = validated(WatcherInput, request.data)
        watcher = services.case_watcher_add(
            case_id=case.id, actor=signed_in(request), expected_version=version, **data
        )
        return Response(WatcherSerializer(watcher).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["cases"])
class CaseWatcher(ApiView):
    error_statuses = (412,)

    @extend_schema(
        operation_id="watchers_remove",
        summary="Stop copying someone on the case's updates",
        parameters=[IF_MATCH_OPTIONAL],
        responses={204: None},
    )
    def delete(self, request: Request, reference: str, watcher_id: int) -> Response:
        case = _case(request, reference)
        version = expected_version(request, required=False)
        services.case_watcher_remove(
            case_id=case.id,
            actor=signed_in(request),
            watcher_id=watcher_id,
            expected_version=version,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CaseAction(ApiView):
    """One lifecycle verb: the case by reference, `If-Match` required, one service call."""

    error_statuses = (409, 412, 428)
    input_class: type[Serializer]
    verb: Callable[..., Case]

    def post(self, request: Request, reference: str) -> Response:
        case = _case(request, reference)
        version = expected_version(request, required=True)
        data = validated(self.input_class, request.data)
        changed = type(self).verb(
            case_id=case.id, actor=signed_in(request), expected_version=version, **data
        )
        return case_response(request, changed)


def case_action(
    operation_id: str, summary: str, about: str
) -> Callable[[type[CaseAction]], type[CaseAction]]:
    """The OpenAPI description of a lifecycle verb's view (its input from `input_class`)."""

    def describe(view: type[CaseAction]) -> type[CaseAction]:
        post = extend_schema(
            operation_id=operation_id,
            summary=summary,
            description=about,
            request=view.input_class,
            responses=CaseSerializer,
            parameters=[IF_MATCH_REQUIRED, ETAG],
        )
        return extend_schema(tags=["case actions"])(extend_schema_view(post=post)(view))

    return describe


def _take(*, case_id: int, actor: User, expected_version: int | None) -> Case:
    return services.case_assign(
        case_id=case_id, actor=actor, owner=actor, expected_version=expected_version
    )


def _assign(*, case_id: int, actor: User, expected_version: int | None, owner: str | None) -> Case:
    person = None
    if owner is not None:
        # Before the name is looked up, so staff usernames cannot be probed from outside.
        services.require_permission(actor, StaffAction.WORK_CASES)
        person = support_staff().filter(username=owner).first()
        if person is None:
            raise InvalidInput(
                "Cases can only be owned by support staff.",
                field_errors={"owner": [f"No support staff member has the username {owner!r}."]},
            )
    return services.case_assign(
        case_id=case_id, actor=actor, owner=person, expected_version=expected_version
    )


def _transfer(
    *, case_id: int, actor: User, expected_version: int | None, group: str, note: str
) -> Case:
    # Before the name is looked up, so group names cannot be probed from outside.
    services.require_permission(actor, StaffAction.WORK_CASES)
    found = SupportGroup.objects.filter(name=group, is_active=True).values_list("id", flat=True)
    if not found:
        raise InvalidInput(
            "Choose an active support group.",
            field_errors={"group": [f"No active support group is named {group!r}."]},
        )
    return services.case_transfer(
        case_id=case_id,
        actor=actor,
        group_id=found[0],
        note=note,
        expected_version=expected_version,
    )


@case_action(
    "cases_take",
    "Take the case (support staff)",
    "The case becomes yours; a new case goes into work. Customers are refused (403).",
)
class CaseTake(CaseAction):
    input_class = TakeInput
    verb = staticmethod(_take)


@case_action(
    "cases_assign",
    "Hand the case to someone, or unassign it (triage leads and managers)",
    "Handing a case to someone else is a triage lead's call: an engineer is refused "
    "(403) unless naming themselves. A new case goes into work when it gets an owner.",
)
class CaseAssign(CaseAction):
    input_class = AssignInput
    verb = staticmethod(_assign)


@case_action(
    "cases_transfer",
    "Transfer the case to another support group, with an internal note (support staff)",
    "The note is required and stays internal. The owner keeps the case only if they are a "
    "member of the new group; otherwise it waits there unassigned. Customers are refused "
    "(403).",
)
class CaseTransfer(CaseAction):
    input_class = TransferInput
    verb = staticmethod(_transfer)


@case_action(
    "cases_change_priority",
    "Change the case's priority, with the reason (support staff)",
    "The reason goes on the case's timeline and the due times follow the new priority. "
    "Customers are refused (403).",
)
class CaseChangePriority(CaseAction):
    input_class = PriorityInput
    verb = staticmethod(services.case_change_priority)


@case_action(
    "cases_close",
    "Close the case with a reason and a note for the customer (support staff)",
    "The customer may reopen it within the plan's window. Customers cancel instead "
    "(`cancel/`); they are refused here (403).",
)
class CaseClose(CaseAction):
    input_class = CloseInput
    verb = staticmethod(services.case_close)


@case_action(
    "cases_request_info",
    "Ask the customer for information (support staff)",
    "Contact attempt 1: the case waits on the customer. Customers are refused (403).",
)
class CaseRequestInfo(CaseAction):
    input_class = BodyInput
    verb = staticmethod(services.case_request_info)


@case_action(
    "cases_propose_solution",
    "Propose a solution (support staff)",
    "The customer then accepts or rejects it. Customers are refused (403).",
)
class CaseProposeSolution(CaseAction):
    input_class = BodyInput
    verb = staticmethod(services.case_propose_solution)


@case_action(
    "cases_accept",
    "Accept the proposed solution; the case closes as resolved",
    "For the customer (or a partner acting for them).",
)
class CaseAccept(CaseAction):
    input_class = NoteInput
    verb = staticmethod(services.case_accept_solution)


@case_action(
    "cases_reject",
    "Reject the proposed solution; the case goes back to support",
    "Say what is still wrong in `reason`.",
)
class CaseReject(CaseAction):
    input_class = ReasonInput
    verb = staticmethod(services.case_reject_solution)


@case_action(
    "cases_cancel",
    "Cancel the case",
    "The case closes as cancelled; it can be reopened within the plan's window.",
)
class CaseCancel(CaseAction):
    input_class = ReasonInput
    verb = staticmethod(services.case_cancel)


@case_action(
    "cases_reopen",
    "Reopen a closed case",
    "Within the plan's reopen window (`reopen_until` on the case); later, file a new case.",
)
class CaseReopen(CaseAction):
    input_class = ReasonInput
    verb = staticmethod(services.case_reopen)


ACTIONS: dict[str, type[CaseAction]] = {
    "take": CaseTake,
    "assign": CaseAssign,
    "transfer": CaseTransfer,
    "change-priority": CaseChangePriority,
    "close": CaseClose,
    "request-info": CaseRequestInfo,
    "propose-solution": CaseProposeSolution,
    "accept": CaseAccept,
    "reject": CaseReject,
    "cancel": CaseCancel,
    "reopen": CaseReopen,
}
