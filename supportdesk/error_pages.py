"""The 403 and 404 pages (`handler403`, `handler404`): staff under /admin/ get them in the
admin's layout, saying which role a refused page needs where that is known, with a link
back to their home; everyone else gets the portal's pages (Django's own views render
templates/403.html and 404.html)."""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.views import defaults

# The admin's own URL names end in the view; the permission each one asks for.
_VIEW_PERMISSION = {
    "changelist": "view",
    "change": "view",
    "history": "view",
    "add": "add",
    "delete": "delete",
}


def _in_admin_as_staff(request: HttpRequest) -> bool:
    # A refusal raised before the authentication middleware ran has no user yet.
    return (
        request.path_info.startswith(reverse("admin:index"))
        and hasattr(request, "user")
        and admin.site.has_permission(request)
    )


def _roles_for_model_page(request: HttpRequest) -> list[str]:
    """The staff roles (auth groups) holding the permission a refused model page asks
    for, e.g. "Support manager" for a plan's add page; empty when the page is not one of
    a registered model's."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return []
    app_label, _, rest = (match.url_name or "").partition("_")
    model_name, _, view = rest.rpartition("_")
    verb = _VIEW_PERMISSION.get(view)
    if match.namespace != admin.site.name or not (app_label and model_name and verb):
        return []
    try:
        model = apps.get_model(app_label, model_name)
        admin.site.get_model_admin(model)
    except (LookupError, NotRegistered):
        return []
    codenames = [f"{verb}_{model_name}"]
    if verb == "view":
        codenames.append(f"change_{model_name}")  # change implies view in the admin
    return list(
        Group.objects.filter(
            permissions__content_type__app_label=app_label,
            permissions__codename__in=codenames,
        )
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _in_admin_as_staff(request):
        return defaults.permission_denied(request, exception)
    # A refusal raised by the desk names the role (`cases.services.permissions.refusal`);
    # Django's own refusals say nothing, and the roles are read from the permission.
    reason = str(exception) if exception and exception.args else ""
    context = {
        **admin.site.each_context(request),
        "title": "Not allowed for your role",
        "reason": reason,
        "roles": [] if reason else _roles_for_model_page(request),
    }
    return render(request, "admin/403.html", context, status=403)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _in_admin_as_staff(request):
        return defaults.page_not_found(request, exception)
    context = {**admin.site.each_context(request), "title": "Not found"}
    return render(request, "admin/404.html", context, status=404)
