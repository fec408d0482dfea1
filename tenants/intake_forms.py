"""One form field per intake field, for every face that asks a plan's questions (the
portal's new-case form, the staff close action). Every field parses text only: what an
answer must be is `cases.services.intake`'s to say, so its refusals read the same
everywhere. Form fields are named `custom_fields.<key>`, where the service's errors land."""

from django import forms

from tenants.models import IntakeField


def intake_form_name(field: IntakeField) -> str:
    return f"custom_fields.{field.key}"


def intake_form_field(field: IntakeField) -> forms.Field:
    """Never `required` to Django (the service says so, by name); a required question
    carries the attribute for the page to mark it."""
    label, help_text = field.label, field.help_text
    attrs = {"required": True} if field.required else {}
    options: list[tuple[str, str]] = []
    if field.kind == IntakeField.Kind.CHOICE:
        options = [("", "Choose…"), *((option, option) for option in field.options)]
    elif field.kind == IntakeField.Kind.YES_NO:
        options = [("", "Choose…"), ("yes", "Yes"), ("no", "No")]
    if field.kind in (IntakeField.Kind.CHOICE, IntakeField.Kind.YES_NO):
        return forms.ChoiceField(
            label=label,
            required=False,
            help_text=help_text,
            choices=options,
            widget=forms.Select(attrs=attrs),
        )
    widget: forms.Widget
    if field.kind == IntakeField.Kind.NUMBER:
        widget = forms.NumberInput(attrs={"step": "any", **attrs})
    elif field.kind == IntakeField.Kind.DATE:
        widget = forms.DateInput(attrs={"type": "date", **attrs})
    else:
        widget = forms.TextInput(attrs={"maxlength": 2000, **attrs})
    return forms.CharField(label=label, required=False, help_text=help_text, widget=widget)


def intake_answers(fields: list[IntakeField], data: dict) -> dict[str, object]:
    """The answers typed into the fields' form fields, left-out ones dropped."""
    answers: dict[str, object] = {}
    for field in fields:
        value = data.get(intake_form_name(field), "")
        if value not in ("", None):
            answers[field.key] = value
    return answers
