"""The service-request API: plain DRF viewsets calling the services, mounted under
`/api/v1/` by `servicerequests.api_urls`. Another tenant's request is a 404, as in the
portal; a service's refusal keeps its status code and message."""

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from servicerequests import services
from servicerequests.handlers import handler_for
from servicerequests.models import FulfilmentStep, RequestType, ServiceRequest
from servicerequests.selectors import request_types_for, requests_for
from supportdesk.errors import InvalidInput, NotFound, ServiceError
from tenants.access import tenants_for


class StepSerializer(serializers.ModelSerializer):
    done_by = serializers.SerializerMethodField()

    class Meta:
        model = FulfilmentStep
        fields = ["code", "title", "role", "done_at", "done_by", "note"]

    def get_done_by(self, step: FulfilmentStep) -> str:
        user = step.done_by
        return (user.get_full_name() or user.get_username()) if user else ""


class ServiceRequestSerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.reference_prefix")
    type = serializers.CharField(source="request_type.code")
    environment = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    steps = StepSerializer(many=True, read_only=True)
    authorized = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "reference",
            "tenant",
            "type",
            "environment",
            "summary",
            "state",
            "details",
            "lines",
            "steps",
            "respond_by",
            "responded_at",
            "rejection_reason",
            "authorized",
            "created_at",
            "closed_at",
        ]

    def get_environment(self, obj: ServiceRequest) -> dict | None:
        env = obj.environment
        return {"id": env.id, "name": env.name, "kind": env.get_kind_display()} if env else None

    def get_lines(self, obj: ServiceRequest) -> list[dict]:
        lines = handler_for(obj.request_type.code).describe(obj.details)
        return [{"label": label, "value": value} for label, value in lines]

    def get_authorized(self, obj: ServiceRequest) -> bool | None:
        if not handler_for(obj.request_type.code).produces_authorization:
            return None
        from servicerequests.handlers.security import authorization_is_valid

        return obj.state == "done" and authorization_is_valid(obj.authorization)


class RequestTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestType
        fields = ["code", "name", "description", "sla_applies", "response_target"]


class ServiceErrorsMixin:
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ServiceError):
            return Response(
                {"detail": exc.message, "code": exc.code, "errors": exc.field_errors},
                status=exc.status_code,
            )
        return super().handle_exception(exc)


def _tenant_id(user: AbstractBaseUser, value: object) -> int:
    tenant = tenants_for(user).filter(reference_prefix=str(value or "")).first()
    if tenant is None:
        raise NotFound("No such customer.")
    return tenant.id


class ServiceRequestViewSet(ServiceErrorsMixin, viewsets.ReadOnlyModelViewSet):
    """List and read requests; `create` submits one; staff verbs as actions."""

    serializer_class = ServiceRequestSerializer
    lookup_field = "reference"

    def get_queryset(self):
        requests = (
            requests_for(self.request.user)
            .select_related("tenant", "request_type", "environment")
            .prefetch_related("steps__done_by")
            .order_by("-created_at", "-id")
        )
        params = self.request.query_params
        if params.get("tenant"):
            requests = requests.filter(tenant__reference_prefix=params["tenant"])
        if params.get("state"):
            requests = requests.filter(state=params["state"])
        if params.get("type"):
            requests = requests.filter(request_type__code=params["type"])
        return requests

    def create(self, request: Request) -> Response:
        data = request.data
        details = data.get("details") or {}
        if not isinstance(details, dict):
            raise InvalidInput("`details` must be an object of the type's fields.")
        created = services.service_request_submit(
            actor=request.user,
            tenant_id=_tenant_id(request.user, data.get("tenant")),
            type_code=str(data.get("type") or ""),
            data=details,
        )
        return Response(self.get_serializer(created).data, status=201)

    def _act(self, reference: str, perform: object) -> Response:
        obj = self.get_object()
        perform(obj)
        obj.refresh_from_db()
        return Response(self.get_serializer(obj).data)

    @action(detail=True, methods=["post"])
    def start(self, request: Request, reference: str) -> Response:
        return self._act(
            reference,
            lambda obj: services.service_request_start(actor=request.user, request_id=obj.id),
        )

    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step>[a-z_]+)/done")
    def step_done(self, request: Request, reference: str, step: str) -> Response:
        return self._act(
            reference,
            lambda obj: services.service_request_step_done(
                actor=request.user,
                request_id=obj.id,
                step_code=step,
                note=str(request.data.get("note") or ""),
            ),
        )

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, reference: str) -> Response:
        return self._act(
            reference,
            lambda obj: services.service_request_reject(
                actor=request.user, request_id=obj.id, reason=str(request.data.get("reason") or "")
            ),
        )


class RequestTypeViewSet(ServiceErrorsMixin, viewsets.ViewSet):
    """The catalogue a tenant's plan offers: `?tenant=ACME`."""

    def list(self, request: Request) -> Response:
        tenant = (
            tenants_for(request.user)
            .filter(reference_prefix=request.query_params.get("tenant", ""))
            .first()
        )
        if tenant is None:
            raise NotFound("No such customer.")
        return Response(RequestTypeSerializer(request_types_for(tenant), many=True).data)
