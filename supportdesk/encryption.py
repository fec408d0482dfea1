"""Encryption of the few secrets the desk must be able to read back (an identity
provider's client secret, which it sends to that provider), with Fernet from
`cryptography`.

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys, the first encrypts,
all decrypt: add a new key in front to rotate, re-save, then drop the old one). Without
it, one key is derived from SECRET_KEY, so changing SECRET_KEY then makes stored
secrets unreadable: production sets FIELD_ENCRYPTION_KEYS.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _derived_key(secret_key: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"supportdesk field encryption"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived)


@functools.cache
def _box(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    try:
        fernets = [Fernet(key) for key in keys] or [Fernet(_derived_key(secret_key))]
    except ValueError as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (Fernet.generate_key()), comma-separated"
        ) from error
    return MultiFernet(fernets)


def _current_box() -> MultiFernet:
    return _box(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt_text(plain: str) -> str:
    return _current_box().encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    """The plain text; ImproperlyConfigured when no configured key opens it (keys lost
    or rotated away), which is an operator's problem, not the caller's."""
    try:
        return _current_box().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS"
        ) from error
