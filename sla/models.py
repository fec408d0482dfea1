from django.core.exceptions import ValidationError
from django.db import models


def default_weekly_hours() -> dict[str, list[list[str]]]:
    weekday = [["09:00", "17:00"]]
    return {"mon": weekday, "tue": weekday, "wed": weekday, "thu": weekday, "fri": weekday}


class Calendar(models.Model):
    """A business calendar as staff edit it; `sla.calendars.to_business_calendar` turns it
    into the pure value the business-time math works on."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    always_open = models.BooleanField(
        default=False, help_text="24×7: every minute counts, holidays ignored."
    )
    weekly_hours = models.JSONField(
        default=default_weekly_hours,
        blank=True,
        help_text='Opening intervals per weekday, e.g. {"mon": [["09:00", "12:00"], '
        '["13:00", "17:00"]]}; a missing day is closed.',
    )
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="ISO country code for the holidays package, e.g. US."
    )
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    custom_holidays = models.JSONField(
        default=list, blank=True, help_text='Extra closed dates, e.g. ["2026-12-24"].'
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from sla.calendars import to_business_calendar

        try:
            to_business_calendar(self)
        except ValueError as error:
            raise ValidationError(str(error)) from error
