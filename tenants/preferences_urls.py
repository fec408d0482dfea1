"""The staff desk's "My preferences" page, under /admin/preferences/ (supportdesk/urls.py)."""

from django.contrib import admin
from django.urls import path

from tenants.preferences_admin import staff_preferences

urlpatterns = [
    path("", admin.site.admin_view(staff_preferences), name="staff_preferences"),
    path("<int:user_id>/", admin.site.admin_view(staff_preferences), name="staff_preferences_of"),
]
