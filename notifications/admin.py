from django.contrib import admin

from notifications.models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "starts_at", "ends_at", "published"]
    list_filter = ["kind", "published"]
    search_fields = ["title", "body"]
    date_hierarchy = "starts_at"
