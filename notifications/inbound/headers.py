"""Header values: RFC 2047 words, addresses, Message-IDs and dates, parsed defensively."""

import base64
import re
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from notifications.inbound.charsets import decode_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def defuse_comments(value: str) -> str:
    """Flatten deeply nested (comments): both stdlib address parsers recurse on them."""
    depth = deepest = 0
    for char in value:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    return value.replace("(", " ").replace(")", " ") if deepest > 20 else value


def parse_addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, addr-spec) pairs by the lenient legacy parser, which is linear-time."""
    try:
        return getaddresses([defuse_comments(value) for value in values])
    except Exception:  # the legacy parser has no documented failure modes; trust none
        return []


def _decode_word(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        data = payload.replace("_", " ").encode("utf-8", "surrogateescape")
        return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)
    except (ValueError, TypeError):
        return None


def decode_encoded_words(value: str, fallback: str = "cp1252") -> str:
    """RFC 2047 decoding that survives lying charsets and words split inside a character.

    Adjacent encoded words in the same charset are joined as bytes before decoding, since
    encoders split multi-byte characters across words.
    """
    pieces: list[tuple[str | bytes, str]] = []
    position = 0
    after_word = False
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        if gap and not (after_word and gap.isspace()):
            pieces.append((gap, ""))
        charset = match.group(1).split("*")[0].lower()
        data = _decode_word(match.group(2), match.group(3))
        if data is None:
            pieces.append((match.group(0), ""))
        elif pieces and pieces[-1][1] == charset and isinstance(pieces[-1][0], bytes):
            pieces[-1] = (pieces[-1][0] + data, charset)
        else:
            pieces.append((data, charset))
        position = match.end()
        after_word = True
    if position < len(value):
        pieces.append((value[position:], ""))
    return "".join(
        decode_bytes(piece, charset, fallback)[0] if isinstance(piece, bytes) else piece
        for piece, charset in pieces
    )


def message_ids_in(text: str) -> list[str]:
    """Every ``<id>`` in a header value, in order."""
    return _MESSAGE_ID.findall(text)


def first_message_id(value: str) -> str:
    """The first ``<id>``; a bare ``id@host`` (some clients drop the brackets) gets them."""
    ids = message_ids_in(value)
    if ids:
        return ids[0]
    value = value.strip()
    if value and "@" in value and not any(char.isspace() for char in value):
        return f"<{value.strip('<>')}>"
    return ""


def references_in(values: list[str]) -> list[str]:
    return list(dict.fromkeys(message_ids_in(" ".join(values))))


def parse_date(value: str, problems: list[str]) -> datetime | None:
    """An aware datetime; "-0000" (zone unknown) is read as UTC, nonsense as None."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        problems.append(f"Date header not understood: {value[:60]!r}")
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
