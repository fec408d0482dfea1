"""parse_message: raw RFC 5322 bytes in, a plain InboundMessage out, never an exception.

Python's ``email`` package splits the MIME structure; this module adds what real mail
needs on top: raw 8-bit headers decoded by a guessed charset instead of U+FFFD, lying
charset labels, HTML-only bodies turned into text, the corpus's attachment rule (every
leaf that is not body text, ``message/*`` kept whole), quote stripping, the
auto-reply/bounce signals, and caps on size, part count and nesting.
"""

import email
import email.parser
import email.policy
import html
import logging
import mimetypes
import re
import unicodedata
from email.message import Message
from email.utils import collapse_rfc2231_value

from notifications.inbound.charsets import decode_bytes, guess_8bit_charset, normalise_charset
from notifications.inbound.classify import classify, returned_message_ids
from notifications.inbound.headers import (
    decode_encoded_words,
    defuse_comments,
    first_message_id,
    parse_addresses,
    parse_date,
    references_in,
)
from notifications.inbound.htmltext import render_html
from notifications.inbound.message import InboundAttachment, InboundMessage
from notifications.inbound.quotes import extract_new_text
from notifications.reply_tokens import token_from_address

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
MAX_PARTS = 500
MAX_DEPTH = 40
MAX_TEXT_CHARS = 2_000_000

# Structure is parsed with the legacy policy: policy.default parses Content-Type while it
# splits the message and recurses on nested comments, so one hostile header can crash it.
_PARSE_POLICY = email.policy.compat32
_HEADER_POLICY = email.policy.default
_MAX_FROM_CHARS = 2000
# Serialising returned messages must not re-fold their (often broken) headers.
_SERIALIZE_POLICY = email.policy.compat32.clone(linesep="\n", max_line_length=0)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")
_ENTITY = re.compile(r"&(?:nbsp|gt|lt|amp|quot|#\d{2,5});")
_HTML_TAG = re.compile(r"<(?:html|body|div|p|br|span|table)\b", re.IGNORECASE)
_PLAIN_ADDRESS = re.compile(r"^[^\s@\"(),:;<>\[\]\\]+@[^\s@\"(),:;<>\[\]\\]+$")
_NO_REPLY_LOCAL = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_]?daemon|bounces?)"
    r"(?:[-+._].*)?$",
    re.IGNORECASE,
)
_TOKEN_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "to", "cc")

_Segment = tuple[str, str]  # (text, "plain" | "html")
_Walked = tuple[list[_Segment], list[str]]  # (text segments, raw HTML bodies)


def _strip_nul(value: str) -> str:
    return value.replace("\x00", "")


def _nfc(text: str) -> str:
    """Composed Unicode: Apple clients send decomposed accents, search expects composed."""
    return unicodedata.normalize("NFC", text)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _squash(text: str) -> str:
    return " ".join(text.split())


def _raw_bytes(value: str) -> bytes:
    """The original bytes of a header value Python decoded as ASCII with surrogateescape."""
    return value.encode("utf-8", "surrogateescape")


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft line breaks."""
    lines: list[tuple[int, str]] = []
    soft = False
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if soft and lines and lines[-1][0] == depth:
            lines[-1] = (depth, lines[-1][1] + content)
        else:
            lines.append((depth, content))
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            lines[-1] = (depth, lines[-1][1][:-1])
    return "\n".join(">" * depth + (" " if depth and body else "") + body for depth, body in lines)


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:  # a broken Content-Type must not stop the parse
        return ""
    if value is None:
        return ""
    return str(collapse_rfc2231_value(value))


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _maintype(part: Message) -> str:
    return _content_type(part).partition("/")[0]


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _raw_filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=\s]")


def _claims_base64_but_holds_text(part: Message) -> bool:
    """A part labelled base64 whose body has characters base64 never uses (spaces inside
    lines, punctuation): written by a broken client, and read as the text it is, as mail
    clients do, rather than decoded into noise."""
    if str(part.get("content-transfer-encoding", "")).strip().lower() != "base64":
        return False
    raw = part.get_payload()
    if not isinstance(raw, str):
        return False
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    return bool(_NOT_BASE64.search(raw)) or any(" " in line for line in lines)


def _children(part: Message) -> list[Message]:
    """The parts a multipart part holds (its payload is the list of them)."""
    return [child for child in part.get_payload() if isinstance(child, Message)]


def _payload_bytes(part: Message) -> bytes:
    raw = part.get_payload()
    if isinstance(raw, str) and _claims_base64_but_holds_text(part):
        return _raw_bytes(raw)
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return _raw_bytes(raw) if isinstance(raw, str) else b""


def _serialized_body(part: Message) -> bytes:
    """A message/* part's content as bytes (the embedded message, or the report fields)."""
    try:
        data = part.as_bytes(policy=_SERIALIZE_POLICY)
    except Exception:
        try:
            data = _raw_bytes(part.as_string(policy=_SERIALIZE_POLICY))
        except Exception:
            return b""
    return data.partition(b"\n\n")[2]


class _Parse:
    """One parse: the state a message's walk accumulates."""

    def __init__(self, msg: Message, keep_attachments: bool) -> None:
        self.msg = msg
        self.keep_attachments = keep_attachments
        self.problems: list[str] = []
        self.attachments: list[InboundAttachment] = []
        self.part_types: set[str] = set()
        self.returned_headers: list[str] = []
        self.defects: set[str] = set()
        self.leaves = 0
        self.nul_seen = False
        self.fallback = self._guess_fallback()
        self.headers = self._decode_headers()

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    # --- charsets and headers -------------------------------------------------------------

    def _leaf_parts(self) -> list[Message]:
        leaves: list[Message] = []
        stack: list[tuple[Message, int]] = [(self.msg, 0)]
        while stack and len(leaves) < MAX_PARTS:
            part, depth = stack.pop()
            if _maintype(part) == "multipart" and part.is_multipart():
                if depth < MAX_DEPTH:
                    stack.extend((child, depth + 1) for child in reversed(_children(part)))
            else:
                leaves.append(part)
        return leaves

    def _guess_fallback(self) -> str:
        """One charset for every undeclared 8-bit byte of the message, headers and bodies."""
        samples = bytearray()
        hints: list[str] = []
        for _name, value in self.msg.raw_items():
            if isinstance(value, str) and _SURROGATE.search(value):
                samples += _raw_bytes(value) + b" "
        for part in self._leaf_parts():
            charset = normalise_charset(_param(part, "charset"))
            if charset:
                hints.append(charset)
            elif _maintype(part) == "text":
                payload = _payload_bytes(part)
                if any(byte > 0x7F for byte in payload[:65536]):
                    samples += payload[:65536] + b" "
        if not samples:
            return "cp1252"
        return guess_8bit_charset(bytes(samples), hints)

    def _decode_headers(self) -> dict[str, list[str]]:
        headers: dict[str, list[str]] = {}
        for name, value in self.msg.raw_items():
            text = _FOLD.sub("", value if isinstance(value, str) else str(value))
            text = _newlines(text).replace("\n", " ")
            if _SURROGATE.search(text):
                text, _problem = decode_bytes(_raw_bytes(text), None, self.fallback)
                self.problem(f"raw 8-bit bytes in the {name} header, decoded as {self.fallback}")
            if "\x00" in text:
                self.nul_seen = True
            headers.setdefault(name.lower(), []).append(_strip_nul(text).strip())
        return headers

    def first(self, name: str) -> str:
        values = self.headers.get(name)
        return values[0] if values else ""

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, lower-cased addr-spec) pairs of every ``name`` header."""
        found: list[tuple[str, str]] = []
        for display_name, addr_spec in parse_addresses(self.headers.get(name, [])):
            addr_spec = addr_spec.strip().lower()
            if "@" in addr_spec and addr_spec not in (pair[1] for pair in found):
                found.append((decode_encoded_words(display_name, self.fallback), addr_spec))
        return found

    def sender(self) -> tuple[str, str, list[str]]:
        """(display name, lower-cased addr-spec, defects) of the first From address.

        The modern header parser quotes a local part with spaces the way RFC 5322 wants;
        it is slow on long input and can recurse deeply, hence the cap and the fallback.
        """
        value = defuse_comments(self.first("from")[:_MAX_FROM_CHARS])
        try:
            header = _HEADER_POLICY.header_factory("from", value)
            addresses = [(a.display_name, a.addr_spec) for a in header.addresses]
            defects = [str(d) for d in header.defects if "local-part" in str(d)]
        except Exception:  # e.g. RecursionError on nested comments
            addresses, defects = parse_addresses([value]), ["From header not parseable"]
        for display_name, addr_spec in addresses:
            if "@" in addr_spec:
                name = decode_encoded_words(display_name, self.fallback)
                return _nfc(_CONTROL.sub("", name)).strip(), addr_spec.strip().lower(), defects
        return "", "", defects

    # --- the MIME walk --------------------------------------------------------------------

    def walk(self, part: Message, in_related: bool = False, depth: int = 0) -> _Walked:
        self.leaves += 1
        if self.leaves > MAX_PARTS:
            self.problem(f"more than {MAX_PARTS} MIME parts; the rest were ignored")
            return [], []
        content_type = _content_type(part)
        self.part_types.add(content_type)
        self.defects.update(type(defect).__name__ for defect in part.defects)
        if content_type.startswith("multipart/"):
            return self._walk_multipart(part, content_type, in_related, depth)
        try:
            return self._walk_leaf(part, content_type, in_related)
        except Exception as exc:  # one unreadable part must not lose the rest of the message
            self.problem(f"{content_type} part could not be read: {exc!r}")
            return [], []

    def _walk_leaf(self, part: Message, content_type: str, in_related: bool) -> _Walked:
        disposition = _disposition(part)
        raw_filename = _raw_filename(part)
        is_body = content_type in {"text/plain", "text/html"} and disposition != "attachment"
        if is_body and not raw_filename:
            text = self._text_of(part, content_type)
            if content_type == "text/html":
                clean, html_text, problem = render_html(text)
                if problem:
                    self.problem(problem)
                return [(html_text, "html")], [clean] if clean.strip() else []
            return [(self._clean_plain(text, part), "plain")], []
        self._add_attachment(part, content_type, disposition, raw_filename, in_related)
        return [], []

    def _walk_multipart(
        self, part: Message, content_type: str, in_related: bool, depth: int
    ) -> _Walked:
        if not part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, str) and payload.strip():
                self.problem(f"{content_type} without parts; its body was kept as text")
                return [(self._text_of(part, "text/plain"), "plain")], []
            return [], []
        if depth >= MAX_DEPTH:
            self.problem(f"MIME nesting deeper than {MAX_DEPTH}; inner parts ignored")
            return [], []
        related = in_related or content_type == "multipart/related"
        results = [self.walk(child, related, depth + 1) for child in _children(part)]
        if content_type == "multipart/alternative":
            return self._choose_alternative(results)
        segments = [segment for result in results for segment in result[0]]
        plain = _squash(" ".join(text for text, source in segments if source == "plain"))
        kept = [
            (text, source)
            for text, source in segments
            if source == "plain" or not plain or _squash(text) not in plain
        ]
        return kept, [body for result in results for body in result[1]]

    @staticmethod
    def _choose_alternative(results: list[_Walked]) -> _Walked:
        """Prefer the plain alternative unless it is an empty or token stub of the HTML one."""
        htmls = [body for result in results for body in result[1]]
        plain = next((r for r in results if any(s == "plain" for _, s in r[0])), None)
        rich = next((r for r in reversed(results) if any(s == "html" for _, s in r[0])), None)
        chosen = plain
        if rich is not None:
            plain_size = len(_squash(" ".join(t for t, _ in plain[0]))) if plain else 0
            rich_size = len(_squash(" ".join(t for t, _ in rich[0])))
            if plain is None or plain_size == 0 or plain_size * 5 < rich_size:
                chosen = rich
        if chosen is None:
            chosen = next((r for r in results if r[0]), ([], []))
        return chosen[0], htmls

    def _text_of(self, part: Message, content_type: str) -> str:
        payload = _payload_bytes(part)
        text, problem = decode_bytes(payload, _param(part, "charset"), self.fallback)
        if problem:
            self.problem(f"{content_type} part: {problem}")
        if "\x00" in text:
            self.nul_seen = True
        return _strip_nul(_newlines(text))

    def _clean_plain(self, text: str, part: Message) -> str:
        if _param(part, "format").lower() == "flowed":
            text = _unflow(text, _param(part, "delsp").lower() == "yes")
        # Some webmail (QQMail) puts HTML entities into the text/plain alternative.
        if len(_ENTITY.findall(text)) >= 2 and not _HTML_TAG.search(text):
            text = html.unescape(text).replace("\u00a0", " ")
        return text

    def _add_attachment(
        self,
        part: Message,
        content_type: str,
        disposition: str | None,
        raw_filename: str,
        in_related: bool,
    ) -> None:
        try:
            content_id = str(part.get("content-id", "") or "")
        except Exception:
            content_id = ""
        content_id = _CONTROL.sub("", content_id).strip().strip("<>").strip()
        inline = (
            content_type.startswith("image/")
            and disposition != "attachment"
            and bool(content_id or in_related)
        )
        if content_type.startswith("message/") or content_type == "text/rfc822-headers":
            content = _serialized_body(part)
            if content_type in {"message/rfc822", "message/global"}:
                self.returned_headers.append(_returned_header_block(part))
            elif content_type == "text/rfc822-headers":
                self.returned_headers.append(content.decode("utf-8", "replace"))
        else:
            content = _payload_bytes(part)
        filename = self._clean_filename(raw_filename) or self._default_filename(part, content_type)
        if self.keep_attachments:
            self.attachments.append(
                InboundAttachment(
                    filename=filename,
                    content_type=content_type,
                    content=content,
                    inline=inline,
                    content_id=content_id,
                )
            )

    def _clean_filename(self, name: str) -> str:
        """A safe base name: decoded, no path, no control characters, at most 200 chars."""
        if not name:
            return ""
        if _SURROGATE.search(name):
            name = decode_bytes(_raw_bytes(name), None, self.fallback)[0]
        if "=?" in name:
            name = decode_encoded_words(name, self.fallback)
        name = _nfc(re.split(r"[\\/]", _CONTROL.sub("", name))[-1]).strip().strip(".").strip()
        if len(name) > 200:
            stem, dot, extension = name.rpartition(".")
            name = f"{stem[:180]}.{extension[:19]}" if dot and len(extension) < 20 else name[:200]
        return name

    def _default_filename(self, part: Message, content_type: str) -> str:
        number = len(self.attachments) + 1
        if content_type in {"message/rfc822", "message/global"}:
            inner = part.get_payload(0) if part.is_multipart() else None
            subject = ""
            if isinstance(inner, Message):
                raw_subject = inner.get("subject")
                if raw_subject is not None:
                    subject = self._clean_filename(str(raw_subject))[:100]
            return f"{subject or 'message'}.eml"
        if content_type.startswith("message/"):
            return f"{content_type.split('/', 1)[1]}.txt"
        extension = mimetypes.guess_extension(content_type) or (
            ".txt" if content_type.startswith("text/") else ".bin"
        )
        stem = "image" if content_type.startswith("image/") else "attachment"
        return f"{stem}-{number}{extension}"


def _returned_header_block(part: Message) -> str:
    """The header section of an embedded message, folded lines kept, for Message-ID search."""
    try:
        inner = part.get_payload(0)
    except (IndexError, TypeError):
        return ""
    if not isinstance(inner, Message):
        return ""
    return "\n".join(f"{name}: {value}" for name, value in inner.raw_items())


def _coerce(raw: object) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return bytes(raw)  # type: ignore[call-overload]


def parse_message(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundMessage:
    """Parse raw inbound mail. Never raises: what went wrong is in ``problems`` and the log."""
    try:
        message = _parse(raw, max_bytes)
    except Exception as exc:  # the mailbox loop must keep going
        logger.exception("Inbound mail could not be parsed at all")
        size = len(raw) if isinstance(raw, bytes | bytearray) else 0
        return InboundMessage(size=size, problems=[f"unparseable message: {exc!r}"])
    if message.problems:
        logger.warning(
            "Inbound mail %s from %s parsed with problems: %s",
            message.message_id or "(no Message-ID)",
            message.sender_email or "(no sender)",
            "; ".join(message.problems),
        )
    return message


def _parse(raw: bytes, max_bytes: int) -> InboundMessage:
    problems: list[str] = []
    data = _coerce(raw)
    size = len(data)
    truncated = size > max_bytes
    if truncated:
        problems.append(
            f"message is {size} bytes, over the {max_bytes}-byte limit: only the first "
            f"{max_bytes} bytes were parsed and attachments were dropped"
        )
        data = data[:max_bytes]
    if not data.strip():
        problems.append("empty message")

    try:
        msg = email.message_from_bytes(data, policy=_PARSE_POLICY)
        body_parsed = True
    except RecursionError:
        # The stdlib parser recurses once per nesting level; keep what the headers say.
        msg = email.parser.BytesParser(policy=_PARSE_POLICY).parsebytes(data, headersonly=True)
        body_parsed = False
        problems.append("MIME structure nested too deeply to parse; the body was ignored")
    state = _Parse(msg, keep_attachments=not truncated)
    segments, html_bodies = state.walk(msg) if body_parsed else ([], [])
    problems.extend(state.problems)

    sender_name, sender_email, sender_defects = state.sender()
    if "from" not in state.headers:
        problems.append("no From header")
    elif not sender_email:
        problems.append(f"no usable address in From: {state.first('from')[:80]!r}")
    sender_ok = bool(_PLAIN_ADDRESS.match(sender_email))
    if sender_email and not sender_ok:
        defects = "; ".join(sender_defects) or "not a plain address"
        problems.append(f"malformed sender address {sender_email!r} ({defects})")

    subject = decode_encoded_words(state.first("subject"), state.fallback)
    subject = _nfc(_CONTROL.sub("", subject)).strip()

    text = _nfc("\n\n".join(text.strip("\n") for text, _source in segments if text.strip()))
    if len(text) > MAX_TEXT_CHARS:
        problems.append(f"text longer than {MAX_TEXT_CHARS} characters was cut")
        text = text[:MAX_TEXT_CHARS]
    html_body = "\n".join(body.strip() for body in html_bodies)
    if state.nul_seen:
        problems.append("NUL bytes removed")
    if state.defects:
        problems.append("MIME defects: " + ", ".join(sorted(state.defects)))

    date = parse_date(state.first("date"), problems)
    message_id = first_message_id(state.first("message-id"))
    content_type = _content_type(msg)
    classification = classify(
        headers=state.headers,
        content_type=content_type,
        report_type=_param(msg, "report-type").lower(),
        part_types=state.part_types,
        sender_email=sender_email,
        subject=subject,
    )
    bounced: list[str] = []
    if classification.is_bounce:
        bounced = returned_message_ids(state.returned_headers or [text], exclude=message_id)

    reply_token = None
    for name in _TOKEN_HEADERS:
        for _display, address in state.addresses(name):
            reply_token = token_from_address(address)
            if reply_token:
                break
        if reply_token:
            break

    automatic = classification.is_auto_reply or classification.is_bounce
    no_reply_sender = bool(_NO_REPLY_LOCAL.match(sender_email.rpartition("@")[0]))
    return InboundMessage(
        sender_email=sender_email,
        sender_name=sender_name,
        from_addresses=[address for _name, address in state.addresses("from")],
        sender_header=next((address for _name, address in state.addresses("sender")), ""),
        authentication_results=state.headers.get("authentication-results", []),
        to=[address for _name, address in state.addresses("to")],
        cc=[address for _name, address in state.addresses("cc")],
        reply_to=[address for _name, address in state.addresses("reply-to")],
        subject=subject,
        message_id=message_id,
        in_reply_to=first_message_id(state.first("in-reply-to")),
        references=references_in(state.headers.get("references", [])),
        forwarded_message_ids=references_in(state.headers.get("x-forwarded-message-id", [])),
        date=date,
        text=text,
        new_text=extract_new_text(text),
        html=html_body,
        attachments=state.attachments,
        is_auto_reply=classification.is_auto_reply,
        is_bounce=classification.is_bounce,
        is_list_mail=classification.is_list_mail,
        should_auto_acknowledge=(
            sender_ok and not automatic and not classification.is_list_mail and not no_reply_sender
        ),
        classification_reason=classification.reason,
        bounced_message_ids=bounced,
        reply_token=reply_token,
        size=size,
        truncated=truncated,
        problems=[problem[:300] for problem in problems],
    )
