"""The plan editor's form pieces: an SLA target edited as a number and a unit, with its
meaning shown, and the plan's categories as checkboxes. They split and join; whether a
target or a choice of categories is valid is for `tenants.services` to say."""

import json
from typing import Any

from django import forms
from django.forms import ModelForm

from sla.targets import Target
from supportdesk.admin_actions import add_service_errors
from supportdesk.errors import InvalidInput
from tenants import services
from tenants.models import Category, EnvironmentKind, PlanPriority, SupportPlan

# The units of the compact form (`sla.targets`); the last two take no number.
UNITS = [
    ("", "no target"),
    ("m", "minutes"),
    ("h", "hours"),
    ("bm", "business minutes"),
    ("bh", "business hours"),
    ("bd", "business days"),
    ("nbd", "next business day"),
    ("immediate", "immediately"),
]
NO_AMOUNT = {"nbd", "immediate"}


def split_target(code: str) -> tuple[int | None, str]:
    """ "4bh" -> (4, "bh"); "nbd" -> (None, "nbd"); "" -> (None, "")."""
    if not code:
        return None, ""
    target = Target.parse(code)
    compact = target.code
    if compact in NO_AMOUNT:
        return None, compact
    number = compact.rstrip("bmhd")
    return int(number), compact[len(number) :]


def join_target(number: int | None, unit: str) -> str:
    """The compact form of a number and a unit, unchecked: `services.clean_target`
    judges it. A unit that takes no number ignores the one typed."""
    if unit in NO_AMOUNT:
        return unit
    return f"{'' if number is None else number}{unit}"


def unit_meanings(calendar: str) -> dict[str, dict[str, str] | str]:
    """What each unit means for one and for {n}, worded by `Target.meaning`, for the
    page's script (static/staff/plan_editor.js) to show while a number is typed."""
    meanings: dict[str, dict[str, str] | str] = {
        "none": "no target",
        "missing_unit": "choose a unit",
        "bad_number": "write a whole number of 1 or more",
    }
    for unit, _label in UNITS[1:]:
        if unit in NO_AMOUNT:
            meanings[unit] = {"one": Target.parse(unit).meaning(calendar)}
        else:
            many = Target.parse(f"2{unit}").meaning(calendar)
            meanings[unit] = {
                "one": Target.parse(f"1{unit}").meaning(calendar),
                "many": many.replace("2 ", "{n} ", 1),
            }
    return meanings


class TargetWidget(forms.MultiWidget):
    template_name = "tenants/widgets/target.html"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            [
                forms.NumberInput(attrs={"min": 1, "class": "sd-target-number"}),
                forms.Select(choices=UNITS, attrs={"class": "sd-target-unit"}),
            ],
            attrs,
        )
        self.calendar = "the plan's calendar"
        self.label = ""

    def decompress(self, value: str | None) -> list:
        try:
            return list(split_target(value or ""))
        except ValueError:
            return [None, ""]

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        number, unit = self.subwidgets_values(value)
        # Each part is labelled for screen readers; the field's label names the number.
        subwidgets = context["widget"]["subwidgets"]
        subwidgets[0]["attrs"]["aria-label"] = f"{self.label}: number"
        subwidgets[1]["attrs"]["aria-label"] = f"{self.label}: unit"
        meaning = "no target"
        if unit:
            try:
                meaning = Target.parse(join_target(number, unit)).meaning(self.calendar)
            except ValueError:
                meaning = ""
        context["widget"]["meaning"] = meaning
        context["widget"]["meanings"] = json.dumps(unit_meanings(self.calendar))
        return context

    def subwidgets_values(self, value: Any) -> tuple[int | None, str]:
        number, unit = value if isinstance(value, list | tuple) else self.decompress(value)
        try:
            return (int(number) if number not in (None, "") else None), unit or ""
        except (TypeError, ValueError):
            return None, unit or ""


class TargetField(forms.MultiValueField):
    widget = TargetWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(
            fields=[
                forms.IntegerField(required=False),
                forms.ChoiceField(choices=UNITS, required=False),
            ],
            require_all_fields=False,
            **kwargs,
        )

    def compress(self, data_list: list) -> str:
        if not data_list:
            return ""
        number, unit = data_list
        if number is None and not unit:
            return ""
        return join_target(number, unit or "")


TARGET_FIELDS = ["initial_response", "off_hours_initial_response", "update_interval", "resolution"]


class PlanPriorityForm(ModelForm):
    environments_allowed = forms.TypedMultipleChoiceField(
        choices=EnvironmentKind.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any environment.",
    )
    initial_response = TargetField()
    off_hours_initial_response = TargetField(
        label="Off-hours initial response",
        help_text="For a case received outside business hours; none: the same as in hours.",
    )
    update_interval = TargetField()
    resolution = TargetField()

    class Meta:
        model = PlanPriority
        fields = [
            "code",
            "name",
            "rank",
            "definition",
            "calendar",
            *TARGET_FIELDS,
            "channel_rule",
            "environments_allowed",
        ]
        widgets = {"definition": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        calendar = self.instance.calendar if self.instance.calendar_id else None
        if calendar is not None:
            where = f"the priority's calendar ({calendar})"
        elif self.instance.plan_id:
            where = f"the plan's calendar ({self.instance.plan.calendar})"
        else:
            where = "the plan's calendar"
        for name in TARGET_FIELDS:
            field = self.fields[name]
            field.widget.calendar = where
            field.widget.label = str(field.label or name.replace("_", " ").capitalize())

    def _clean_target(self, name: str) -> str:
        try:
            return services.clean_target(self.cleaned_data.get(name) or "", name)
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from None

    def clean_initial_response(self) -> str:
        return self._clean_target("initial_response")

    def clean_off_hours_initial_response(self) -> str:
        return self._clean_target("off_hours_initial_response")

    def clean_update_interval(self) -> str:
        return self._clean_target("update_interval")

    def clean_resolution(self) -> str:
        return self._clean_target("resolution")


class SupportPlanForm(ModelForm):
    """The plan's own fields, and its categories as two sets of checkboxes that
    `services.plan_categories_set` saves (the admin calls it after the plan is saved)."""

    categories_offered = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The categories a customer may choose when filing a case.",
    )
    categories_with_sla = forms.MultipleChoiceField(
        label="SLA targets apply to",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Offered categories whose cases carry the response and update targets "
        "(usually not questions and requests).",
    )

    class Meta:
        model = SupportPlan
        fields = [
            "name",
            "description",
            "calendar",
            "max_portal_contacts",
            "recommended_min_contacts",
            "contact_notice_business_days",
            "partners_count_toward_limit",
            "partners_need_certification",
            "queue_precedence",
            "follow_up_after_days",
            "auto_close_after_days",
            "solution_reminder_days",
            "solution_auto_close_days",
            "reopen_window_days",
            "case_files_quota_mb",
            "tenant_files_quota_mb",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = list(Category.objects.filter(is_active=True).values_list("code", "name"))
        for name in ("categories_offered", "categories_with_sla"):
            self.fields[name].choices = choices  # type: ignore[attr-defined]
        if self.instance.pk:
            rows = list(
                self.instance.plan_categories.filter(category__is_active=True).values_list(
                    "category__code", "sla_applies"
                )
            )
            self.initial.setdefault("categories_offered", [code for code, _sla in rows])
            self.initial.setdefault("categories_with_sla", [code for code, sla in rows if sla])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            services.plan_categories_check(
                offered=data.get("categories_offered") or [],
                with_sla=data.get("categories_with_sla") or [],
            )
        except InvalidInput as error:
            add_service_errors(self, error)
        return data

    def save_categories(self, actor: Any) -> None:
        """After the plan is saved (`clean` has checked the choice with the service)."""
        services.plan_categories_set(
            actor=actor,
            plan_id=self.instance.id,
            offered=self.cleaned_data.get("categories_offered") or [],
            with_sla=self.cleaned_data.get("categories_with_sla") or [],
        )

    def categories_changed(self) -> bool:
        return bool({"categories_offered", "categories_with_sla"} & set(self.changed_data))


__all__ = [
    "PlanPriorityForm",
    "SupportPlanForm",
    "TargetField",
    "TargetWidget",
    "join_target",
    "split_target",
]
