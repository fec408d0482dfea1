"""What an outbox row says, encrypted at rest.

A message can carry a secret (a password-reset or invitation link, a survey link, a reply
token in its Reply-To), so everything a row says beyond its metadata lives in one sealed
payload: Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under the keys of
OUTBOX_ENCRYPTION_KEYS, the first of which seals and all of which open, so a key can be
rotated (`manage.py outbox_reseal`). Without that setting the key is derived from
SECRET_KEY (HKDF), and SECRET_KEY_FALLBACKS keep opening rows sealed before a rotation.

The field seals whatever mapping it is given, so no writer can store plain text; a value
read back stays sealed (it prints as "[sealed]") until `open()` is called, which only the
delivery of the message and the redacted preview do.
"""

import base64
import functools
import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

_DERIVATION_INFO = b"supportdesk.notifications.outbox-payload"


class UnreadablePayload(Exception):
    """The payload was sealed under a key that is no longer configured."""


def derived_key(secret: str) -> str:
    """A Fernet key derived from a Django secret key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode("utf-8"))).decode("ascii")


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _configured() -> MultiFernet:
    keys = tuple(settings.OUTBOX_ENCRYPTION_KEYS) or tuple(
        derived_key(secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )
    return _fernet(keys)


class SealedPayload:
    """A payload as stored: an opaque token that shows nothing until opened."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    @classmethod
    def seal(cls, data: Mapping[str, object]) -> "SealedPayload":
        plain = json.dumps(dict(data), separators=(",", ":")).encode("utf-8")
        return cls(_configured().encrypt(plain).decode("ascii"))

    def open(self) -> dict:
        try:
            return json.loads(_configured().decrypt(self.token))
        except InvalidToken:
            raise UnreadablePayload(
                "The message was sealed with a key that OUTBOX_ENCRYPTION_KEYS (or SECRET_KEY "
                "and SECRET_KEY_FALLBACKS) no longer holds."
            ) from None

    def resealed(self) -> "SealedPayload":
        """The same payload sealed under the current first key."""
        try:
            return SealedPayload(_configured().rotate(self.token).decode("ascii"))
        except InvalidToken:
            raise UnreadablePayload("The message cannot be opened with the current keys.") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SealedPayload) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __str__(self) -> str:
        return "[sealed]"

    __repr__ = __str__


class SealedJSONField(models.TextField):
    """A JSON object stored encrypted: a mapping written is sealed, a value read stays
    sealed. It has no form field, so no admin or model form can show or take it."""

    description = "JSON object, encrypted at rest"

    def __init__(self, *args: object, **kwargs: object) -> None:
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
