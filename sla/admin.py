from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from sla.models import Calendar
from sla.services import calendar_reapply
from supportdesk.admin_messages import report_reapplied


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country", "holiday_subdivision"]
    search_fields = ["name"]

    def save_model(
        self, request: HttpRequest, obj: Calendar, form: ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change:
            report_reapplied(self, request, calendar_reapply(calendar_id=obj.id))
