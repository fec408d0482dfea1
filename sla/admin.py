from django.contrib import admin

from sla.models import Calendar


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country", "holiday_subdivision"]
    search_fields = ["name"]
