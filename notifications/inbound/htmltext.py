"""HTML bodies: plain text for the case timeline, sanitised HTML for display."""

import re
from html import unescape
from html.parser import HTMLParser

import nh3

_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "dl", "address"}
)
_LINE = frozenset(
    {"div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "center", "caption"}
)
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid"}
_CLEAN_CONTENT = frozenset({"script", "style", "title", "head", "noscript", "template"})


class _TextExtractor(HTMLParser):
    """Collects text as lines, each with the blockquote depth it was written at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._current: list[str] = []
        self._current_has_text = False
        self._current_depth = 0
        self._quote_depth = 0
        self._pre_depth = 0
        self._pending_blank = False

    def _break(self, blank: bool = False) -> None:
        if self._current_has_text:
            if self._pending_blank and self.lines:
                # A blank line between two depths belongs to the shallower one.
                self.lines.append((min(self.lines[-1][0], self._current_depth), ""))
            self.lines.append((self._current_depth, "".join(self._current).strip()))
            self._pending_blank = False
        self._current = []
        self._current_has_text = False
        if blank:
            self._pending_blank = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._break()
        elif tag == "hr":
            self._break(blank=True)
            self._write("---")
            self._break(blank=True)
        elif tag == "blockquote":
            self._break(blank=True)
            self._quote_depth += 1
        elif tag in _PARAGRAPH:
            self._break(blank=True)
            self._pre_depth += tag == "pre"
        elif tag in _LINE:
            self._break()
        elif tag in {"td", "th"}:
            self._current.append(" ")
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self._break(blank=True)
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag in _PARAGRAPH:
            self._break(blank=True)
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)
        elif tag in _LINE:
            self._break()

    def _write(self, text: str) -> None:
        if not self._current_has_text and text.strip():
            self._current_depth = self._quote_depth
            self._current_has_text = True
        self._current.append(text)

    def handle_data(self, data: str) -> None:
        if not self._pre_depth:
            self._write(_SPACES.sub(" ", data))
            return
        first, *rest = data.split("\n")
        self._write(first)
        for line in rest:
            self._break()
            self._write(line)

    def text(self) -> str:
        self._break()
        rendered = []
        for depth, line in self.lines:
            prefix = "> " * depth if line else ">" * depth
            rendered.append((prefix + line).rstrip())
        return "\n".join(rendered).strip("\n")


# Tags that never or rarely close, ignored when measuring nesting depth.
_UNNESTED = frozenset(
    {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
    | {"p", "li", "td", "th", "tr", "option", "dt", "dd", "o:p"}
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)")
_ANY_TAG = re.compile(r"<[^<>]*>")
_DATA_URI = re.compile(r"data:[^\s\"'<>]{200,}", re.IGNORECASE)
_BARE_AMPERSAND = re.compile(r"&(?!#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
# html5ever (inside nh3) slows down more than linearly with nesting depth, and with
# character references; real mail stays far below these limits.
MAX_NESTING = 400
MAX_HTML_CHARS = 1_000_000


def _nesting_depth(html: str) -> int:
    depth = deepest = 0
    for match in _TAG.finditer(html):
        if match.group(2).lower() in _UNNESTED:
            continue
        depth = max(0, depth - 1) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def sanitize_html(html: str) -> str:
    """HTML safe to show in the portal; ``cid:`` image sources survive for inline images."""
    return nh3.clean(
        html.replace("\x00", ""), url_schemes=_URL_SCHEMES, clean_content_tags=_CLEAN_CONTENT
    )


def _text_of_clean_html(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", parser.text())


def render_html(html: str) -> tuple[str, str, str]:
    """(sanitised HTML, readable text, problem) for one HTML body.

    Text is taken from the sanitised HTML: html5ever has already repaired the markup, and
    the standard library's HTMLParser is quadratic on some malformed input but not on that.
    Scripts and styles are dropped; paragraphs, line breaks and blockquotes (as "> ") kept.
    """
    html = _DATA_URI.sub("data:,", html.replace("\x00", ""))  # nh3 drops data: URLs anyway
    html = _BARE_AMPERSAND.sub("&amp;", html)
    problem = ""
    if len(html) > MAX_HTML_CHARS:
        problem = f"HTML body over {MAX_HTML_CHARS} characters"
    elif _nesting_depth(html) > MAX_NESTING:
        problem = f"HTML nested deeper than {MAX_NESTING} levels"
    if problem:
        text = _SPACES.sub(" ", unescape(_ANY_TAG.sub(" ", html))).strip()
        return "", text, f"{problem}: kept as flat text only"
    clean = sanitize_html(html)
    return clean, _text_of_clean_html(clean), ""
