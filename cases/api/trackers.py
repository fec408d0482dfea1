"""The receiver of development trackers' webhooks: POST /api/v1/tracker-events/<tracker>/.

Each tracker proves the request is its own with the shared secret configured for it
(TRACKER_WEBHOOK_SECRETS; `knowledge.trackers.tracker_request_authentic`, constant-time):
a wrong or missing one is refused with 401 and changes nothing, a tracker without a
secret has no receiver (404). An issue's new status moves the known issues linked to it
(`cases.services.known_issue_tracker_status`), whose cases' customers are told.
Not a DRF view: no session, token or CSRF applies, only the tracker's secret.
"""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cases.services import known_issue_tracker_status
from knowledge.trackers import (
    TrackerKind,
    tracker_request_authentic,
    tracker_secret,
    tracker_status_change,
)


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


@csrf_exempt
@require_POST
def tracker_events(request: HttpRequest, tracker: str) -> JsonResponse:
    if tracker not in TrackerKind.values or not tracker_secret(tracker):
        return _error(404, "not_found", "No receiver for this tracker.")
    body = request.body
    if not tracker_request_authentic(tracker, body, request.headers, request.GET):
        response = _error(401, "not_authenticated", "The tracker's shared secret is wrong.")
        if tracker == TrackerKind.AZURE:
            response["WWW-Authenticate"] = 'Basic realm="tracker-events"'
        return response
    try:
        payload = json.loads(body)
    except ValueError:
        return _error(400, "invalid", "The body is not JSON.")
    change = (
        tracker_status_change(tracker, payload, request.headers)
        if isinstance(payload, dict)
        else None
    )
    if change is None:
        return JsonResponse({"moved": [], "detail": "Not a status change; ignored."}, status=202)
    moved = known_issue_tracker_status(kind=tracker, key=change.key, status=change.status)
    return JsonResponse(
        {"key": change.key, "status": change.status, "moved": [issue.id for issue in moved]}
    )
