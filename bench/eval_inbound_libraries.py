"""The desk's hand-written inbound mail rules beside the maintained libraries that could
replace them.

- Quote stripping against mail-parser-reply, on two sets: the attribution styles of
  tests/notifications/test_quote_styles.py (each with and without a blank line before the
  quote; written for the desk, so read it as a regression check) and the shared corpus's
  "first line of new text" facts (../shared/email-corpus/INDEX.md, read by path).
- Guessing the charset of undeclared 8-bit header bytes against charset-normalizer, on the
  corpus messages whose headers carry such bytes; what the desk then shows is the subject.

    .venv/bin/pip install --target /tmp/mpr mail-parser-reply==1.36
    PYTHONPATH=/tmp/mpr .venv/bin/python bench/eval_inbound_libraries.py
"""

import importlib.util
import os
import re
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
django.setup()

import charset_normalizer  # noqa: E402
from mailparser_reply import EmailReplyParser  # noqa: E402

from notifications.inbound import parse_message  # noqa: E402
from notifications.inbound.charsets import guess_8bit_charset  # noqa: E402
from notifications.inbound.quotes import extract_new_text  # noqa: E402

CORPUS = Path(os.environ.get("SUPPORTDESK_EMAIL_CORPUS", ROOT.parent / "shared" / "email-corpus"))
LANGUAGES = ["en", "de", "fr", "es", "ru", "ja", "zh", "it", "nl", "pl", "sv"]


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _styles() -> tuple[int, int, int]:
    spec = importlib.util.spec_from_file_location(
        "styles", ROOT / "tests" / "notifications" / "test_quote_styles.py"
    )
    styles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(styles)
    library = EmailReplyParser(languages=LANGUAGES)
    ours = theirs = total = 0
    for tail in styles.TOP_POSTED.values():
        for gap in ("\n", "\n\n"):
            text = styles.NEW + gap + tail
            total += 1
            ours += extract_new_text(text) == styles.NEW
            theirs += library.parse_reply(text=text).strip() == styles.NEW
    return ours, theirs, total


def _corpus() -> tuple[int, int, int]:
    library = EmailReplyParser(languages=LANGUAGES)
    ours = theirs = total = 0
    for row in (CORPUS / "INDEX.md").read_text(encoding="utf-8").splitlines():
        if not re.match(r"^\| \d\d \|", row):
            continue
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        wanted = re.match(r"`(.*?)`", cells[-1])
        if not wanted:
            continue
        want = "" if wanted.group(1) == "(empty)" else wanted.group(1)
        parsed = parse_message((CORPUS / cells[1].strip("`")).read_bytes())
        total += 1
        ours += _first_line(parsed.new_text).startswith(want) if want else not parsed.new_text
        found = _first_line(library.parse_reply(text=parsed.text))
        theirs += found.startswith(want) if want else not found
    return ours, theirs, total


def _charsets() -> None:
    for path in sorted(CORPUS.glob("*.eml")):
        header = path.read_bytes().split(b"\n\n", 1)[0]
        undeclared = b" ".join(re.findall(rb"[^\n]*[\x80-\xff][^\n]*", header))
        if not undeclared:
            continue
        best = charset_normalizer.from_bytes(undeclared).best()
        print(
            f"charset {path.name[:44]}: desk {guess_8bit_charset(undeclared)}, "
            f"charset-normalizer {best.encoding if best else None}; "
            f"subject shown: {parse_message(path.read_bytes()).subject[:40]!r}"
        )


if __name__ == "__main__":
    _charsets()
    for name, (ours, theirs, total) in (("styles", _styles()), ("corpus", _corpus())):
        print(f"{name}: desk {ours}/{total}, mail-parser-reply {theirs}/{total}")
