"""Serializer pieces every app's API uses: strict input and the documented error body."""

from collections.abc import Mapping

from rest_framework import serializers

from supportdesk.api import API_VERSION


class StrictInput(serializers.Serializer):
    """Input that refuses fields it does not know, so a misspelt field is an error
    rather than silently ignored."""

    # Keys read elsewhere (e.g. the paginator's `cursor`), allowed but not parsed here.
    passed_through: tuple[str, ...] = ()

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, Mapping):
            known = {*self.fields, *self.passed_through}
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError(
                    {
                        key: ["Unknown field; see the API schema for this request."]
                        for key in unknown
                    }
                )
        return super().to_internal_value(data)


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable, machine-readable: invalid, not_found, not_permitted, conflict, "
        "precondition_failed, precondition_required, not_authenticated, "
        "authentication_failed, permission_denied, throttled, …"
    )
    message = serializers.CharField(help_text="For the person: what went wrong and what to do.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per request field (`__all__` for the request as a whole).",
    )


class Error(serializers.Serializer):
    error = ErrorDetail()
    api_version = serializers.CharField(help_text=f"The API's major version, '{API_VERSION}'.")


class Person(serializers.Serializer):
    """Someone named on an object: their name, as the portal shows it."""

    name = serializers.SerializerMethodField()

    def get_name(self, user: object) -> str:
        return user.get_full_name() or user.get_username()


def validated(serializer_class: type[serializers.Serializer], data: object) -> dict:
    """The input's values, or a 400 with field errors."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
