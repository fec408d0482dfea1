"""What an outbox row says, encrypted at rest.

A message can carry a secret (a password-reset or invitation link, a survey link, a reply
token in its Reply-To), so everything a row says beyond its metadata lives in one sealed
payload, encrypted with the desk's keys (`supportdesk.encryption`: ENCRYPTION_KEYS, or
keys derived from SECRET_KEY and its fallbacks); `manage.py outbox_reseal` re-encrypts
every row under the first key after a rotation.

The field seals whatever mapping it is given, so no writer can store plain text; a value
read back stays sealed (it prints as "[sealed]") until `open()` is called, which only the
delivery of the message and the redacted preview do.
"""

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from supportdesk.encryption import decrypt_bytes, encrypt_bytes, reencrypt


class SealedPayload:
    """A payload as stored: an opaque token that shows nothing until opened."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    @classmethod
    def seal(cls, data: Mapping[str, object]) -> "SealedPayload":
        plain = json.dumps(dict(data), separators=(",", ":")).encode("utf-8")
        return cls(encrypt_bytes(plain))

    def open(self) -> dict:
        """The payload; UndecryptableSecret when no configured key opens it."""
        return json.loads(decrypt_bytes(self.token))

    def resealed(self) -> "SealedPayload":
        """The same payload sealed under the current first key."""
        return SealedPayload(reencrypt(self.token))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SealedPayload) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __str__(self) -> str:
        return "[sealed]"

    __repr__ = __str__


if TYPE_CHECKING:
    # What the field takes (a mapping to seal, or a payload already sealed) and gives back.
    _SealedField = models.TextField[Mapping[str, object] | SealedPayload, SealedPayload]
else:
    _SealedField = models.TextField


class SealedJSONField(_SealedField):
    """A JSON object stored encrypted: a mapping written is sealed, a value read stays
    sealed. It has no form field, so no admin or model form can show or take it."""

    description = "JSON object, encrypted at rest"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: object, connection: object):
        return None if value is None else SealedPayload(value)

    def to_python(self, value: object) -> SealedPayload | None:
        if value is None or isinstance(value, SealedPayload):
            return value
        if isinstance(value, str):
            return SealedPayload(value)  # a token, as serialised by value_to_string
        if isinstance(value, Mapping):
            return SealedPayload.seal(value)
        raise TypeError(f"A sealed payload is made from a mapping, not {type(value).__name__}.")

    def get_prep_value(self, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, SealedPayload):
            return value.token
        if isinstance(value, Mapping):
            return SealedPayload.seal(value).token
        raise TypeError(
            f"A sealed payload is written from a mapping, not {type(value).__name__}: "
            "plain text is never stored."
        )

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return self.get_prep_value(value) or ""

    def formfield(self, **kwargs: object) -> None:
        return None
