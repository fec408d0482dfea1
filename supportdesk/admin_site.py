"""The staff admin site: Django's, with the per-request work no staff page shows left out.

Django's `AdminSite.each_context` builds `available_apps` (every registered model, its
permissions and URLs) on every admin page, for the navigation sidebar; the sidebar is off
(supportdesk/urls.py), so only the staff home reads that list. Here it is built when a
template reads it, not before (bench/profiles/, issue 19).
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

_LAZY_APPS = "_supportdesk_lazy_app_list"


class SupportDeskAdminSite(AdminSite):
    def each_context(self, request: HttpRequest) -> dict:
        setattr(request, _LAZY_APPS, True)
        try:
            return super().each_context(request)
        finally:
            delattr(request, _LAZY_APPS)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list:
        if getattr(request, _LAZY_APPS, False):
            # Built on first use (the staff home's model list), once.
            build = super().get_app_list
            return SimpleLazyObject(lambda: build(request, app_label))  # type: ignore[return-value]
        return super().get_app_list(request, app_label)


class SupportDeskAdminConfig(AdminConfig):
    default_site = "supportdesk.admin_site.SupportDeskAdminSite"
