"""Text with its secrets taken out: for staff pages that show what the desk mailed, for
stored error messages, and for every log line.

A password-reset, invitation or survey link, the reply token of a plus-address, an API
key: none may be read after it was made. `redact` takes out every link (whatever it
points at, since a template may put a secret in any of them), the detail of a
plus-address, and any long opaque word that looks like a token.
"""

import logging
import re
from typing import Any

LINK_REDACTED = "[link redacted]"
TOKEN_REDACTED = "[token redacted]"  # noqa: S105 (a placeholder, not a password)

_LINK = re.compile(r"""\b(?:[a-z][a-z0-9+.-]*://|mailto:|www\.)[^\s<>"'()]+""", re.I)
_PLUS_DETAIL = re.compile(r"(?<=[\w.%-])\+[^@\s<>\"']+(?=@)")
# A word of 24 or more token characters with a digit and a letter in it: a signed value,
# a password-reset token (also inside a bare path), an API key. Prose, case references
# and Message-IDs (digits and dots) do not look like that.
_TOKEN = re.compile(r"(?<![\w.:=+-])(?=[\w.:=+-]*\d)(?=[\w.:=+-]*[a-z])[\w.:=+-]{24,}", re.I)


def redact(text: str) -> str:
    """`text` with links, plus-address details and token-like words replaced."""
    text = _LINK.sub(LINK_REDACTED, text)
    text = _PLUS_DETAIL.sub("+" + TOKEN_REDACTED, text)
    return _TOKEN.sub(TOKEN_REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats a record as `inner` does (by default as logging.Formatter would), then
    redacts the whole line, traceback included: an exception's message may quote a link."""

    def __init__(self, *args: Any, inner: logging.Formatter | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        formatted = self.inner.format(record) if self.inner is not None else super().format(record)
        return redact(formatted)


def redact_handlers(logger: logging.Logger) -> None:
    """Make every handler of `logger` redact what it writes (for loggers set up by others,
    such as Celery's worker)."""
    for handler in logger.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(inner=handler.formatter))
