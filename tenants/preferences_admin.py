"""The staff desk's "My preferences" page (/admin/preferences/): a staff user picks the time
zone their pages show times in; a support manager also sees everyone's and may change
them (/admin/preferences/<user id>/). The page only parses the form and calls the service."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from supportdesk.admin_actions import add_service_errors
from supportdesk.errors import ServiceError
from supportdesk.types import signed_in_request
from tenants.roles import Role, has_role, is_support_staff
from tenants.services import staff_time_zone_set
from tenants.staff_preferences import staff_time_zone_of, staff_time_zones, time_zone_names


def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in time_zone_names()]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=_zone_choices,
        help_text="Staff pages show every time in this zone, labelled with its abbreviation; "
        "SLA times also show the customer's local time beside it.",
    )


def preferences_url(user_id: int | None = None) -> str:
    if user_id is None:
        return reverse("staff_preferences")
    return reverse("staff_preferences_of", args=[user_id])


def staff_preferences(request: HttpRequest, user_id: int | None = None) -> HttpResponse:
    """Whose preferences: the signed-in user's own, or (a support manager) another staff
    member's. Customers and staff accounts without a role have no staff pages: 403."""
    actor = signed_in_request(request).user
    if not is_support_staff(actor):
        raise PermissionDenied
    manager = has_role(actor, Role.MANAGER)
    if user_id is None or user_id == actor.pk:
        target = actor
    elif not manager:
        raise PermissionDenied
    else:
        found = get_user_model().objects.filter(pk=user_id).first()
        if found is None or not is_support_staff(found):
            raise Http404("No such staff member.")
        target = found
    current = staff_time_zone_of(target)
    form = TimeZoneForm(request.POST or None, initial={"time_zone": current})
    if request.method == "POST" and form.is_valid():
        try:
            staff_time_zone_set(
                actor=actor, user_id=target.pk, time_zone=form.cleaned_data["time_zone"]
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Times now show in {form.cleaned_data['time_zone']}"
                + ("." if target == actor else f" for {target.get_username()}."),
            )
            return HttpResponseRedirect(request.path)
    context = {
        **admin.site.each_context(request),
        "title": "My preferences"
        if target == actor
        else f"Preferences of {target.get_full_name() or target.get_username()}",
        "form": form,
        "target": target,
        "own": target == actor,
        "current": current,
        "staff_zones": [
            (user, zone, preferences_url(user.pk)) for user, zone in staff_time_zones(actor)
        ]
        if manager
        else [],
    }
    return TemplateResponse(request, "admin/preferences.html", context)
