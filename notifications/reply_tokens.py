"""Signed reply tokens carried in the plus part of the support address.

Case mail goes out with a reply address ``support+<token>@domain``; the reply comes back to
that address and the token names the case, so threading does not depend on the subject or on
Message-ID headers that some clients drop. A token is ``<case id in base 36>.<signature>``:
lower-case letters, digits and one dot. That fits comfortably in the 64 characters a local
part may have and survives MTAs that lower-case addresses.
"""

import base64
import re
from email.utils import parseaddr
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

_SALT = "notifications.reply_token"
_SEPARATOR = "."
_SIGNATURE_BYTES = 10  # 80 bits, 16 base32 characters: far beyond guessing by mail
_MAX_LOCAL_PART = 64
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"

TOKEN_RE = re.compile(r"^[0-9a-z]{1,13}\.[a-z2-7]{16}$")


class _ReplyTokenSigner(signing.Signer):
    """A Signer whose signature is short lower-case base32, fit for an address local part.

    Subclassing keeps Signer's salting, constant-time comparison and SECRET_KEY_FALLBACKS,
    so rotating the secret key does not break replies to mail sent before the rotation.
    """

    salt: str  # always given as text here (Signer also takes bytes)

    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        digest = salted_hmac(
            self.salt + "signer", value, key or self.key, algorithm=self.algorithm
        ).digest()
        return base64.b32encode(digest[:_SIGNATURE_BYTES]).decode("ascii").lower()


def _signer() -> _ReplyTokenSigner:
    return _ReplyTokenSigner(salt=_SALT, sep=_SEPARATOR)


def _to_base36(number: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, 36)
        digits = _BASE36[remainder] + digits
    return digits or "0"


def make_reply_token(case_id: int) -> str:
    """Return the signed token that identifies ``case_id`` in a reply address."""
    if case_id <= 0:
        raise ValueError(f"case_id must be a positive integer, got {case_id!r}")
    return _signer().sign(_to_base36(case_id))


def looks_like_reply_token(token: str) -> bool:
    """True when ``token`` has the shape of a reply token (the signature is not checked)."""
    return bool(TOKEN_RE.match(token.strip().lower()))


def read_reply_token(token: str) -> int | None:
    """Return the case id a genuine token names, or None for tampered or garbage input."""
    if not isinstance(token, str):
        return None
    token = token.strip().lower()
    if not TOKEN_RE.match(token):
        return None
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    case_id = int(value, 36)
    return case_id if case_id > 0 else None


def support_email_address() -> str:
    """The bare support address: SUPPORT_EMAIL_ADDRESS, else the one in DEFAULT_FROM_EMAIL."""
    configured = getattr(settings, "SUPPORT_EMAIL_ADDRESS", "") or settings.DEFAULT_FROM_EMAIL
    return _bare_address(configured)


@lru_cache(maxsize=64)
def _bare_address(address: str) -> str:
    """The addr-spec of a "Name <addr>" string (cached: a sweep builds a reply address for
    each of hundreds of emails, and parsing is most of the cost)."""
    return parseaddr(address)[1]


@lru_cache(maxsize=64)
def _split_address(address: str) -> tuple[str, str] | None:
    addr_spec = parseaddr(address)[1]
    local, at, domain = addr_spec.rpartition("@")
    if not at or not local or not domain:
        return None
    return local, domain


def reply_address(case_id: int, support_address: str | None = None) -> str:
    """Build ``local+token@domain`` from the support address (default: from settings)."""
    address = support_address or support_email_address()
    parts = _split_address(address)
    if parts is None:
        raise ValueError(f"not an e-mail address: {address!r}")
    local, domain = parts
    local = f"{local}+{make_reply_token(case_id)}"
    if len(local) > _MAX_LOCAL_PART:
        raise ValueError(f"reply address local part would exceed 64 characters: {local!r}")
    return f"{local}@{domain}"


def token_from_address(address: str, support_address: str | None = None) -> str | None:
    """Return the reply token in a plus-address, or None.

    Only a detail shaped like a reply token counts, so ``lists+spice-devel@…`` yields None.
    With ``support_address`` the rest of the address must match it too (case-insensitive).
    """
    parts = _split_address(address or "")
    if parts is None:
        return None
    local, domain = parts
    base, plus, detail = local.rpartition("+")
    if not plus or not looks_like_reply_token(detail):
        return None
    if support_address is not None:
        support = _split_address(support_address)
        if support is None or (base.lower(), domain.lower()) != (
            support[0].lower(),
            support[1].lower(),
        ):
            return None
    return detail.lower()
