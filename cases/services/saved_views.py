"""Saved queue views: a member of staff keeps the queue's filters, columns and order under
a name, for themselves or (a triage lead or manager) for everyone."""

from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict

from cases.models import SavedQueueView
from cases.services.permissions import StaffAction, may, require_permission
from supportdesk.errors import InvalidInput, NotFound, NotPermitted
from supportdesk.types import AnyUser, User

# The queue's columns a view may choose, in the queue's order (cases.admin.queue.CaseAdmin
# has a method or field of each name). The default is what fits a 1366 px screen.
QUEUE_COLUMNS: dict[str, str] = {
    "summary_column": "Summary",
    "priority": "Priority",
    "impact_column": "Impact · environment",
    "state_column": "State",
    "due_column": "SLA: time left",
    "owner_group_column": "Owner · group",
    "owner_column": "Owner",
    "group_column": "Group",
    "tenant_column": "Customer",
    "plan_column": "Plan",
    "channel_column": "Channel",
    "received_column": "Received",
    "customer_escalation": "Customer escalation",
}
DEFAULT_COLUMNS = [
    "summary_column",
    "priority",
    "impact_column",
    "state_column",
    "due_column",
    "owner_group_column",
    "tenant_column",
    "received_column",
    "customer_escalation",
]
# Parts of the queue's address that are not filters: the page, the admin's error flag,
# the view itself and an explicit column sort (a view has its own order).
_NOT_FILTERS = {"p", "e", "o", "_view", "all"}


def saved_views_for(user: AnyUser) -> QuerySet[SavedQueueView]:
    """The views the user may open: their own and the shared ones; none for non-staff."""
    if not may(user, StaffAction.WORK_CASES):
        return SavedQueueView.objects.none()
    return SavedQueueView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")


def saved_view_for(user: AnyUser, view_id: int | str) -> SavedQueueView:
    view = saved_views_for(user).filter(id=view_id).first() if str(view_id).isdigit() else None
    if view is None:
        raise NotFound("No such saved view.")
    return view


def _clean(
    *, name: str, query: str, columns: list[str], order: str
) -> tuple[str, str, list[str], str]:
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise InvalidInput("Give the view a name of 1 to 80 characters.")
    params = QueryDict(query.lstrip("?"))
    pairs = [
        (key, value)
        for key in sorted(params)
        if key not in _NOT_FILTERS
        for value in params.getlist(key)
    ]
    query = urlencode(pairs)
    if len(query) > 1000:
        raise InvalidInput("These filters are too long to save.")
    unknown = [column for column in columns if column not in QUEUE_COLUMNS]
    if unknown:
        raise InvalidInput(f"No such queue column: {', '.join(unknown)}.")
    if not columns:
        raise InvalidInput("Choose at least one column.")
    # The queue's order of columns, whatever order they were ticked in.
    columns = [column for column in QUEUE_COLUMNS if column in columns]
    if order not in SavedQueueView.Order.values:
        raise InvalidInput("Choose one of the orders offered.")
    return name, query, columns, order


def _require_may_share(actor: User, shared: bool) -> None:
    if shared:
        require_permission(actor, StaffAction.SHARE_QUEUE_VIEWS)


def _save(view: SavedQueueView) -> SavedQueueView:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise InvalidInput(f"You already have a view named “{view.name}”.") from None
    return view


@transaction.atomic
def saved_view_create(
    *,
    actor: User,
    name: str,
    query: str = "",
    columns: list[str] | None = None,
    order: str = SavedQueueView.Order.QUEUE,
    shared: bool = False,
) -> SavedQueueView:
    require_permission(actor, StaffAction.WORK_CASES)
    _require_may_share(actor, shared)
    name, query, chosen, order = _clean(
        name=name, query=query, columns=columns or DEFAULT_COLUMNS, order=order
    )
    return _save(
        SavedQueueView(
            name=name, owner=actor, shared=shared, query=query, columns=chosen, order=order
        )
    )


def _editable(actor: User, view_id: int) -> SavedQueueView:
    """Own views are the owner's to change; shared views anyone's who may share."""
    view = saved_view_for(actor, view_id)
    if view.owner_id != actor.pk and not may(actor, StaffAction.SHARE_QUEUE_VIEWS):
        raise NotPermitted("Only a triage lead or a manager may change a shared view.")
    return SavedQueueView.objects.select_for_update().get(id=view.id)


@transaction.atomic
def saved_view_update(
    *,
    actor: User,
    view_id: int,
    name: str,
    query: str,
    columns: list[str],
    order: str,
    shared: bool,
) -> SavedQueueView:
    view = _editable(actor, view_id)
    if shared != view.shared:
        _require_may_share(actor, True)
    view.name, view.query, view.columns, view.order = _clean(
        name=name, query=query, columns=columns, order=order
    )
    view.shared = shared
    return _save(view)


@transaction.atomic
def saved_view_delete(*, actor: User, view_id: int) -> None:
    _editable(actor, view_id).delete()
