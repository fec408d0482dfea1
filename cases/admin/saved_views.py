"""The queue's saved views: the picker shown above the queue, and the two posts that save
and delete a view. The rules (who may share, which columns exist) are in
`cases.services.saved_views`."""

from collections.abc import Iterable

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import reverse

from cases import services
from cases.models import SavedQueueView
from cases.services import QUEUE_COLUMNS, StaffAction, may
from supportdesk.admin_paging import PAGING_PARAMS
from supportdesk.errors import NotFound, ServiceError
from supportdesk.types import signed_in

VIEW_PARAM = "_view"

# How each saved order sorts the queue (the id keeps pages from overlapping).
ORDERINGS: dict[str, tuple[str, ...]] = {
    SavedQueueView.Order.TIME_LEFT: ("next_due_at", "id"),
    SavedQueueView.Order.NEWEST: ("-created_at", "-id"),
    SavedQueueView.Order.OLDEST: ("created_at", "id"),
}


class QueueChangeList(ChangeList):
    """The admin's change list, told that the open view's id is not a filter (it would
    otherwise refuse the parameter); its links keep the id, so filtering further stays in
    the view's columns and order. Nor are the page's cursor and jump
    (`supportdesk.admin_paging.PAGING_PARAMS`)."""

    def get_filters_params(self, params: dict | None = None) -> dict:
        lookup_params = super().get_filters_params(params)
        for name in (VIEW_PARAM, *PAGING_PARAMS):
            lookup_params.pop(name, None)
        return lookup_params

    def get_query_string(
        self, new_params: dict | None = None, remove: Iterable[str] | None = None
    ) -> str:
        """Links to another filter or sort start at its first page, as the admin drops its
        page number: a cursor or a jump is a place in the list as it is now."""
        keyset = [name for name in PAGING_PARAMS if name != "p"]
        return super().get_query_string(new_params, [*(remove or []), *keyset])


def open_view(request: HttpRequest) -> SavedQueueView | None:
    """The saved view named in the address, once per request; 404 when it is not one the
    user may open."""
    if not hasattr(request, "_saved_queue_view"):
        view_id = request.GET.get(VIEW_PARAM, "")
        try:
            view = services.saved_view_for(request.user, view_id) if view_id else None
        except NotFound:
            raise Http404("No such saved view.") from None
        request._saved_queue_view = view  # type: ignore[attr-defined]
    return request._saved_queue_view  # type: ignore[attr-defined]


def view_url(view: SavedQueueView) -> str:
    query = f"{view.query}&" if view.query else ""
    return f"{reverse('admin:cases_case_changelist')}?{query}{VIEW_PARAM}={view.id}"


def picker_context(request: HttpRequest, columns: list[str]) -> dict:
    """What the queue's template needs for the picker and the save form."""
    user = request.user
    if not may(user, StaffAction.WORK_CASES):
        return {}
    views = list(services.saved_views_for(user))
    current = open_view(request)
    filters = request.GET.copy()
    for name in ("e", VIEW_PARAM, *PAGING_PARAMS):
        filters.pop(name, None)
    return {
        "my_views": [(view, view_url(view)) for view in views if view.owner_id == user.pk],
        "shared_views": [(view, view_url(view)) for view in views if view.shared],
        "current_view": current,
        "view_columns": [(name, label, name in columns) for name, label in QUEUE_COLUMNS.items()],
        "view_orders": SavedQueueView.Order.choices,
        "view_query": filters.urlencode(),
        "may_share_views": may(user, StaffAction.SHARE_QUEUE_VIEWS),
        "may_edit_view": current is not None
        and (current.owner_id == user.pk or may(user, StaffAction.SHARE_QUEUE_VIEWS)),
        "save_view_url": reverse("admin:cases_case_save_view"),
    }


def save_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Save the queue as it is shown as a new view, or (with `view`) over an existing one."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not may(request.user, StaffAction.WORK_CASES):
        raise PermissionDenied
    data = request.POST
    name, query, columns = data.get("name", ""), data.get("query", ""), data.getlist("columns")
    order, shared = data.get("order", SavedQueueView.Order.QUEUE), data.get("shared") == "on"
    back = reverse("admin:cases_case_changelist")
    try:
        view_id = data.get("view", "")
        delete_id = data.get("delete", "")
        if delete_id.isdigit():
            services.saved_view_delete(actor=signed_in(request), view_id=int(delete_id))
            messages.success(request, "View deleted.")
            return HttpResponseRedirect(back)
        if view_id.isdigit():
            view = services.saved_view_update(
                actor=signed_in(request),
                view_id=int(view_id),
                name=name,
                query=query,
                columns=columns,
                order=order,
                shared=shared,
            )
        else:
            view = services.saved_view_create(
                actor=signed_in(request),
                name=name,
                query=query,
                columns=columns,
                order=order,
                shared=shared,
            )
    except ServiceError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(f"{back}?{query}" if query else back)
    messages.success(request, f"Saved the view “{view.name}”.")
    return HttpResponseRedirect(view_url(view))
