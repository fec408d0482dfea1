"""Serializer pieces every app's API uses: strict input and the documented error body."""

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db.models import IntegerChoices
from rest_framework import serializers

from supportdesk.api import API_VERSION
from supportdesk.types import User


class StrictInput(serializers.Serializer):
    """Input that refuses fields it does not know (a misspelt field is an error, not
    silently ignored) and values of the wrong JSON type."""

    # Keys read elsewhere (e.g. the paginator's `cursor`), allowed but not parsed here.
    passed_through: tuple[str, ...] = ()

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, Mapping):
            known = {*self.fields, *self.passed_through}
            errors = {
                str(key): ["Unknown field; see the API schema for this request."]
                for key in data
                if key not in known
            }
            for name, field in self.fields.items():
                if name in data and not field.read_only:
                    problem = _shape_problem(field, data, name)
                    if problem:
                        errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


_TEXT_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateTimeField,
    serializers.DateField,
)


def _shape_problem(field: serializers.Field, data: Mapping, name: str) -> str | None:
    """What is wrong with the value's JSON type (or an empty form value), if anything.

    DRF would quietly turn 42 into "42" or 1 into True; a client sending the wrong type
    has a bug worth hearing about. In query strings and forms every value is text, and
    an empty one is refused unless the field takes blanks (rather than ignored)."""
    if hasattr(data, "getlist"):  # a query string or a multipart form: all text
        values = data.getlist(name)
        blank_ok = getattr(field, "allow_blank", False) or isinstance(field, serializers.ListField)
        if not blank_ok and any(value == "" for value in values):
            return "Give a value, or leave the field out."
        return None
    value = data[name]
    if value is None:
        return None if field.allow_null else "This field may not be null."
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Expected true or false."
    if isinstance(field, serializers.IntegerField):
        whole = isinstance(value, int) and not isinstance(value, bool)
        return None if whole else "Expected a whole number."
    if isinstance(field, serializers.ListField):
        return None if isinstance(value, list) else "Expected a list."
    if isinstance(field, _TEXT_FIELDS):
        return None if isinstance(value, str) else "Expected text."
    return None


class Rfc3339DateTime(serializers.DateTimeField):
    """An instant as RFC 3339 writes it (`2026-03-02T09:30:00Z`, `…+01:00`): with a time
    zone and no other spelling, as the schema's `date-time` format promises."""

    _pattern = re.compile(
        r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})"
    )

    def to_internal_value(self, value: object) -> dt.datetime:
        if not isinstance(value, str) or not self._pattern.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ssZ (RFC 3339, with a time zone)")
        return super().to_internal_value(value)


class Rfc3339Date(serializers.DateField):
    """A calendar date, `2026-03-02`."""

    _pattern = re.compile(r"\d{4}-\d{2}-\d{2}")

    def to_internal_value(self, value: object) -> dt.date:
        if not isinstance(value, str) or not self._pattern.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class NamedChoiceField(serializers.ChoiceField):
    """An integer choice shown and accepted by its name: "critical", "production"."""

    def __init__(self, enum: type[IntegerChoices], **kwargs: Any) -> None:
        self.enum = enum
        super().__init__(choices=[(m.name.lower(), m.label) for m in enum], **kwargs)

    # The stubs type ChoiceField's values as text; this one's are the enum's integers.
    def to_representation(self, value: int) -> str:  # type: ignore[override]
        return self.enum(value).name.lower()

    def to_internal_value(self, data: Any) -> int:  # type: ignore[override]
        name = super().to_internal_value(data)
        return self.enum[name.upper()].value


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable, machine-readable: invalid, not_found, not_permitted, conflict, "
        "precondition_failed, precondition_required, not_authenticated, "
        "authentication_failed, permission_denied, throttled, …"
    )
    message = serializers.CharField(help_text="For the person: what went wrong and what to do.")
    fields = serializers.DictField(  # type: ignore[assignment]  # a declared field
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per request field (`__all__` for the request as a whole).",
    )


class Error(serializers.Serializer):
    error = ErrorDetail()
    api_version = serializers.CharField(help_text=f"The API's major version, '{API_VERSION}'.")


class Person(serializers.Serializer):
    """Someone named on an object: their name, as the portal shows it."""

    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.get_username()


def validated(serializer_class: type[serializers.Serializer], data: object) -> dict:
    """The input's values, or a 400 with field errors."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
