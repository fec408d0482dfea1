"""The inbound parser on hand-written fixtures (tests/data/email/parser) and inline mail."""

import base64
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from notifications.inbound import DEFAULT_MAX_BYTES, InboundMessage, parse_message
from notifications.inbound.charsets import decode_bytes, guess_8bit_charset
from notifications.inbound.headers import decode_encoded_words
from notifications.inbound.htmltext import render_html
from notifications.inbound.quotes import extract_new_text
from notifications.reply_tokens import make_reply_token, read_reply_token

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "email" / "parser"


def load(name: str) -> InboundMessage:
    return parse_message((FIXTURES / name).read_bytes())


def mail(*headers: str, body: str = "Hello support.", content_type: str = "") -> bytes:
    """A small message; ``headers`` replace the defaults of the same name."""
    defaults = {
        "From": "Ann Example <ann@acme.test>",
        "To": "support@supportdesk.test",
        "Subject": "Export fails",
        "Date": "Mon, 17 Mar 2025 09:00:00 +0000",
        "Message-ID": "<inline-1@acme.test>",
    }
    for header in headers:
        name, _, value = header.partition(":")
        defaults[name.strip()] = value.strip()
    if content_type:
        defaults["Content-Type"] = content_type
    lines = [f"{name}: {value}" for name, value in defaults.items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


def no_nul(message: InboundMessage) -> bool:
    fields = [message.text, message.new_text, message.html, message.subject]
    fields += [message.sender_name, message.sender_email, *message.problems]
    fields += [attachment.filename for attachment in message.attachments]
    return all("\x00" not in field for field in fields)


# --- replies and quotes ----------------------------------------------------------------------


def test_gmail_reply_keeps_what_the_sender_wrote_and_its_threading_headers() -> None:
    message = load("reply-gmail-top-posted.eml")
    assert message.sender_email == "ann@acme.test"
    assert message.sender_name == "Ann Example"
    assert message.to == ["support@supportdesk.test"]
    assert message.cc == ["bob@acme.test", "ops@acme.test"]
    assert message.subject == "Re: [ACME-42] Export fails with a timeout"
    assert message.message_id == "<CAF+reply-1@mail.gmail.com>"
    assert message.in_reply_to == "<case-42-update-3@supportdesk.test>"
    assert message.references == [
        "<case-42-created@supportdesk.test>",
        "<case-42-update-3@supportdesk.test>",
    ]
    assert message.thread_message_ids[0] == "<case-42-update-3@supportdesk.test>"
    assert message.date == datetime(2025, 3, 4, 8, 15, tzinfo=UTC)
    # The attribution is split by a quoted-printable soft break; "Sent from my iPhone" goes.
    assert message.new_text == (
        "The export still fails after the restart.\nLogs are attached to the portal."
    )
    assert "> Could you restart the export worker" in message.text
    assert "<blockquote>" in message.html
    assert message.should_auto_acknowledge
    assert message.problems == []


def test_outlook_reply_is_cut_at_the_underscore_and_header_block() -> None:
    message = load("reply-outlook-underscore-block.eml")
    assert message.new_text == "Hi team,\n\nThe new certificate is uploaded.\n\nRegards,\nJo"


def test_outlook_html_only_reply_is_cut_at_the_from_sent_block() -> None:
    html = (
        "<p>Uploaded.</p><hr><div><b>From:</b> SupportDesk<br><b>Sent:</b> Thursday<br>"
        "<b>Subject:</b> Certificate</div><p>Please upload it.</p>"
    )
    message = parse_message(mail(body=html, content_type="text/html; charset=utf-8"))
    assert message.new_text == "Uploaded."


def test_a_forward_is_not_threaded_into_the_forwarded_conversation() -> None:
    message = parse_message(
        mail(
            "Subject: Fwd: Invoice export broken",
            "In-Reply-To: <original@acme.test>",
            "References: <older@supportdesk.test> <original@acme.test>",
            "X-Forwarded-Message-Id: <original@acme.test>",
            body="FYI\r\n\r\n-------- Forwarded Message --------\r\nSubject: x\r\n\r\nbody",
        )
    )
    assert message.in_reply_to == "<original@acme.test>"
    assert message.forwarded_message_ids == ["<original@acme.test>"]
    assert message.thread_message_ids == ["<older@supportdesk.test>"]


def test_forward_chain_keeps_only_the_forwarders_note() -> None:
    message = load("forward-gmail-chain.eml")
    assert message.new_text == "Please look at the customer's report below."
    assert "The invoice export produces empty files" in message.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Fixed.\n\nOn Tue, 4 Mar 2025, Bob wrote:\n> broken?", "Fixed.", id="gmail"),
        pytest.param(
            "Fixed.\n\nOn Tue, 4 Mar 2025 at 10:00, Bob Example\n<bob@acme.test> wrote:\n\n> x",
            "Fixed.",
            id="attribution-wrapped-over-two-lines",
        ),
        pytest.param(
            "Erledigt.\n\nAm 04.03.25 um 10:00 schrieb Bob Example:\n> kaputt?",
            "Erledigt.",
            id="german-attribution",
        ),
        pytest.param(
            "Corrigé.\n\nLe 4 mars 2025 à 10:00, Bob a écrit :\n> cassé ?",
            "Corrigé.",
            id="french-attribution",
        ),
        pytest.param(
            "Done.\n\n-----Original Message-----\nFrom: Bob\nSent: Tuesday\n\nbroken?",
            "Done.",
            id="outlook-original-message",
        ),
        pytest.param(
            "Done.\n\n----- Original Message -----\nFrom: Bob\nTo: Ann\n\nbroken?",
            "Done.",
            id="yahoo-original-message",
        ),
        pytest.param(
            "好的。\n\n------------------ 原始邮件 ------------------\n发件人: Bob\n\n坏了？",
            "好的。",
            id="qqmail-original",
        ),
        pytest.param(
            "Thanks\n\n" + "_" * 32 + "\nVon: Bob\nGesendet: Dienstag\nAn: Ann\n\nx",
            "Thanks",
            id="outlook-german-header-block",
        ),
        pytest.param(
            "\n-------- Forwarded Message --------\nSubject: x\nFrom: Bob\n\nbody",
            "",
            id="forward-without-note",
        ),
        pytest.param(
            "Begin forwarded message:\n\nFrom: Bob\nSubject: x\n\nbody", "", id="apple-forward"
        ),
        pytest.param(
            "On Tue, 4 Mar 2025, Bob wrote:\n> Is it fixed?\n> Really?\n\nYes, since today.",
            "Yes, since today.",
            id="bottom-posted",
        ),
        pytest.param(
            "Hi,\n\n> first question?\nFirst answer.\n\n> second question?\nSecond answer.",
            "Hi,\n\nFirst answer.\n\nSecond answer.",
            id="interleaved",
        ),
        pytest.param(
            "Works now.\n\nVon meinem iPhone gesendet\n\nAm 04.03.2025 um 10:00 schrieb Bob:\n> ?",
            "Works now.",
            id="german-mobile-signature",
        ),
        pytest.param(
            "On Monday I restarted the server.\nIt wrote: nothing at all.",
            "On Monday I restarted the server.\nIt wrote: nothing at all.",
            id="no-boundary",
        ),
        pytest.param(
            "Question?\n\n_______________________________________________\nusers mailing list",
            "Question?",
            id="mailing-list-footer",
        ),
    ],
)
def test_new_text_strips_quotes_forwards_and_signatures(text: str, expected: str) -> None:
    assert extract_new_text(text) == expected


def test_html_blockquotes_become_quoted_lines() -> None:
    html = "<p>Yes.</p><div>On Mon, Bob wrote:</div><blockquote>Fixed?</blockquote>"
    _, text, _ = render_html(html)
    assert text == "Yes.\n\nOn Mon, Bob wrote:\n\n> Fixed?"
    assert extract_new_text(text) == "Yes."


def test_format_flowed_lines_are_joined() -> None:
    body = "This line is soft \r\nbroken here.\r\n> quoted soft \r\n> line\r\n"
    message = parse_message(mail(body=body, content_type="text/plain; format=flowed"))
    assert message.text.splitlines()[:2] == ["This line is soft broken here.", "> quoted soft line"]


def test_html_entities_in_a_plain_part_are_decoded() -> None:
    body = "Please&nbsp;check.\r\n&gt; quoted&nbsp;line\r\n"
    message = parse_message(mail(body=body, content_type="text/plain; charset=utf-8"))
    assert message.text == "Please check.\n> quoted line"
    assert message.new_text == "Please check."


# --- HTML ------------------------------------------------------------------------------------


def test_html_only_mail_is_sanitised_and_turned_into_paragraph_text() -> None:
    message = load("html-only-with-script.eml")
    for dangerous in ("<script", "alert", "stolen cookie", "onload", "javascript:"):
        assert dangerous not in message.html
        assert dangerous not in message.text
    assert "Ignore this title" not in message.text
    assert 'href="https://status.globex.test/"' in message.html
    assert message.text.startswith(
        "Hello support,\n\nThe dashboard has been blank since this morning.\nBrowser: Firefox 135"
    )
    assert "Production\nSandbox" in message.text
    assert message.new_text == message.text


def test_a_stub_plain_alternative_yields_to_the_html_one() -> None:
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nru\r\n"
        "--b\r\nContent-Type: text/html\r\n\r\n<p>The real message is only in the HTML part, "
        "which Outlook filled while the plain part stayed a stub.</p>\r\n--b--\r\n"
    )
    message = parse_message(mail(body=body, content_type='multipart/alternative; boundary="b"'))
    assert message.text.startswith("The real message is only in the HTML part")


# --- attachments -----------------------------------------------------------------------------


def test_attachments_follow_the_corpus_rule_with_decoded_safe_names() -> None:
    message = load("attachments-rfc2231-inline-and-forwarded.eml")
    assert message.subject == "Prüfbericht and screenshots"
    assert message.text == "See the report and the screenshot."
    names = [attachment.filename for attachment in message.attachments]
    assert names == [
        "shot.png",
        "Prüfbericht März.pdf",  # RFC 2231 filename*=UTF-8''…
        "Résumé.bin",  # RFC 2047 in name= only
        "attachment-4.txt",  # text/plain with disposition attachment and no name
        "passwd",  # "../../etc/passwd" loses its path
        "Original complaint.eml",  # message/rfc822 is kept whole, named by its subject
    ]
    shot = message.attachments[0]
    assert shot.inline
    assert (shot.content_id, shot.content_type) == ("shot1@acme.test", "image/png")
    assert 'src="cid:shot1@acme.test"' in message.html
    assert [attachment.inline for attachment in message.attachments[1:]] == [False] * 5
    assert message.files == message.attachments[1:]
    assert message.attachments[1].content.startswith(b"%PDF-1.4")
    assert message.attachments[2].content == b"\x00\x01\x02\x03\x04"
    assert b"Subject: Original complaint" in message.attachments[5].content


def test_an_attachment_only_message_has_empty_text() -> None:
    body = (
        "--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n"
        "--m\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; "
        'filename="logs.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsFBg==\r\n--m--\r\n'
    )
    message = parse_message(mail(body=body, content_type='multipart/mixed; boundary="m"'))
    assert message.text == ""
    assert [(a.filename, a.content) for a in message.attachments] == [("logs.zip", b"PK\x05\x06")]


# --- charsets --------------------------------------------------------------------------------


def test_non_utf8_charsets_are_decoded() -> None:
    message = load("charsets-koi8r-gb2312-iso2022jp-latin9.eml")
    assert message.sender_name == "Дмитрий"
    assert message.subject == "测试邮件"
    assert message.text.split("\n\n") == [
        "Привет из Москвы.",
        "你好，世界。",
        "こんにちは世界。",
        "Preis: 10 € netto.",
    ]


def test_windows_1252_body_and_raw_8bit_display_name() -> None:
    message = load("charset-windows-1252-raw-8bit-from.eml")
    assert message.sender_name == "René Müller"
    assert message.subject == "“Smart” quotes cost 5 €"
    assert message.text == "Grüße “aus” Köln – das kostet 5 €."
    assert any("8-bit" in problem and "From" in problem for problem in message.problems)


def test_a_lying_latin1_label_on_utf8_bytes_is_read_as_utf8() -> None:
    message = load("charset-label-lies-utf8.eml")
    assert message.subject == "Café déjà vu"  # composed, though the fixture has e + U+0301
    assert message.text == "Déjà vu: the label says Latin-1, the bytes are UTF-8 – €."
    assert any("declared charset 'iso-8859-1'" in problem for problem in message.problems)


def test_raw_koi8r_without_any_charset_is_guessed() -> None:
    raw = "Subject: тест\r\nFrom: a@acme.test\r\n\r\nПривет\r\n".encode("koi8-r")
    message = parse_message(raw)
    assert (message.subject, message.text) == ("тест", "Привет")


def test_unknown_charset_falls_back_without_failing() -> None:
    message = parse_message(mail(content_type="text/plain; charset=x-klingon", body="plain ascii"))
    assert message.text == "plain ascii"
    text, problem = decode_bytes(b"caf\xe9", "x-klingon")
    assert (text, problem) == ("café", "unknown charset 'x-klingon', decoded as cp1252")


def test_charset_guess_prefers_a_declared_charset_and_tells_latin_from_cyrillic() -> None:
    assert guess_8bit_charset(b"H\xe5vard", hints=["iso-8859-1"]) == "cp1252"
    assert guess_8bit_charset(b"H\xe5vard M\xfcller") == "cp1252"
    assert guess_8bit_charset("привет мир".encode("koi8-r")) == "koi8_r"
    assert guess_8bit_charset("привет мир".encode("cp1251")) == "cp1251"


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    euro = "€".encode()
    first, rest = base64.b64encode(euro[:1]).decode(), base64.b64encode(euro[1:]).decode()
    value = f"=?utf-8?b?{first}?= =?utf-8?b?{rest}?= now"
    assert decode_encoded_words(value) == "€ now"


# --- classification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: auto_reply",
        "X-Autoreply: yes",
        "X-Autorespond: Vacation",
        "X-Auto-Response-Suppress: OOF, AutoReply",
        "Return-Path: <>",
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=r",
    ],
)
def test_each_auto_reply_header_signal_is_recognised(header: str) -> None:
    message = parse_message(mail(header))
    assert message.is_auto_reply, header
    assert not message.is_bounce
    assert not message.should_auto_acknowledge
    assert message.classification_reason


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Export fails",
        "Out of Office: Re: [GLOBEX-7] Certificate update",
        "AW: Abwesenheitsnotiz: Ihre Anfrage",
        "Automatische Antwort: Test",
        "Autoreply: hello",
        "Away until Monday",
        "Réponse automatique : Votre demande",
        "I am currently out of the office",
    ],
)
def test_vacation_subject_without_headers_is_an_auto_reply(subject: str) -> None:
    message = parse_message(mail(f"Subject: {subject}"))
    assert message.is_auto_reply
    assert not message.should_auto_acknowledge


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply emails are not sent",
        "Out of office calendar sync is broken",
        "Re: away mode setting",
        "Undelivered invoices in the export",
    ],
)
def test_customer_subjects_mentioning_those_words_are_not_auto_replies(subject: str) -> None:
    message = parse_message(mail(f"Subject: {subject}"))
    assert not message.is_auto_reply
    assert not message.is_bounce
    assert message.should_auto_acknowledge


def test_vacation_fixture_without_headers_is_an_auto_reply() -> None:
    message = load("autoreply-vacation-subject-only.eml")
    assert message.is_auto_reply
    assert "subject" in message.classification_reason


def test_auto_submitted_no_is_an_ordinary_message() -> None:
    message = parse_message(mail("Auto-Submitted: no"))
    assert not message.is_auto_reply
    assert message.should_auto_acknowledge


def test_dsn_bounce_names_the_returned_message() -> None:
    message = load("bounce-dsn.eml")
    assert message.is_bounce
    assert not message.is_auto_reply
    assert not message.should_auto_acknowledge
    assert message.bounced_message_ids == [
        "<case-42-ack@supportdesk.test>",
        "<customer-original@acme.test>",
    ]
    assert [a.content_type for a in message.attachments] == [
        "message/delivery-status",
        "text/rfc822-headers",
    ]


def test_plain_text_bounce_from_mailer_daemon_is_recognised() -> None:
    body = (
        "Delivery to the following recipient failed permanently:\r\n\r\n  nobody@acme.test\r\n"
        "\r\n----- Original message -----\r\n\r\nFrom: support@supportdesk.test\r\n"
        "Message-ID: <case-9-ack@supportdesk.test>\r\nSubject: We got it\r\n\r\nThanks\r\n"
    )
    message = parse_message(
        mail(
            "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            "Subject: Delivery Status Notification (Failure)",
            "X-Failed-Recipients: nobody@acme.test",
            body=body,
        )
    )
    assert message.is_bounce
    assert message.bounced_message_ids == ["<case-9-ack@supportdesk.test>"]


def test_postmaster_is_a_bounce_only_with_other_signals() -> None:
    bounce = parse_message(
        mail("From: postmaster@acme.test", "Return-Path: <>", "Subject: Undeliverable: x")
    )
    human = parse_message(mail("From: postmaster@acme.test", "Subject: Our MX changes"))
    assert bounce.is_bounce
    assert not human.is_bounce
    assert not human.is_auto_reply


def test_list_mail_is_processed_but_not_acknowledged() -> None:
    message = load("list-mail.eml")
    assert message.is_list_mail
    assert not message.is_auto_reply
    assert not message.is_bounce
    assert not message.should_auto_acknowledge
    assert message.new_text == "Does the cases endpoint support pagination?"


@pytest.mark.parametrize("sender", ["noreply@acme.test", "do-not-reply@acme.test"])
def test_no_reply_senders_are_not_acknowledged(sender: str) -> None:
    message = parse_message(mail(f"From: {sender}"))
    assert not message.is_auto_reply
    assert not message.should_auto_acknowledge


# --- reply tokens ----------------------------------------------------------------------------


def test_reply_token_is_read_from_the_plus_address() -> None:
    token = make_reply_token(42)
    message = parse_message(mail(f"To: SupportDesk <support+{token}@supportdesk.test>"))
    assert message.reply_token == token
    assert read_reply_token(message.reply_token) == 42


def test_delivered_to_wins_over_cc_and_other_plus_addresses_are_ignored() -> None:
    token = make_reply_token(7)
    other = make_reply_token(8)
    message = parse_message(
        mail(
            f"Delivered-To: support+{token}@supportdesk.test",
            "To: lists+spice-devel@lfdr.de",
            f"Cc: support+{other}@supportdesk.test",
        )
    )
    assert message.reply_token == token
    assert parse_message(mail("To: lists+spice-devel@lfdr.de")).reply_token is None


# --- broken input ----------------------------------------------------------------------------


def test_missing_from_header_is_a_problem_not_an_error() -> None:
    message = load("missing-from.eml")
    assert message.sender_email == ""
    assert message.text == "A message without a From header."
    assert not message.should_auto_acknowledge
    assert "no From header" in message.problems


def test_malformed_sender_is_kept_but_never_acknowledged() -> None:
    message = parse_message(mail('From: "Spam" <power quadrant system@example.com>'))
    assert message.sender_email == '"power quadrant system"@example.com'
    assert not message.should_auto_acknowledge
    assert any("malformed sender" in problem for problem in message.problems)


def test_nul_bytes_are_stripped_everywhere() -> None:
    message = load("nul-bytes.eml")
    assert no_nul(message)
    assert message.subject == "Broken subject"
    assert message.text == "Line with a NUL byte."
    assert "NUL bytes removed" in message.problems


def test_dates_without_zone_are_utc_and_bad_dates_are_none() -> None:
    naive = parse_message(mail("Date: Mon, 17 Mar 2025 09:00:00 -0000"))
    assert naive.date == datetime(2025, 3, 17, 9, 0, tzinfo=UTC)
    zoned = parse_message(mail("Date: Mon, 17 Mar 2025 09:00:00 +0530"))
    assert zoned.date is not None
    assert zoned.date.utcoffset() == timedelta(hours=5, minutes=30)
    bad = parse_message(mail("Date: yesterday-ish"))
    assert bad.date is None
    assert any("Date" in problem for problem in bad.problems)


def _garbage() -> list[bytes]:
    rng = random.Random(20250317)
    blobs = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))) for _ in range(20)]
    fixtures = [path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))]
    for data in fixtures:
        cut = bytearray(data[: rng.randrange(1, len(data))])
        for _ in range(10):
            cut[rng.randrange(len(cut))] = rng.randrange(256)
        blobs.append(bytes(cut))
    return [
        *blobs,
        b"",
        b"\r\n\r\n",
        b"\xff\xfe\x00\x00" * 50,
        b"From: \r\n\r\n",
        b"From: " + b"(" * 5000 + b"a@b.c\r\nContent-Type: text/plain; charset=" + b"(" * 5000,
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/",
        b"Subject: =?utf-8?b?////?= =?x?q?=zz?= =?utf-8?q?\r\n\r\nx",
        b"Content-Type: text/html\r\n\r\n" + b"<!--" * 2000 + b"<" * 2000,
    ]


@pytest.mark.parametrize("raw", _garbage())
def test_garbage_never_raises(raw: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="notifications.inbound"):
        message = parse_message(raw)
    assert isinstance(message, InboundMessage)
    assert no_nul(message)
    assert not any(problem.startswith("unparseable message") for problem in message.problems)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_problems_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="notifications.inbound"):
        load("missing-from.eml")
    assert "no From header" in caplog.text


def test_deeply_nested_mime_keeps_the_headers() -> None:
    nested = "".join(
        f"--b{level}\r\nContent-Type: multipart/mixed; boundary=b{level + 1}\r\n\r\n"
        for level in range(3000)
    )
    message = parse_message(mail(body=nested, content_type="multipart/mixed; boundary=b0"))
    assert message.sender_email == "ann@acme.test"
    assert message.problems


def test_deeply_nested_html_is_flattened_not_sanitised() -> None:
    html = "<div>" * 2000 + "deep text" + "</div>" * 2000
    message = parse_message(mail(body=html, content_type="text/html"))
    assert message.text == "deep text"
    assert message.html == ""
    assert any("nested" in problem for problem in message.problems)


def test_oversized_message_is_cut_and_flagged() -> None:
    attachment = "QUFB" * 20_000
    body = (
        "--m\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        "--m\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="big.bin"\r\n\r\n{attachment}\r\n--m--\r\n'
    )
    raw = mail(body=body, content_type='multipart/mixed; boundary="m"')
    message = parse_message(raw, max_bytes=len(raw) // 2)
    assert message.truncated
    assert message.size == len(raw)
    assert message.sender_email == "ann@acme.test"
    assert message.text == "See attached."
    assert message.attachments == []
    assert any("over the" in problem for problem in message.problems)
    assert len(parse_message(raw).attachments) == 1
    assert DEFAULT_MAX_BYTES >= 10 * 1024 * 1024
