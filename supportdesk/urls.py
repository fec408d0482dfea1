from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from supportdesk.accounts import admin_sign_in
from supportdesk.admin_home import staff_home

admin.site.site_header = "SupportDesk staff"
admin.site.site_title = "SupportDesk"
admin.site.index_title = "Queue and configuration"
# The queue needs the width more than a second menu; the index page lists every model.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    # Before the admin's own login form, which would skip the second step of sign-in.
    path("admin/login/", admin_sign_in),
    # A staff user's own preferences (their time zone); before the admin's catch-all.
    path("admin/preferences/", include("tenants.preferences_urls")),
    # The admin's index is the staff home: what waits for this user, then every model.
    path("admin/", admin.site.admin_view(staff_home), name="staff_home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("supportdesk.account_urls")),
    path("api/v1/", include("supportdesk.api_urls")),
    # Browsers ask for /favicon.ico where a page names no icon (the API's, a file's).
    # Resolved per request: in production the name carries the manifest's hash.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"))),
    path("", include("portal.urls")),
]

# Under /admin/, staff get refusals and missing pages in the admin's own layout.
handler403 = "supportdesk.error_pages.forbidden"
handler404 = "supportdesk.error_pages.not_found"
