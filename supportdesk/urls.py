from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "SupportDesk staff"
admin.site.site_title = "SupportDesk"
admin.site.index_title = "Queue and configuration"
# The queue needs the width more than a second menu; the index page lists every model.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("supportdesk.api_urls")),
    path("sso/", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("", include("portal.urls")),
]
