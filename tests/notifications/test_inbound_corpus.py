"""Acceptance test: the parser against two sets of mail, each with an INDEX.md of facts.

Our own samples (tests/data/email, written for the project) run always. The shared corpus
of real-world mail lives beside the checkout (``shared/email-corpus``) or where
``SUPPORTDESK_EMAIL_CORPUS`` points; it is read in place, never copied into the project,
and its tests skip when it is absent. Every fact comes from an INDEX.md table, one test
per file per fact.
"""

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from notifications.inbound import InboundMessage, parse_message


def _corpus_dir() -> Path:
    configured = os.environ.get("SUPPORTDESK_EMAIL_CORPUS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "email-corpus"


CORPUS = _corpus_dir()
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "email"
_ROW = re.compile(r"^\| \d\d \|")
_PLAIN_ADDRESS = re.compile(r"^[^\s@\"]+@[^\s@\"]+$")


@dataclass(frozen=True)
class Row:
    folder: Path
    file: str
    notes: str
    sender: str  # "(none)" when the message has no From header
    subject: str  # "(none)" when the message has no Subject header
    kind: str  # "no", "auto-reply" or "bounce"
    list_mail: bool
    attachments: int
    inline: int
    first_line: str  # "—" (not a reply/forward), "(empty)" or the expected line

    @property
    def ideal_subject(self) -> str | None:
        match = re.search(r'ideal\b[^"]*\bsubject "([^"]+)"', self.notes)
        return match.group(1) if match else None

    @property
    def ideal_display_name(self) -> str | None:
        match = re.search(r'ideal display name "([^"]+)"', self.notes)
        return match.group(1) if match else None

    @property
    def body_start(self) -> str | None:
        match = re.search(r'\b[Bb]ody(?: starts)?:? "([^"]+)"', self.notes)
        return match.group(1) if match else None

    @property
    def returned_message_id(self) -> str | None:
        match = re.search(r"returned message's Message-ID (<[^>\s]+>)", self.notes)
        return match.group(1) if match else None


def _ticked(cell: str) -> str:
    found = re.findall(r"`([^`]*)`", cell)
    return found[0] if found else cell


def _read_index(folder: Path) -> list[Row]:
    path = folder / "INDEX.md"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not _ROW.match(line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        _number, file_cell, _source, notes, sender, subject, case, attachments, first = cells
        counts = re.match(r"^(\d+) \((\d+) inline\)$", attachments)
        assert counts, f"bad Attachments cell {attachments!r}"
        rows.append(
            Row(
                folder=folder,
                file=_ticked(file_cell),
                notes=notes,
                sender=_ticked(sender),
                subject=_ticked(subject),
                kind=case.split(":")[0].split("(")[0].strip(),
                list_mail="Precedence: list" in case,
                attachments=int(counts.group(1)),
                inline=int(counts.group(2)),
                first_line=_ticked(first),
            )
        )
    return rows


OUR_ROWS = _read_index(SAMPLES)
ROWS = _read_index(CORPUS)
NO_CORPUS = pytest.param(
    None,
    id="no-corpus",
    marks=pytest.mark.skip(
        reason=f"email corpus not found at {CORPUS}; set SUPPORTDESK_EMAIL_CORPUS to run it"
    ),
)
# (file, fact) pairs the parser cannot meet yet, each with its reason. Keep this empty.
XFAIL: dict[tuple[str, str], str] = {}


def rows_for(fact: str, only: Callable[[Row], object] = bool) -> list:
    ours = [
        pytest.param(row, id=f"ours-{row.file.removesuffix('.eml')}")
        for row in OUR_ROWS
        if only(row)
    ]
    if not ROWS:
        return [*ours, NO_CORPUS]
    return ours + [
        pytest.param(
            row,
            id=row.file.removesuffix(".eml"),
            marks=[pytest.mark.xfail(reason=XFAIL[row.file, fact], strict=True)]
            if (row.file, fact) in XFAIL
            else [],
        )
        for row in ROWS
        if only(row)
    ]


@cache
def parsed(row: Row) -> InboundMessage:
    return parse_message((row.folder / row.file).read_bytes())


def first_nonblank_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def test_our_samples_are_always_there() -> None:
    assert len(OUR_ROWS) >= 8, f"{SAMPLES / 'INDEX.md'} lists too few samples"


@pytest.mark.parametrize("folder", [SAMPLES, CORPUS], ids=["ours", "shared"])
def test_index_lists_every_file_of_the_corpus(folder: Path) -> None:
    rows = _read_index(folder)
    if not rows:
        pytest.skip(f"email corpus not found at {folder}")
    on_disk = sorted(path.name for path in folder.glob("*.eml"))
    assert sorted(row.file for row in rows) == on_disk


@pytest.mark.parametrize("row", rows_for("parse"))
def test_parsing_never_fails_and_strips_nul(row: Row, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="notifications.inbound"):
        message = parse_message((row.folder / row.file).read_bytes())
    assert not any(problem.startswith("unparseable message") for problem in message.problems)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    fields = [message.text, message.new_text, message.html, message.subject, message.sender_name]
    fields += [attachment.filename for attachment in message.attachments]
    assert all("\x00" not in field for field in fields)
    assert message.size == (row.folder / row.file).stat().st_size


@pytest.mark.parametrize("row", rows_for("sender"))
def test_sender(row: Row) -> None:
    message = parsed(row)
    if row.sender == "(none)":
        assert message.sender_email == ""
        assert any("From" in problem for problem in message.problems)
    else:
        assert message.sender_email == row.sender.lower()
    if row.ideal_display_name:
        assert message.sender_name == row.ideal_display_name


@pytest.mark.parametrize("row", rows_for("subject"))
def test_subject(row: Row) -> None:
    message = parsed(row)
    expected = "" if row.subject == "(none)" else row.subject
    # Where INDEX gives an ideal value (raw 8-bit header), Python's U+FFFD rendering or the
    # ideal are both acceptable.
    assert message.subject in {expected, row.ideal_subject}


@pytest.mark.parametrize("row", rows_for("classification"))
def test_classification(row: Row) -> None:
    message = parsed(row)
    assert message.is_auto_reply == (row.kind == "auto-reply"), message.classification_reason
    assert message.is_bounce == (row.kind == "bounce"), message.classification_reason
    assert message.is_list_mail == row.list_mail
    plain_sender = bool(_PLAIN_ADDRESS.match(row.sender))
    expected_ack = row.kind == "no" and not row.list_mail and plain_sender
    assert message.should_auto_acknowledge == expected_ack
    if row.kind == "bounce":
        assert message.bounced_message_ids
        if row.returned_message_id:
            assert message.bounced_message_ids[0] == row.returned_message_id
    else:
        assert message.bounced_message_ids == []


@pytest.mark.parametrize("row", rows_for("attachments"))
def test_attachment_counts(row: Row) -> None:
    message = parsed(row)
    described = [(a.filename, a.content_type, a.inline) for a in message.attachments]
    assert len(message.attachments) == row.attachments, described
    assert len(message.inline_images) == row.inline, described
    assert all(attachment.filename for attachment in message.attachments)


@pytest.mark.parametrize("row", rows_for("new_text"))
def test_first_line_of_new_text(row: Row) -> None:
    message = parsed(row)
    if row.first_line == "(empty)":
        assert message.new_text.strip() == ""
    elif row.first_line == "—":
        # Not a reply or forward: quote stripping must not lose the opening line.
        assert first_nonblank_line(message.new_text) == first_nonblank_line(message.text)
    else:
        assert first_nonblank_line(message.new_text).startswith(row.first_line)
        assert not any(line.startswith(">") for line in message.new_text.splitlines())


@pytest.mark.parametrize("row", rows_for("body", only=lambda row: row.body_start))
def test_body_text_where_index_quotes_it(row: Row) -> None:
    message = parsed(row)
    assert " ".join(message.text.split()).startswith(" ".join(row.body_start.split()))
