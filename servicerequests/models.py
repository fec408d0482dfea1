"""Service requests: typed asks with their own form, fulfilment steps and lifecycle.

The rules of each type live in code (`servicerequests.handlers`); the catalogue staff
edit (`RequestType`) says which types exist for customers, on which plans, and whether
SLA targets apply.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from supportdesk.types import AnyUser, fsm_permission


def handler_choices() -> list[tuple[str, str]]:
    from servicerequests.handlers import REGISTRY

    return [(code, handler.title) for code, handler in REGISTRY.items()]


class RequestType(models.Model):
    """An entry of the service-request catalogue, as staff manage it."""

    code = models.CharField(
        max_length=40, unique=True, choices=handler_choices, help_text="Which rules apply."
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    sla_applies = models.BooleanField(
        default=False,
        help_text="Contracts exclude requests from SLA targets unless the plan says otherwise.",
    )
    response_target = models.CharField(
        max_length=16,
        default="nbd",
        help_text="When SLA applies: the first response target ('4bh', 'nbd', '2bd'), counted "
        "on the plan's calendar.",
    )
    plans = models.ManyToManyField(
        "tenants.SupportPlan",
        blank=True,
        related_name="request_types",
        help_text="Plans whose tenants may make this request.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from sla.targets import Target

        try:
            Target.parse(self.response_target)
        except ValueError as error:
            raise ValidationError({"response_target": str(error)}) from error


class State(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected"


OPEN_STATES = [State.SUBMITTED, State.IN_FULFILMENT]


@fsm_permission
def _staff(request: "ServiceRequest", user: AnyUser) -> bool:
    from tenants.roles import Role, has_role

    return has_role(user, Role.ENGINEER)


class ServiceRequest(ConcurrentTransitionMixin, models.Model):
    """One request of a tenant. Transitions change the state only; the services in
    `servicerequests.services` lock, check, record and tell."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(editable=False)
    reference = models.CharField(max_length=24, unique=True, editable=False)
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="requests")
    environment = models.ForeignKey(
        "tenants.Environment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    summary = models.CharField(max_length=200)
    details = models.JSONField(default=dict, blank=True)
    state = FSMField(default=State.SUBMITTED, choices=State.choices, protected=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_requests"
    )
    partner = models.ForeignKey(
        "tenants.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_service_requests",
    )
    limit_key = models.CharField(
        max_length=120,
        blank=True,
        editable=False,
        help_text="Names the period a limited request counts against (a sandbox's month).",
    )
    respond_by = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    authorization = models.JSONField(
        default=dict, blank=True, help_text="The signed document, for types that produce one."
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="unique_request_number"),
            # The monthly sandbox refresh (and any other limited type): one live request
            # per period, even when two are submitted at the same instant.
            models.UniqueConstraint(
                fields=["limit_key"],
                condition=~Q(limit_key="") & ~Q(state="rejected"),
                name="one_live_request_per_limit_period",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(rejection_reason=""),
                name="rejected_request_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "-created_at"], name="request_tenant_state"),
            models.Index(fields=["state", "respond_by"], name="request_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @transition(field=state, source=State.SUBMITTED, target=State.IN_FULFILMENT, permission=_staff)
    def start(self) -> None:
        """Staff take the request on."""

    @transition(field=state, source=State.IN_FULFILMENT, target=State.DONE)
    def complete(self) -> None:
        """Every fulfilment step is done."""

    @transition(field=state, source=OPEN_STATES, target=State.REJECTED, permission=_staff)
    def reject(self) -> None:
        pass


class FulfilmentStep(models.Model):
    """One step of fulfilling a request, copied from its type's rules at submission so
    a later change of the rules does not rewrite requests in flight."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    role = models.CharField(max_length=40, help_text="The staff role that completes the step.")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "code"], name="unique_step_per_request"),
            models.UniqueConstraint(
                fields=["request", "position"], name="unique_step_position_per_request"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class RequestEvent(models.Model):
    """The request's timeline."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        STARTED = "started", "Fulfilment started"
        STEP_DONE = "step_done", "Step done"
        DONE = "done", "Done"
        REJECTED = "rejected", "Rejected"

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    public = models.BooleanField(default=True)
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="request_event_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request_id}"
