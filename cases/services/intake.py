"""The plan's own questions: intake fields asked when a case is filed, closure fields
asked when staff close it (`tenants.IntakeField`). One home for what a field accepts, used
by `case_create` (portal, API, email, staff) and `case_close`.

Answers are stored typed on `Case.custom_fields` by key: text and choice as a string,
number as an int or float, date as an ISO date string, yes/no as a bool. A value may come
typed (the API's JSON) or as text (a form, a line of mail): "3", "2026-05-01", "yes".
"""

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from supportdesk.errors import InvalidInput
from tenants.models import IntakeField, SupportPlan

Value = str | int | float | bool

_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}
MAX_TEXT = 2000


def intake_fields_for(plan: SupportPlan, category: str, stage: str) -> list[IntakeField]:
    """The plan's active fields of `stage` that apply to `category` (those asked for
    every category included), in the plan's order."""
    return [
        field
        for field in plan.intake_fields.filter(is_active=True, stage=stage).select_related(
            "category"
        )
        if field.category is None or field.category.code == category
    ]


def _number(text: str) -> int | float:
    cleaned = text.strip().replace(",", "")
    if re.fullmatch(r"[-+]?\d+", cleaned):
        return int(cleaned)
    number = float(cleaned)  # ValueError for words
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def intake_value(field: IntakeField, raw: object) -> Value | None:
    """The typed answer to one field, None when it is left empty; ValueError (with the
    message to show) when the answer does not fit the field."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = field.kind
    if kind == IntakeField.Kind.YES_NO:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _YES | _NO:
            return raw.strip().lower() in _YES
        raise ValueError("Answer yes or no.")
    if kind == IntakeField.Kind.NUMBER:
        if isinstance(raw, bool):
            raise ValueError("Give a number.")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and math.isfinite(raw):
            return raw
        if isinstance(raw, str):
            try:
                return _number(raw)
            except ValueError:
                pass
        raise ValueError("Give a number.")
    if not isinstance(raw, str):
        raise ValueError("Give the answer as text.")
    text = raw.strip()
    if kind == IntakeField.Kind.DATE:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("Give a date as YYYY-MM-DD.") from None
    if kind == IntakeField.Kind.CHOICE:
        options = {option.lower(): option for option in field.options}
        if text.lower() not in options:
            raise ValueError(f"Choose one of: {', '.join(field.options)}.")
        return options[text.lower()]
    if len(text) > MAX_TEXT:
        raise ValueError(f"Keep this under {MAX_TEXT} characters.")
    return text


def intake_clean(
    *,
    plan: SupportPlan,
    category: str,
    values: Mapping[str, object] | None,
    stage: str = IntakeField.Stage.INTAKE,
    require: bool = True,
) -> dict[str, Value]:
    """The answers to the plan's `stage` fields for `category`, typed, by key. Refuses
    (InvalidInput, errors keyed `custom_fields.<key>`) keys the category does not ask,
    answers that do not fit, and, with `require`, required fields left empty. Empty
    answers are left out."""
    asked = {field.key: field for field in intake_fields_for(plan, category, stage)}
    errors: dict[str, list[str]] = {}
    if values is not None and not isinstance(values, Mapping):
        raise InvalidInput(
            "Custom fields are an object of answers by key.",
            field_errors={"custom_fields": ["Give an object of answers by key."]},
        )
    values = values or {}
    cleaned: dict[str, Value] = {}
    for key, raw in values.items():
        field = asked.get(str(key))
        if field is None:
            errors[f"custom_fields.{key}"] = [
                "Not a field of this category"
                + (f"; its fields are: {', '.join(asked)}." if asked else "; it has none.")
            ]
            continue
        try:
            value = intake_value(field, raw)
        except ValueError as error:
            errors[f"custom_fields.{key}"] = [f"{field.label}: {error}"]
            continue
        if value is not None:
            cleaned[field.key] = value
    if require:
        for field in asked.values():
            if (
                field.required
                and field.key not in cleaned
                and f"custom_fields.{field.key}" not in errors
            ):
                errors[f"custom_fields.{field.key}"] = [f"{field.label}: this is required."]
    if errors:
        raise InvalidInput(
            "Please correct the answers to the plan's questions.", field_errors=errors
        )
    return cleaned


def missing_required(
    plan: SupportPlan, category: str, values: Mapping[str, object], stage: str
) -> list[IntakeField]:
    """The required fields of `stage` left unanswered in `values`."""
    return [
        field
        for field in intake_fields_for(plan, category, stage)
        if field.required and field.key not in values
    ]


def searchable_text(values: Mapping[str, Any]) -> str:
    """What the search box matches for a case's answers: each value as text on a line
    (yes/no as "yes" or "no")."""
    lines = []
    for value in values.values():
        if isinstance(value, bool):
            lines.append("yes" if value else "no")
        else:
            lines.append(str(value))
    return "\n".join(lines)


def intake_from_mail(
    plan: SupportPlan, category: str, text: str
) -> tuple[dict[str, Value], list[str]]:
    """Answers named at the top of a mail's body: lines `Label: value` or `key: value`
    before the first line that is neither blank nor such a line. Returns the valid answers
    and a sentence for each line that named a field but did not fit it (left out)."""
    fields = intake_fields_for(plan, category, IntakeField.Stage.INTAKE)
    by_name: dict[str, IntakeField] = {}
    for field in fields:
        by_name[field.key.lower()] = field
        by_name[field.label.strip().lower()] = field
    answers: dict[str, Value] = {}
    problems: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, colon, raw = line.partition(":")
        named = by_name.get(name.strip().lower()) if colon else None
        if named is None:
            break
        try:
            value = intake_value(named, raw)
        except ValueError as error:
            problems.append(f"{named.label}: “{raw.strip()[:100]}” was left out. {error}")
            continue
        if value is not None:
            answers[named.key] = value
    return answers, problems
