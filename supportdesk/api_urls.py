"""The REST API, version 1: each app's `api.py` brings its endpoints; the schema and its
browsable documentation are served beside them."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from supportdesk.api.errors import not_found

app_name = "api"

urlpatterns = [
    path("", include("tenants.api")),
    path("", include("cases.api")),
    path("", include("knowledge.api")),
    path("", include("notifications.api")),
    path("", include("servicerequests.api")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"", not_found),
]
