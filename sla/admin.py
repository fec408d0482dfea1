# The admin layer sits above cases (DESIGN: admin -> cases -> sla): editing a calendar
# recomputes the due times of the open cases that count on it. sla's other modules
# never import cases.
from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from cases.services.clocks import clocks_recompute_for_calendar
from sla.models import Calendar
from supportdesk.admin_messages import report_recompute


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country", "holiday_subdivision"]
    search_fields = ["name"]

    def save_model(
        self, request: HttpRequest, obj: Calendar, form: ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change:
            report_recompute(self, request, clocks_recompute_for_calendar(calendar_id=obj.id))
