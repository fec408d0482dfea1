"""Following a known issue from its portal page, and the signed-in user's email
preferences: which kinds of email they get, the mandatory ones shown with the reason."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from knowledge.services import known_issue_follow, known_issue_unfollow
from notifications.events import Audience
from notifications.preferences import email_preferences_of
from notifications.services import notification_preferences_set
from portal.context import PortalRequest, portal_page
from portal.errors import apply_service_error
from supportdesk.errors import ServiceError


def _back_to_issue(issue_id: int) -> HttpResponse:
    return redirect("portal:known_issue", issue_id=issue_id)


@require_POST
@portal_page
def known_issue_follow_view(request: PortalRequest, issue_id: int) -> HttpResponse:
    try:
        follower = known_issue_follow(known_issue_id=issue_id, user=request.user)
    except ServiceError as error:
        apply_service_error(request, error)
        return _back_to_issue(issue_id)
    messages.success(
        request,
        f"You follow {follower.known_issue}. We will email you at {request.user.email} "
        "when it moves on or is resolved.",
    )
    return _back_to_issue(issue_id)


@require_POST
@portal_page
def known_issue_unfollow_view(request: PortalRequest, issue_id: int) -> HttpResponse:
    try:
        issue = known_issue_unfollow(known_issue_id=issue_id, user=request.user)
    except ServiceError as error:
        apply_service_error(request, error)
        return _back_to_issue(issue_id)
    messages.success(request, f"You no longer follow {issue}.")
    return _back_to_issue(issue_id)


@require_http_methods(["GET", "POST"])
@portal_page
def email_preferences(request: PortalRequest) -> HttpResponse:
    preferences = email_preferences_of(request.user, Audience.CUSTOMER)
    status = 200
    if request.method == "POST":
        chosen = set(request.POST.getlist("kinds"))
        # Only the optional kinds are sent as choices: a mandatory one stays on whatever
        # the browser sent, and the service would refuse turning it off.
        choices = {p.kind.name: p.kind.name in chosen for p in preferences if p.kind.optional}
        try:
            notification_preferences_set(user=request.user, choices=choices)
        except ServiceError as error:
            status = apply_service_error(request, error)
        else:
            messages.success(request, "Your email preferences are saved.")
            return redirect("portal:email_preferences")
    context = {
        "optional": [p for p in preferences if p.kind.optional],
        "mandatory": [p for p in preferences if not p.kind.optional],
    }
    return render(request, "portal/email_preferences.html", context, status=status)
