"""The cases part of the REST API (mounted under /api/v1/ by `supportdesk.api_urls`)."""

from django.urls import path

from cases.api import trackers, views
from supportdesk.api import converters  # noqa: F401  (registers the URL converters)

urlpatterns = [
    path("tracker-events/<slug:tracker>/", trackers.tracker_events, name="tracker-events"),
    path("cases/", views.CaseList.as_view(), name="cases"),
    path("case-owners/", views.CaseOwners.as_view(), name="case-owners"),
    path("cases/<reference:reference>/", views.CaseDetail.as_view(), name="case"),
    path("cases/<reference:reference>/sla/", views.CaseSla.as_view(), name="case-sla"),
    path(
        "cases/<reference:reference>/comments/",
        views.CaseComments.as_view(),
        name="case-comments",
    ),
    path("cases/<reference:reference>/events/", views.CaseEvents.as_view(), name="case-events"),
    path(
        "cases/<reference:reference>/attachments/",
        views.CaseAttachments.as_view(),
        name="case-attachments",
    ),
    path(
        "cases/<reference:reference>/watchers/",
        views.CaseWatchers.as_view(),
        name="case-watchers",
    ),
    path(
        "cases/<reference:reference>/watchers/<api_id:watcher_id>/",
        views.CaseWatcher.as_view(),
        name="case-watcher",
    ),
    *[
        path(f"cases/<reference:reference>/{name}/", view.as_view(), name=f"case-{name}")
        for name, view in views.ACTIONS.items()
    ],
    path(
        "attachments/<api_id:attachment_id>/",
        views.AttachmentContent.as_view(),
        name="attachment-content",
    ),
]
