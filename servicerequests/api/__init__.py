"""The service-request part of the REST API (mounted under /api/v1/ by
`supportdesk.api_urls`)."""

from django.urls import path

from servicerequests.api import views
from supportdesk.api import converters  # noqa: F401  (registers the URL converters)

urlpatterns = [
    path("request-types/", views.RequestTypeList.as_view(), name="request-types"),
    path("requests/", views.RequestList.as_view(), name="requests"),
    path("requests/<reference:reference>/", views.RequestDetail.as_view(), name="request"),
    path(
        "requests/<reference:reference>/events/",
        views.RequestEvents.as_view(),
        name="request-events",
    ),
    path(
        "requests/<reference:reference>/authorization/",
        views.RequestAuthorization.as_view(),
        name="request-authorization",
    ),
    path(
        "requests/<reference:reference>/start/", views.RequestStart.as_view(), name="request-start"
    ),
    path(
        "requests/<reference:reference>/steps/<code:step>/done/",
        views.RequestStepDone.as_view(),
        name="request-step-done",
    ),
    path(
        "requests/<reference:reference>/reject/",
        views.RequestReject.as_view(),
        name="request-reject",
    ),
]
