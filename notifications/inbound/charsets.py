"""Turning bytes of doubtful charset into text.

Mail declares charsets it does not use, uses labels Python does not know, and carries raw
8-bit bytes in headers with no charset at all. The rules, in order: a strict decode with the
declared charset (under the name browsers use for it); UTF-8 when the bytes are valid UTF-8
(the most common lie); the message-wide fallback guessed from all its undeclared bytes; and
finally the declared charset with replacement characters.
"""

import codecs
import re
from collections.abc import Iterable

# Labels whose real-world meaning is a superset charset (the WHATWG encoding standard's view).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso_8859-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "ks_c_5601": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "big5": "big5hkscs",
    "x-mac-roman": "mac_roman",
}
# Tried in turn when the first name fails strictly (e.g. JIS extensions).
_ALTERNATIVES = {
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "cp932"),
    "cp1252": ("cp1252", "latin-1"),
}
# Labels that say nothing about the bytes.
_UNKNOWN = {"", "unknown", "unknown-8bit", "x-unknown", "x-user-defined", "default", "8bit"}

_LETTER_RUN = re.compile(rb"[A-Za-z\x80-\xff]+")
# Frequent Russian lower-case letters, used to tell KOI8-R from windows-1251.
_COMMON_CYRILLIC = frozenset("оеаинтсрвлкмдпу")


def normalise_charset(label: str | None) -> str:
    """Lower-case, unquoted charset label; "" when absent or meaningless."""
    label = (label or "").strip().strip("\"'").lower()[:40]
    return "" if label in _UNKNOWN else label


def _codec_names(label: str) -> tuple[str, ...]:
    name = _SUPERSETS.get(label, label)
    return _ALTERNATIVES.get(label) or _ALTERNATIVES.get(name) or (name,)


def is_known_charset(label: str) -> bool:
    try:
        codecs.lookup(_codec_names(label)[0])
    except (LookupError, ValueError, TypeError):  # garbage labels, e.g. with NUL bytes
        return False
    return True


def _strict(data: bytes, label: str) -> str | None:
    for name in _codec_names(label):
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError, ValueError, TypeError):
            continue
    return None


def _is_8bit(data: bytes) -> bool:
    return any(byte > 0x7F for byte in data)


def guess_8bit_charset(samples: bytes, hints: Iterable[str] = ()) -> str:
    """Charset for 8-bit bytes that came without one, judged from all such bytes of a message.

    A charset the message declares elsewhere wins if it decodes the samples. Otherwise Latin
    text shows 8-bit letters inside ASCII words ("Håvard"), while Cyrillic text shows words
    made of 8-bit bytes only; KOI8-R and windows-1251 are then told apart by which decoding
    yields more common lower-case letters.
    """
    for hint in hints:
        label = normalise_charset(hint)
        if (
            label not in {"", "utf-8", "utf8", "us-ascii", "ascii"}
            and is_known_charset(label)
            and _strict(samples, label) is not None
        ):
            return _codec_names(label)[0]
    mixed = pure = 0
    for run in _LETTER_RUN.findall(samples):
        if not _is_8bit(run):
            continue
        if re.search(rb"[A-Za-z]", run):
            mixed += 1
        else:
            pure += 1
    if pure > mixed:
        scores = {
            name: sum(char in _COMMON_CYRILLIC for char in samples.decode(name, "replace"))
            for name in ("koi8_r", "cp1251")
        }
        return max(scores, key=lambda name: scores[name])
    return "cp1252"


def decode_bytes(data: bytes, declared: str | None, fallback: str = "cp1252") -> tuple[str, str]:
    """Decode ``data``; return (text, problem) where problem is "" when all went well."""
    label = normalise_charset(declared)
    if not _is_8bit(data) and label in {"", "us-ascii", "ascii", "utf-8", "utf8"}:
        return data.decode("ascii"), ""
    if label in {"utf-8", "utf8"}:
        try:
            return data.decode("utf-8"), ""
        except UnicodeDecodeError:
            pass
    elif _is_8bit(data):
        # Valid multi-byte UTF-8 is very unlikely to occur by chance in other charsets.
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if label and label not in {"us-ascii", "ascii"}:
                return text, f"declared charset {label!r} but the bytes are UTF-8"
            return text, ""
    if label and label not in {"us-ascii", "ascii", "utf-8", "utf8"}:
        if not is_known_charset(label):
            text = _strict(data, fallback) or data.decode(fallback, "replace")
            return text, f"unknown charset {label!r}, decoded as {fallback}"
        strict = _strict(data, label)
        if strict is not None:
            return strict, ""
    strict = _strict(data, fallback)
    if strict is not None:
        if label:
            return strict, f"bytes are not valid {label}, decoded as {fallback}"
        return strict, f"8-bit text without a charset, decoded as {fallback}"
    name = _codec_names(label)[0] if label and is_known_charset(label) else "utf-8"
    return data.decode(name, "replace"), f"undecodable bytes replaced ({label or 'no charset'})"
