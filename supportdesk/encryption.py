"""Encryption at rest of what the desk must read back but nobody may read in the database:
outbox messages (reset, invitation and survey links, reply tokens), a tenant identity
provider's client secret, and the authenticator-app secrets and recovery-code seeds of
multi-factor sign-in. One set of keys for all of them, with Fernet (AES-128-CBC with
HMAC-SHA256) from `cryptography`.

Keys come from ENCRYPTION_KEYS (comma-separated Fernet keys: the first encrypts, all
decrypt, so a key is rotated by putting a new one first, re-encrypting, e.g. with
`manage.py outbox_reseal`, then dropping the old one). Without it, keys are derived from
SECRET_KEY and SECRET_KEY_FALLBACKS (HKDF), so a SECRET_KEY rotation that keeps the old
key as a fallback keeps everything readable; production sets ENCRYPTION_KEYS.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.encoding import force_bytes

_DERIVATION_INFO = b"supportdesk encryption at rest"


class UndecryptableSecret(ImproperlyConfigured):
    """Stored data was encrypted under a key that is no longer configured: an operator's
    problem (keys lost or rotated away too soon), never the caller's."""


def derived_key(secret: str | bytes) -> str:
    """A Fernet key derived from a Django secret key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(force_bytes(secret))).decode("ascii")


@functools.lru_cache(maxsize=8)
def _box(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def encryption_box() -> MultiFernet:
    """The configured keys, the first of which encrypts."""
    keys = tuple(settings.ENCRYPTION_KEYS) or tuple(
        derived_key(secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )
    return _box(keys)


def encrypt_bytes(plain: bytes) -> str:
    return encryption_box().encrypt(plain).decode("ascii")


def decrypt_bytes(token: str) -> bytes:
    try:
        return encryption_box().decrypt(token.encode("ascii"))
    except InvalidToken:
        raise UndecryptableSecret(
            "Stored data was encrypted with a key that ENCRYPTION_KEYS (or SECRET_KEY and "
            "SECRET_KEY_FALLBACKS) no longer holds."
        ) from None


def reencrypt(token: str) -> str:
    """The same data encrypted under the current first key (key rotation)."""
    try:
        return encryption_box().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise UndecryptableSecret("Stored data cannot be opened with the current keys.") from None


def encrypt_text(plain: str) -> str:
    return encrypt_bytes(plain.encode("utf-8"))


def decrypt_text(token: str) -> str:
    return decrypt_bytes(token).decode("utf-8")
