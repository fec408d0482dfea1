"""What the sender wrote, whatever their mail client: attribution lines and header blocks
of the major clients and languages, with and without `>` markers, top- and bottom-posted.

The samples are written here after each client's published format (no one's real mail);
the shared corpus (../shared/email-corpus) is tested by path in test_inbound_corpus.py."""

import pytest

from notifications.inbound import parse_message
from notifications.inbound.quotes import extract_new_text

NEW = "The export works again, thank you."

# (client, text after the reply): each quoted part must go, the reply must stay whole.
TOP_POSTED = {
    "gmail": "On Tue, Apr 2, 2012 at 2:20 PM, Bob Smith <bob@example.com> wrote:\n> Hi\n> Old",
    "gmail wrapped": (
        "On Tue, Apr 2, 2012 at 2:20 PM, Bob Smith\n<bob@example.com> wrote:\n\n> Hi\n> Old"
    ),
    "android gmail wrapped at the address": (
        "On Tue, Apr 2, 2012, 2:20 PM Bob Smith <\nbob@example.com> wrote:\n\n> Hi"
    ),
    "apple mail": "On 2 Apr 2012, at 14:20, Bob Smith <bob@example.com> wrote:\n\n> Hi\n> Old",
    "thunderbird": "On 02/04/2012 14:20, Bob Smith wrote:\n> Hi\n> Old",
    "outlook desktop": (
        "________________________________\nFrom: Bob Smith <bob@example.com>\n"
        "Sent: Tuesday, April 2, 2012 2:20 PM\nTo: Support <support@example.com>\n"
        "Subject: RE: Export\n\nHi, the export fails.\nBob"
    ),
    "outlook web": (
        "From: Bob Smith <bob@example.com>\nSent: 02 April 2012 14:20\nTo: Support\n"
        "Subject: Export\n\nHi, the export fails."
    ),
    "outlook german": (
        "Von: Bob Smith <bob@example.com>\nGesendet: Dienstag, 2. April 2012 14:20\n"
        "An: Support\nBetreff: Export\n\nHallo"
    ),
    "outlook french": (
        "De : Bob Smith <bob@example.com>\nEnvoyé : mardi 2 avril 2012 14:20\n"
        "À : Support\nObjet : Export\n\nBonjour"
    ),
    "outlook spanish": (
        "De: Bob Smith <bob@example.com>\nEnviado: martes, 2 de abril de 2012 14:20\n"
        "Para: Support\nAsunto: Export\n\nHola"
    ),
    "gmx german, date first": (
        'Gesendet: Dienstag, 02. April 2012 um 14:20 Uhr\nVon: "Bob" <bob@example.com>\n'
        "An: support@example.com\nBetreff: Export\n\nAlte Nachricht"
    ),
    "gmail german": (
        "Am Di., 2. Apr. 2012 um 14:20 Uhr schrieb Bob Smith <bob@example.com>:\n> Hallo"
    ),
    "gmail french": (
        "Le mar. 2 avr. 2012 à 14:20, Bob Smith <bob@example.com> a\nécrit :\n> Bonjour"
    ),
    "gmail russian": "вт, 2 апр. 2012 г. в 14:20, Bob Smith <bob@example.com>:\n> Привет",
    "yandex russian": '02.04.2012, 14:20, "Bob" <bob@example.com>:\n> Привет',
    "gmail japanese": "2012年4月2日(月) 14:20 Bob Smith <bob@example.com>:\n> こんにちは",
    "gmail korean": "2012년 4월 2일 (월) 오후 2:20, Bob Smith <bob@example.com>님이 작성:\n> 안녕",
    "gmail chinese": "Bob Smith <bob@example.com> 于2012年4月2日周二 下午2:20写道：\n> 你好",
    "163 webmail without markers": (
        'At 2022-05-29 16:38:29, "Bob" <bob@example.com> wrote:\nHi, the export fails.\nBob'
    ),
    "chinese webmail without markers": (
        "在 2022年5月29日 16:38，Bob <bob@example.com> 写道：\n之前的内容"
    ),
    "qq mail separator": (
        '------------------ 原始邮件 ------------------\n发件人: "Bob"<bob@example.com>;\n'
        '发送时间: 2022年5月29日(星期天) 下午4:38\n收件人: "Support";\n主题: Export\n\n你好'
    ),
    "outlook russian": (
        "От: Bob Smith <bob@example.com>\nОтправлено: 2 апреля 2012 г. 14:20\n"
        "Кому: Support\nТема: Export\n\nПривет"
    ),
    "outlook turkish": (
        "Kimden: Bob Smith <bob@example.com>\nGönderildi: 2 Nisan 2012 Salı 14:20\n"
        "Kime: Support\nKonu: Export\n\nMerhaba"
    ),
    "original message separator": "-----Original Message-----\nFrom: Bob\nSent: today\n\nHi",
}


@pytest.mark.parametrize("blank_lines", ["\n", "\n\n"], ids=["no blank line", "blank line"])
@pytest.mark.parametrize("client", sorted(TOP_POSTED))
def test_top_posted_reply_keeps_exactly_what_the_sender_wrote(client, blank_lines):
    assert extract_new_text(NEW + blank_lines + TOP_POSTED[client]) == NEW


@pytest.mark.parametrize("lines", [1, 2, 3])
def test_short_reply_directly_above_the_attribution_is_kept_whole(lines):
    reply = "\n".join(f"Line {n} of my reply." for n in range(1, lines + 1))
    text = f"{reply}\nOn Tue, Apr 2, 2012 at 2:20 PM, Bob Smith <bob@example.com> wrote:\n> Hi"
    assert extract_new_text(text) == reply


def test_the_issue_example_is_kept():
    text = (
        "Thanks, that fixed it.\n"
        "On Tue, Apr 2, 2012 at 2:20 PM, Bob Smith <bob@example.com> wrote:\n> Hi"
    )
    assert extract_new_text(text) == "Thanks, that fixed it."


def test_bottom_posted_reply_after_the_quote_is_kept():
    text = "On Tue, Apr 2, 2012 at 2:20 PM, Bob <bob@example.com> wrote:\n> Does it work?\n\n" + NEW
    assert extract_new_text(text) == NEW


def test_interleaved_answers_are_all_kept():
    text = "> First question?\nFirst answer.\n\n> Second question?\nSecond answer."
    assert extract_new_text(text) == "First answer.\n\nSecond answer."


@pytest.mark.parametrize(
    "text",
    [
        "I wrote this list:\n- one\n- two",
        "Our admin <admin@acme.test> asked:\nplease restart the service",
        "Steps:\n1. Open the export\n2. Press Run",
        "From my side everything is fine.\nTo be sure, I tried twice.",
    ],
)
def test_ordinary_lines_that_look_a_little_like_attributions_are_kept(text):
    assert extract_new_text(text) == text


def test_a_part_labelled_base64_that_holds_plain_text_is_read_as_text():
    raw = (
        b"From: a@acme.test\nSubject: Log\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=XX\n\n"
        b"--XX\nContent-Type: text/plain\n\nSee the notes.\n"
        b"--XX\nContent-Type: text/plain; name=notes.txt\n"
        b"Content-Disposition: attachment; filename=notes.txt\n"
        b"Content-Transfer-Encoding: base64\n\n"
        b"Export started at 10:02, failed at 10:07!\nSecond line.\n--XX--\n"
    )
    (attachment,) = parse_message(raw).attachments
    assert attachment.content == b"Export started at 10:02, failed at 10:07!\nSecond line."


def test_a_real_base64_part_is_still_decoded():
    raw = (
        b"From: a@acme.test\nSubject: x\nContent-Type: text/plain\n"
        b"Content-Transfer-Encoding: base64\n\nSGVsbG8gd29ybGQ=\n"
    )
    assert parse_message(raw).text == "Hello world"
