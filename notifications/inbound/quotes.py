"""Finding what the sender wrote: quoted history, forwarded blocks and mobile signatures go.

The text is cut at the first "boundary": a ``>`` quote, an attribution line ("On … wrote:",
"Am … schrieb …:"), an original/forwarded-message separator, or an Outlook header block
("From:" followed by "Sent:"/"To:"…). Text above it is a top-posted reply. When nothing is
above it and the boundary is a quote, the reply is bottom-posted or interleaved, and the
unquoted blocks between and after the quotes are what the sender wrote.
"""

import re
from dataclasses import dataclass

_MAX_LINE = 1000  # longer lines are never attribution or separator lines

_QUOTE = re.compile(r"^[ \t]{0,3}>")
_ATTRIBUTION_VERBS = (
    r"wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu|skrev|"
    r"napsal\(a\)|napsal|napisał\(a\)|napisał|написал\(а\)|написал|написала|kirjoitti|"
    r"írta|yazdı|写道|寫道|が書きました"
)
_ATTRIBUTION_START = re.compile(
    r"^(?:On|At|Am|Le|El|Op|Il|Em|Den|Dne|Dnia|W\s+dniu|В|Στις|在|於)\s", re.IGNORECASE
)
# How an attribution wrapped over several lines begins: a start word, a date
# ("2012年4月2日", "02.04.2012", "2022-05-29") or a weekday ("вт, 2 апр.", "Tue, 2 Apr").
_ATTRIBUTION_LEAD = re.compile(
    r"^(?:(?:On|At|Am|Le|El|Op|Il|Em|Den|Dne|Dnia|W\s+dniu|В|Στις|在|於)\s|\d|\w{2,3}\.?,\s)",
    re.IGNORECASE,
)
# Gmail outside English, Yandex, Japanese and Korean webmail: "<date>, <name> <addr>:"
# with no verb, or a short one after the address ("…<bob@example.com>님이 작성:").
_ADDRESS_ATTRIBUTION = re.compile(r"^.{0,300}<[^<>\s@]+@[^<>\s]+>.{0,30}[:：]$")
# "On <date>, <name> wrote:" — the verb ends the line.
_ATTRIBUTION = re.compile(rf"^.{{1,400}}?(?:{_ATTRIBUTION_VERBS})\s*[:：]$", re.IGNORECASE)
# "Am <date> schrieb <name>:", "Op <date> schreef <name>:" — the name follows the verb.
_ATTRIBUTION_VERB_FIRST = re.compile(
    r"^(?:Am|Op|Den|On|El|Le)\s.{1,300}?\s(?:schrieb|schreef|skrev|wrote|escribió|écrivait)"
    r"\s.{1,200}?[:：]$",
    re.IGNORECASE,
)
_SEPARATOR_WORDS = (
    r"original\s+message|original|forwarded\s+message|forwarded\s+e-?mail|"
    r"ursprüngliche\s+nachricht|original-nachricht|weitergeleitete\s+nachricht|"
    r"message\s+d'origine|message\s+transféré|mensaje\s+original|mensaje\s+reenviado|"
    r"messaggio\s+originale|messaggio\s+inoltrato|oorspronkelijk\s+bericht|"
    r"doorgestuurd\s+bericht|opprinnelig\s+melding|ursprungligt\s+meddelande|"
    r"původní\s+zpráva|přeposlaná\s+zpráva|исходное\s+сообщение|пересылаемое\s+сообщение|"
    r"原始邮件|原始郵件|原始信息|转发邮件信息|轉寄郵件|元のメッセージ|転送されたメッセージ"
)
_SEPARATOR = re.compile(rf"^\s*[-_=*]{{2,}}\s*(?:{_SEPARATOR_WORDS})\s*[-_=*]*\s*$", re.IGNORECASE)
_FORWARD_INTRO = re.compile(
    r"^\s*(?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht|"
    r"début\s+du\s+message\s+réexpédié|inicio\s+del\s+mensaje\s+reenviado)\s*:\s*$",
    re.IGNORECASE,
)
_FORWARD_WORDS = re.compile(
    r"forward|weitergeleitet|transféré|réexpédié|reenviado|inoltrato|doorgestuurd|přeposlan|"
    r"пересыла|转发|轉寄|転送",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_LIST_FOOTER = re.compile(r"mailing\s+list|list\s+info|unsubscribe|listinfo", re.IGNORECASE)
_RULE = re.compile(r"^\s*(?:[-_=*]\s*){3,}$")
_HEADER_FROM = re.compile(
    r"^\s*\*?(?:From|Von|De|Van|Da|Fra|Från|Od|Від|От|Kimden|Feladó|Lähettäjä|보낸\s*사람|"
    r"发件人|寄件者|差出人)\s*\*?\s*[:：]\s*\*?\s*\S",
    re.IGNORECASE,
)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(?:Sent|Date|To|Cc|Subject|Gesendet|Datum|An|Betreff|Envoyé|Objet|À|Enviado|"
    r"Fecha|Para|Asunto|Inviato|Oggetto|Verzonden|Onderwerp|Aan|Odesláno|Předmět|Komu|"
    r"Отправлено|Тема|Кому|Дата|Kime|Tarih|Konu|Gönderildi|Címzett|Tárgy|Dátum|Elküldve|"
    r"Lähetetty|Vastaanottaja|Aihe|받는\s*사람|보낸\s*날짜|날짜|제목|Wysłano|Temat|Do|DW|"
    r"Sendt|Til|Emne|Skickat|Till|Ämne|Enviada|Assunto|"
    r"发送时间|收件人|主题|抄送|日期|寄件日期|主旨|送信日時|件名|宛先)"
    r"\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent\s+from\s+my\s+\S.{0,40}|sent\s+from\s+(?:mail|outlook|yahoo\s+mail|"
    r"aol\s+mobile\s+mail|samsung\s+mobile|windows\s+mail)\b.{0,80}|"
    r"sent\s+(?:via|with)\s+\S.{0,40}(?:mobile|iphone|android|blackberry|proton\s?mail)\S*|"
    r"get\s+outlook\s+for\s+(?:ios|android)\b.{0,80}|von\s+meinem\s+.{1,40}\s+gesendet|"
    r"gesendet\s+von\s+meinem\s+.{1,40}|envoyé\s+de\s+mon\s+.{1,40}|"
    r"enviado\s+desde\s+mi\s+.{1,40}|inviato\s+da(?:l\s+mio)?\s+.{1,40}|"
    r"verzonden\s+(?:vanaf|met)\s+(?:mijn\s+)?.{1,40}|отправлено\s+с\s+.{1,40}|"
    r"发送自.{1,120}|從我的.{1,30}傳送|iPhoneから送信)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Boundary:
    index: int
    kind: str  # "quote", "attribution", "forward", "original", "headers", "footer"


def _is_quote(line: str) -> bool:
    return bool(_QUOTE.match(line))


def _next_nonblank(lines: list[str], start: int, limit: int = 3) -> list[int]:
    found = []
    for index in range(start, min(len(lines), start + 12)):
        if lines[index].strip():
            found.append(index)
            if len(found) == limit:
                break
    return found


def _attribution_span(lines: list[str], index: int) -> int:
    """Number of lines of the attribution starting at ``index`` (wrapped over up to 3), or 0."""
    first = lines[index].strip()
    if not first or len(first) > _MAX_LINE or _is_quote(first):
        return 0
    for span in (1, 2, 3):
        chunk = lines[index : index + span]
        if len(chunk) < span or any(not line.strip() or _is_quote(line) for line in chunk):
            return 0
        candidate = " ".join(line.strip() for line in chunk)
        if len(candidate) > 500:
            return 0
        # A wrapped attribution starts like one: "Thanks.\nOn … wrote:" is a reply line
        # followed by a one-line attribution, not a two-line attribution.
        if span > 1 and not _ATTRIBUTION_LEAD.match(first):
            return 0
        by_verb = _ATTRIBUTION.match(candidate) or _ATTRIBUTION_VERB_FIRST.match(candidate)
        by_address = _ADDRESS_ATTRIBUTION.match(candidate)
        if not (by_verb or by_address):
            continue
        following = _next_nonblank(lines, index + span, 1)
        quoted_next = bool(following) and _is_quote(lines[following[0]])
        dated = bool(re.search(r"\d", candidate))
        if quoted_next or (dated and _ATTRIBUTION_LEAD.match(candidate)):
            return span
    return 0


def _header_block_at(lines: list[str], index: int) -> bool:
    """An Outlook-style block of the quoted message's headers starts here: a From line
    followed by another header, or (GMX, web.de, Outlook on the web in some languages)
    another header first with the From line among the next few."""
    line = lines[index]
    if len(line) > _MAX_LINE:
        return False
    following = _next_nonblank(lines, index + 1, 4)
    if _HEADER_FROM.match(line):
        return any(_HEADER_OTHER.match(lines[other]) for other in following)
    if not _HEADER_OTHER.match(line):
        return False
    headers = [other for other in following[:3] if _HEADER_OTHER.match(lines[other])]
    has_from = any(_HEADER_FROM.match(lines[other]) for other in following[:3])
    return has_from and len(headers) >= 1


def _find_boundary(lines: list[str]) -> _Boundary | None:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _is_quote(line):
            return _Boundary(index, "quote")
        if len(stripped) > _MAX_LINE:
            continue
        if _SEPARATOR.match(stripped) or _FORWARD_INTRO.match(stripped):
            kind = "forward" if _FORWARD_WORDS.search(stripped) else "original"
            return _Boundary(index, kind)
        if _UNDERSCORES.match(stripped):
            following = _next_nonblank(lines, index + 1, 2)
            if any(_header_block_at(lines, other) for other in following):
                return _Boundary(index, "headers")
            if following and _LIST_FOOTER.search(lines[following[0]]):
                return _Boundary(index, "footer")
        if _header_block_at(lines, index):
            return _Boundary(index, "headers")
        if _attribution_span(lines, index):
            return _Boundary(index, "attribution")
    return None


def _trim(lines: list[str]) -> list[str]:
    """Drop trailing mobile signatures, rules and blank lines; drop leading blank lines."""
    lines = list(lines)
    while lines and (
        not lines[-1].strip() or _MOBILE_SIGNATURE.match(lines[-1]) or _RULE.match(lines[-1])
    ):
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _replies_between_quotes(lines: list[str], start: int) -> tuple[list[list[str]], bool]:
    """Unquoted blocks after ``start``; also whether any of them is followed by more quotes."""
    blocks: list[list[str]] = []
    current: list[str] = []
    sandwiched = False
    skip_until = start
    for index in range(start, len(lines)):
        if index < skip_until:
            continue
        line = lines[index]
        stripped = line.strip()
        if _is_quote(line):
            if any(part.strip() for part in current):
                blocks.append(current)
                sandwiched = True
            current = []
            continue
        if stripped and len(stripped) <= _MAX_LINE:
            span = _attribution_span(lines, index)
            if span:
                skip_until = index + span
                continue
            if (
                _SEPARATOR.match(stripped)
                or _FORWARD_INTRO.match(stripped)
                or _UNDERSCORES.match(stripped)
                or _header_block_at(lines, index)
            ):
                break
        current.append(line)
    if any(part.strip() for part in current):
        blocks.append(current)
    return blocks, sandwiched


def extract_new_text(text: str) -> str:
    """What the sender wrote in ``text``, without quoted history, forwards and mobile footers."""
    lines = text.split("\n")
    boundary = _find_boundary(lines)
    if boundary is None:
        return "\n".join(_trim(lines))
    above = _trim(lines[: boundary.index])
    if boundary.kind not in {"quote", "attribution"}:
        return "\n".join(above)
    blocks, sandwiched = _replies_between_quotes(lines, boundary.index)
    if above and not sandwiched:
        return "\n".join(above)
    if boundary.kind == "attribution" and not any(
        _is_quote(line) for line in lines[boundary.index : boundary.index + 40]
    ):
        return "\n".join(above)
    parts = [above] if above else []
    parts.extend(_trim(block) for block in blocks)
    return "\n\n".join("\n".join(part) for part in parts if part)
