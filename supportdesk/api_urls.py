"""The REST API, version 1: each app's `api.py` brings its endpoints; the schema and its
browsable documentation are served beside them."""

from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from supportdesk.api.errors import not_found

app_name = "api"

urlpatterns = [
    path("", include("tenants.api")),
    path("", include("cases.api")),
    path("", include("knowledge.api")),
    path("", include("notifications.api")),
    path("", include("servicerequests.api")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's script is served from this origin (the split view), but it styles
    # its widgets inline: the one page whose policy allows inline styles. Our copy of
    # its template declares the page's language (templates/api/docs.html).
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema", template_name="api/docs.html"
            )
        ),
        name="docs",
    ),
    re_path(r"", not_found),
]
