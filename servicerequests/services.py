"""Every change to a service request, one function per verb, one transaction each.

Each locks the request row, checks access and role, runs the django-fsm transition,
writes the timeline event and the emails. The portal, the admin and the API call these.
"""

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django_fsm import can_proceed

from audit.services import audit_bulk_created
from servicerequests import notify
from servicerequests.handlers import handler_for
from servicerequests.models import FulfilmentStep, RequestEvent, ServiceRequest, State
from servicerequests.selectors import request_types_for, requests_for
from sla.business_time import add_business_time
from sla.calendars import to_business_calendar
from sla.targets import Target
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict, VersionConflict
from supportdesk.types import User
from tenants.access import acting_partner_member, is_contact_of, tenants_for
from tenants.models import Tenant
from tenants.roles import Role, has_role, is_support_staff, require_role


def _record(
    request: ServiceRequest,
    actor: User | None,
    kind: str,
    *,
    message: str = "",
    public: bool = True,
    **data: object,
) -> RequestEvent:
    event = RequestEvent.objects.create(
        request=request, actor=actor, kind=kind, message=message[:500], public=public, data=data
    )
    notify.notify_request_event(event)
    return event


def _locked(actor: User, request_id: int) -> ServiceRequest:
    try:
        return (
            requests_for(actor)
            # Only the request row: the environment join is an outer join.
            .select_for_update(of=("self",))
            .select_related("tenant__plan", "request_type", "environment")
            .get(id=request_id)
        )
    except ServiceRequest.DoesNotExist:
        raise NotFound("No such request.") from None


def _check_version(request: ServiceRequest, expected_version: int | None) -> None:
    """The change was based on the version the caller read (None: on whatever is current)."""
    if expected_version is not None and expected_version != request.version:
        raise VersionConflict(
            f"{request.reference} was changed by someone else since you opened it. "
            "Reload it to see the change, then try again."
        )


def _save(request: ServiceRequest, *fields: str) -> None:
    request.version = F("version") + 1
    request.save(update_fields=[*fields, "version", "updated_at"])
    request.refresh_from_db(fields=["version"])


def _respond_by(tenant: Tenant, target: str) -> object:
    calendar = to_business_calendar(tenant.plan.calendar)
    return add_business_time(timezone.now(), Target.parse(target), calendar)


@transaction.atomic
def service_request_submit(
    *, actor: User, tenant_id: int, type_code: str, data: Mapping
) -> ServiceRequest:
    """A tenant's contact (or a partner acting for it) asks for something from the
    catalogue of its plan. The type's rules check the form; a limited type (the monthly
    sandbox refresh) is refused while its period is taken."""
    tenant = tenants_for(actor).select_related("plan__calendar").filter(id=tenant_id).first()
    if tenant is None:
        raise NotFound("No such customer.")
    if is_support_staff(actor):
        raise NotPermitted("Requests are made by the customer's contacts in the portal.")
    request_type = request_types_for(tenant).filter(code=type_code).first()
    if request_type is None:
        raise NotFound("Your plan does not offer this request.")
    handler = handler_for(type_code)
    form = handler.form(tenant=tenant, data=data)
    if not form.is_valid():
        raise InvalidInput(
            "Please correct the request.",
            field_errors={
                field: [str(error) for error in errors] for field, errors in form.errors.items()
            },
        )
    environment = form.cleaned_data["environment"]
    details = handler.validate(tenant=tenant, cleaned=form.cleaned_data, environment=environment)
    limit = handler.limit(tenant=tenant, details=details, environment=environment)

    # The tenant row lock numbers requests one after another and makes a second
    # submission for a limited period wait for the first, then see it.
    Tenant.objects.select_for_update().filter(id=tenant.id).first()
    if limit is not None:
        taken = ServiceRequest.objects.filter(limit_key=limit.key).exclude(state=State.REJECTED)
        if taken.exists():
            raise InvalidInput(limit.refusal, field_errors={"__all__": [limit.refusal]})
    last = ServiceRequest.objects.filter(tenant=tenant).aggregate(last=Max("number"))["last"]
    number = (last or 0) + 1
    membership = (
        None if is_contact_of(actor, tenant.id) else acting_partner_member(actor, tenant.id)
    )
    try:
        with transaction.atomic():
            request = ServiceRequest.objects.create(
                tenant=tenant,
                number=number,
                reference=f"{tenant.reference_prefix}-R{number:05d}",
                request_type=request_type,
                environment=environment,
                summary=handler.summary(details=details, environment=environment)[:200],
                details=details,
                requested_by=actor,
                partner=membership.partner if membership else None,
                limit_key=limit.key if limit else "",
                respond_by=(
                    _respond_by(tenant, request_type.response_target)
                    if request_type.sla_applies
                    else None
                ),
            )
    except IntegrityError:
        # Only the unique limit can collide here, the tenant lock orders the rest.
        raise InvalidInput(limit.refusal if limit else "Please submit the request again.") from None
    audit_bulk_created(
        FulfilmentStep.objects.bulk_create(
            FulfilmentStep(
                request=request, position=position, code=s.code, title=s.title, role=s.role
            )
            for position, s in enumerate(handler.steps, start=1)
        )
    )
    _record(request, actor, RequestEvent.Kind.SUBMITTED, message=request.summary)
    return request


@transaction.atomic
def service_request_start(
    *,
    actor: User,
    request_id: int,
    owner: User | None = None,
    expected_version: int | None = None,
) -> ServiceRequest:
    """Staff take the request on (it is theirs, or the owner's they name)."""
    require_role(actor)
    request = _locked(actor, request_id)
    _check_version(request, expected_version)
    if not can_proceed(request.start):
        raise StateConflict(f"{request.reference} is {request.get_state_display().lower()}.")
    owner = owner or actor
    if not has_role(owner, Role.ENGINEER):
        raise InvalidInput("Requests are fulfilled by support staff.")
    if owner != actor and not has_role(actor, Role.TRIAGE_LEAD):
        raise NotPermitted("Only a triage lead may hand a request to someone else.")
    request.start()
    request.owner = owner
    request.responded_at = request.responded_at or timezone.now()
    _save(request, "state", "owner", "responded_at")
    _record(
        request,
        actor,
        RequestEvent.Kind.STARTED,
        message=f"In fulfilment with {owner.get_full_name() or owner.get_username()}",
    )
    return request


@transaction.atomic
def service_request_step_done(
    *,
    actor: User,
    request_id: int,
    step_code: str,
    note: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """Mark the next fulfilment step done, by staff of the step's role. Steps go in
    order; when the last is done the request is done and its changes take effect."""
    if not is_support_staff(actor):
        raise NotPermitted("Fulfilment steps are done by support staff.")
    request = _locked(actor, request_id)
    _check_version(request, expected_version)
    if request.state != State.IN_FULFILMENT:
        raise StateConflict(
            f"{request.reference} is {request.get_state_display().lower()}; "
            "steps are done while it is in fulfilment."
        )
    steps = list(request.steps.select_for_update().order_by("position"))
    step = next((s for s in steps if s.code == step_code), None)
    if step is None:
        raise NotFound("No such step on this request.")
    if step.is_done:
        raise StateConflict(f"“{step.title}” is already done.")
    pending = next(s for s in steps if not s.is_done)
    if pending != step:
        raise StateConflict(f"Do “{pending.title}” first.")
    if not has_role(actor, Role(step.role)):
        raise NotPermitted(f"“{step.title}” is done by {Role(step.role).value} staff.")
    handler = handler_for(request.request_type.code)
    step.done_at = timezone.now()
    step.done_by = actor
    step.note = (note or "").strip()
    step.save(update_fields=["done_at", "done_by", "note"])
    handler.on_step_done(request=request, step=step, actor=actor)
    _record(
        request,
        actor,
        RequestEvent.Kind.STEP_DONE,
        message=step.title + (f": {step.note}" if step.note else ""),
        step=step.code,
        role=step.role,
    )
    if all(s.is_done for s in steps):
        request.complete()
        request.closed_at = timezone.now()
        _save(request, "state", "closed_at")
        handler.on_done(request=request, actor=actor)
        _record(request, actor, RequestEvent.Kind.DONE, message="Done")
    else:
        _save(request)
    return request


@transaction.atomic
def service_request_reject(
    *, actor: User, request_id: int, reason: str, expected_version: int | None = None
) -> ServiceRequest:
    """Staff turn a request down, telling the customer why."""
    require_role(actor)
    reason = (reason or "").strip()
    if not reason:
        message = "Tell the customer why the request is rejected."
        raise InvalidInput(message, field_errors={"reason": [message]})
    request = _locked(actor, request_id)
    _check_version(request, expected_version)
    if not can_proceed(request.reject):
        raise StateConflict(f"{request.reference} is {request.get_state_display().lower()}.")
    request.reject()
    request.rejection_reason = reason
    request.closed_at = timezone.now()
    request.responded_at = request.responded_at or request.closed_at
    _save(request, "state", "rejection_reason", "closed_at", "responded_at")
    _record(request, actor, RequestEvent.Kind.REJECTED, message=reason, reason=reason)
    return request
