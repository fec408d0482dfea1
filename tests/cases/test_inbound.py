"""Inbound mail routed to cases, with .eml files written by real mail clients' rules
(tests/data/email/routing; placeholders stand for the case's reply address and thread)."""

import datetime as dt
import email
import email.policy
import io
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from cases import services
from cases.models import Case, Comment, State
from cases.notify import thread_id
from cases.services import inbound_receive, inbound_route
from notifications.imap import poll_imap
from notifications.models import InboundEmail, Notification
from notifications.reply_tokens import reply_address
from notifications.services import inbound_reopen
from notifications.tasks import send_pending_notifications
from tenants.models import NotificationAddress
from tests.cases.helpers import taken
from tests.factories import ContactFactory, UserFactory
from tests.inbound_mail import from_our_mta

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).resolve().parents[1] / "data" / "email" / "routing"
PIPE = InboundEmail.Source.PIPE


def eml(name: str, case: Case | None = None, **values: str) -> bytes:
    raw = (MAIL / name).read_bytes()
    if case is not None:
        values.setdefault("REPLY_ADDRESS", reply_address(case.id))
        values.setdefault("THREAD", thread_id(case).strip("<>"))
    for key, value in values.items():
        raw = raw.replace(b"{{" + key.encode() + b"}}", value.encode())
    return from_our_mta(raw)


@pytest.fixture
def case(cast) -> Case:
    """ACME-00001, filed by Ann, owned by Eve, waiting for Ann's answer."""
    case = taken(cast)
    services.case_request_info(
        case_id=case.id, actor=cast.engineer, body="Which browser and version do you use?"
    )
    case.refresh_from_db()
    return case


def unchanged(case: Case) -> tuple:
    fresh = Case.objects.get(id=case.id)
    return fresh.state, fresh.version, fresh.events.count(), fresh.comments.count()


def test_thunderbird_reply_becomes_a_public_comment_without_the_quote_and_resumes_the_case(
    cast, case
):
    record = inbound_receive(eml("reply-thunderbird-plain.eml", case), source=PIPE)
    assert (record.status, record.case_id) == (InboundEmail.Status.PROCESSED, case.id)
    comment = case.comments.filter(by_staff=False).get()
    assert comment.body.startswith("We use Firefox 128 on Windows 11")
    assert "wrote:" not in comment.body
    assert "Which browser" not in comment.body
    assert (comment.author, comment.public, comment.channel) == (cast.contact_a, True, "email")
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    told = Notification.objects.filter(event="case.customer_replied")
    assert list(told.values_list("recipient", flat=True)) == ["eve@support.test"]


def test_reply_without_a_token_opens_a_new_case_naming_the_thread_it_answers(cast, case):
    """Our Message-IDs can be guessed, so a thread alone never acts on a case: the reply
    is new mail from its (authenticated) sender, related to the case it answers."""
    ours = Notification.objects.filter(case=case, recipient="ann@acme.test").first()
    raw = eml("reply-gmail-thread-only.eml", case, IN_REPLY_TO=ours.message_id.strip("<>"))
    record = inbound_receive(raw, source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    assert not case.comments.filter(channel="email").exists()
    new = Case.objects.get(id=record.case_id)
    assert (new.reporter, new.related_cases) == (cast.contact_a, case.reference)
    assert "the export finished in 95 s" in new.description


def test_outlook_reply_keeps_accepted_attachments_and_names_the_refused_ones(cast, case):
    record = inbound_receive(eml("reply-outlook-attachments.eml", case), source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    assert "1 attachment" in record.outcome
    comment = case.comments.get(channel="email")
    assert comment.body.startswith("Here is the screenshot of the error")
    assert "From: SupportDesk" not in comment.body
    assert "exporttool.exe: files of type “.exe” are not accepted" in comment.body
    (attachment,) = comment.attachments.all()
    assert (attachment.filename, attachment.content_type) == ("export-error.png", "image/png")
    assert attachment.file.read().startswith(b"\x89PNG")


def test_html_only_latin1_mail_from_a_contact_opens_a_case_at_the_lowest_priority(cast):
    ContactFactory(tenant=cast.tenant_a, user=UserFactory(username="juergen@acme.test"))
    record = inbound_receive(eml("new-html-only-iso-8859-1.eml"), source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    case = Case.objects.get(id=record.case_id)
    assert case.summary == "Berichte können nicht exportiert werden"
    assert (case.priority, case.channel, case.tenant) == ("P4", "email", cast.tenant_a)
    assert "Grüße aus München" in case.description
    assert "alert" not in case.description
    receipt = Notification.objects.get(event="case.received")
    assert receipt.recipient == "juergen@acme.test"


def test_forwarded_mail_opens_a_case_described_by_the_new_text_with_the_thread_attached(cast):
    record = inbound_receive(eml("new-forwarded-thunderbird.eml"), source=PIPE)
    case = Case.objects.get(id=record.case_id)
    assert case.summary == "Fwd: Scheduled report failed"
    assert case.description.startswith("Our nightly report fails since Monday, see below.")
    assert "earlier-messages.txt" in case.description
    assert 'The scheduled report "Monthly invoices" failed' not in case.description
    (history,) = case.attachments.filter(filename="earlier-messages.txt")
    text = history.file.read().decode()
    assert text.startswith("Our nightly report fails since Monday")
    assert 'The scheduled report "Monthly invoices" failed' in text


def test_mailing_list_mail_opens_a_case_but_gets_no_acknowledgement(cast):
    NotificationAddress.objects.create(tenant=cast.tenant_a, email="it-team@acme.test")
    record = inbound_receive(eml("new-list-mail.eml"), source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    assert Case.objects.get(id=record.case_id).summary.endswith("Login page slow this morning")
    receipts = Notification.objects.filter(event="case.received")
    assert list(receipts.values_list("recipient", flat=True)) == ["it-team@acme.test"]


@pytest.mark.parametrize(
    "name", ["autoreply-out-of-office.eml", "autoreply-vacation-no-headers.eml"]
)
def test_auto_replies_never_touch_the_case_and_are_never_answered(cast, case, name):
    before, mails = unchanged(case), Notification.objects.count()
    record = inbound_receive(eml(name, case), source=PIPE)
    assert record.status == InboundEmail.Status.IGNORED
    assert record.case_id == case.id
    assert unchanged(case) == before
    assert Notification.objects.count() == mails


def test_auto_reply_to_a_closed_case_does_not_reopen_it(cast, case):
    services.case_close(case_id=case.id, actor=cast.engineer, reason="resolved", note="Done.")
    before = unchanged(case)
    inbound_receive(eml("autoreply-out-of-office.eml", case), source=PIPE)
    assert unchanged(case) == before
    assert Case.objects.count() == 1


def test_bounce_is_linked_to_its_case_noted_on_the_message_and_not_answered(cast, case):
    NotificationAddress.objects.create(tenant=cast.tenant_a, email="it-team@acme.test")
    services.case_comment(case_id=case.id, actor=cast.engineer, body="An update.")
    bounced = Notification.objects.get(recipient="it-team@acme.test")
    before, mails = unchanged(case), Notification.objects.count()
    record = inbound_receive(
        eml("bounce-postfix-dsn.eml", case, BOUNCED_ID=bounced.message_id), source=PIPE
    )
    assert (record.status, record.case_id) == (InboundEmail.Status.IGNORED, case.id)
    bounced.refresh_from_db()
    assert bounced.last_error == "Bounced: Undelivered Mail Returned to Sender"
    assert unchanged(case) == before
    assert Notification.objects.count() == mails


def test_unknown_sender_opens_nothing_and_gets_one_polite_answer_a_day(cast):
    with time_machine.travel(dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC), tick=False) as t:
        first = inbound_receive(eml("new-unknown-sender.eml", MESSAGE_ID="a1"), source=PIPE)
        inbound_receive(eml("new-unknown-sender.eml", MESSAGE_ID="a2"), source=PIPE)
        assert Notification.objects.filter(recipient="bill@initrode.test").count() == 1
        t.shift(dt.timedelta(days=1))
        inbound_receive(eml("new-unknown-sender.eml", MESSAGE_ID="a3"), source=PIPE)
    assert first.status == InboundEmail.Status.REJECTED
    assert not Case.objects.exists()
    answers = Notification.objects.filter(recipient="bill@initrode.test")
    assert answers.count() == 2
    send_pending_notifications()
    from django.core import mail

    answer = mail.outbox[0]
    assert answer.subject == "Your message to our support address"
    assert "did not open a support case" in answer.body
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert answer.extra_headers["In-Reply-To"] == "<a1@initrode.test>"


def test_outsiders_reply_by_email_is_new_mail_that_never_touches_or_names_the_case(cast, case):
    """Another tenant's contact holding a valid token is answered exactly as if the token
    named no case: their mail opens a case of their own, which does not name ours."""
    raw = from_our_mta(
        eml("reply-thunderbird-plain.eml", case)
        .split(b"\n", 1)[1]
        .replace(b"Ann Archer <ann@acme.test>", b"Bob <bob@globex.test>")
    )
    before = unchanged(case)
    record = inbound_receive(raw, source=PIPE)
    assert unchanged(case) == before
    assert "ACME-00001" not in record.outcome
    new = Case.objects.get(id=record.case_id)
    assert (new.tenant, new.related_cases) == (cast.tenant_b, "")


def test_forged_reply_token_does_not_reach_the_case(cast, case):
    genuine = reply_address(case.id)
    local, _, domain = genuine.partition("@")
    forged = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    raw = eml("reply-thunderbird-plain.eml", case, REPLY_ADDRESS=forged, THREAD="x@y")
    before = unchanged(case)
    record = inbound_receive(raw, source=PIPE)
    assert record.case_id != case.id
    assert unchanged(case) == before


def test_reply_to_a_closed_case_opens_a_follow_up_case(cast, case):
    services.case_close(case_id=case.id, actor=cast.engineer, reason="resolved", note="Done.")
    record = inbound_receive(eml("reply-thunderbird-plain.eml", case), source=PIPE)
    follow_up = Case.objects.get(id=record.case_id)
    assert follow_up != case
    assert follow_up.related_cases == case.reference
    assert "related to ACME-00001" in record.outcome
    assert Case.objects.get(id=case.id).state == State.CLOSED


def test_malformed_message_is_kept_rejected_and_logged(cast, caplog):
    record = inbound_receive(eml("malformed-no-headers.eml"), source=PIPE)
    assert record.status == InboundEmail.Status.REJECTED
    assert "No usable sender address" in record.outcome
    assert record.raw.read().endswith(b"Message-ID.\n")
    assert f"inbound mail #{record.id} from (no sender): rejected" in caplog.text


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"From: ann@acme.test\nContent-Type: multipart/mixed; boundary=x\n\n--x\n" * 50,
        b"From: ann@acme.test\nSubject: =?utf-8?b?!!!?=\nContent-Type: text/html\n\n"
        b"<script>alert(1)</script><img src=x onerror=alert(1)>",
    ],
)
def test_hostile_or_broken_input_never_crashes_routing(cast, raw):
    record = inbound_receive(raw, source=PIPE)
    assert record.status in {
        InboundEmail.Status.REJECTED,
        InboundEmail.Status.PROCESSED,
        InboundEmail.Status.HELD,
    }
    for comment in Comment.objects.all():
        assert "<script" not in comment.body


def test_same_message_received_twice_is_handled_once(cast, case):
    raw = eml("reply-thunderbird-plain.eml", case)
    first = inbound_receive(raw, source=PIPE)
    second = inbound_receive(raw, source=InboundEmail.Source.IMAP)
    assert first.id == second.id
    assert case.comments.filter(channel="email").count() == 1


def test_message_over_the_size_limit_is_kept_but_not_acted_on(cast, case, settings):
    settings.INBOUND_MAX_BYTES = 1000
    record = inbound_receive(eml("reply-outlook-attachments.eml", case), source=PIPE)
    assert record.status == InboundEmail.Status.REJECTED
    assert record.outcome.startswith("Too large")
    assert record.size > 1000
    assert not case.comments.filter(channel="email").exists()


def test_routing_crash_is_recorded_and_the_message_can_be_processed_again(cast, case, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("cases.services.inbound.case_comment", crash)
    record = inbound_receive(eml("reply-thunderbird-plain.eml", case), source=PIPE)
    assert record.status == InboundEmail.Status.FAILED
    assert "RuntimeError: database went away" in record.error
    monkeypatch.undo()
    record = inbound_route(inbound_reopen(inbound_id=record.id))
    assert record.status == InboundEmail.Status.PROCESSED
    assert case.comments.filter(channel="email").count() == 1


def test_management_command_reads_the_message_from_standard_input(cast, case, monkeypatch):
    raw = eml("reply-thunderbird-plain.eml", case)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("receive_email", stdout=out)
    assert out.getvalue().startswith("processed: Reply added to ACME-00001")
    assert InboundEmail.objects.get().source == PIPE


def test_reply_to_a_delivered_email_goes_round_trip_through_a_real_smtp_server(
    cast, case, smtp_sink
):
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Please send a HAR file.")
    send_pending_notifications()
    delivered = [d for d in smtp_sink.delivered if d.rcpt_tos == ["ann@acme.test"]]
    ours = delivered[-1].message
    assert "Please send a HAR file." in ours.get_body(("plain",)).get_content()
    reply = email.message.EmailMessage(policy=email.policy.SMTP)
    reply["From"] = "Ann Archer <ann@acme.test>"
    reply["To"] = ours["Reply-To"]
    reply["Subject"] = "Re: " + ours["Subject"]
    reply["Message-ID"] = "<reply-1@acme.test>"
    reply["In-Reply-To"] = ours["Message-ID"]
    reply["References"] = f"{ours['References']} {ours['Message-ID']}"
    reply.set_content("Attached is the HAR file.\n\n> Please send a HAR file.\n")
    reply.add_attachment(b'{"log": {}}', maintype="application", subtype="json", filename="x.har")
    record = inbound_receive(from_our_mta(reply.as_bytes()), source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    comment = case.comments.get(channel="email")
    assert comment.body == "Attached is the HAR file."
    assert [a.filename for a in comment.attachments.all()] == ["x.har"]


class FakeImapServer:
    """Answers imaplib's calls the way an IMAP server does (uids, flags, literals)."""

    def __init__(self, messages: dict[bytes, bytes]) -> None:
        self.messages = messages
        self.flags: dict[bytes, set[str]] = {uid: set() for uid in messages}
        self.logged_out = False

    def __call__(self, host: str, port: int, timeout: int) -> "FakeImapServer":
        return self

    def login(self, user: str, password: str) -> tuple:
        return "OK", [b"LOGIN completed"]

    def select(self, folder: str) -> tuple:
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command: str, *args: object) -> tuple:
        if command == "SEARCH":
            unseen = [uid for uid in self.messages if "\\Seen" not in self.flags[uid]]
            return "OK", [b" ".join(unseen)]
        if command == "FETCH":
            uid, what = args
            raw = self.messages[uid]
            if "RFC822.SIZE" in what:
                return "OK", [b"1 (UID %s RFC822.SIZE %d)" % (uid, len(raw))]
            if "HEADER" in what:
                raw = raw.split(b"\r\n\r\n")[0].split(b"\n\n")[0] + b"\n\n"
            return "OK", [(b"1 (UID %s BODY[] {%d}" % (uid, len(raw)), raw), b")"]
        if command == "STORE":
            uid, _, flags = args
            self.flags[uid].update(flags.strip("()").split())
            return "OK", [b""]
        raise AssertionError(f"unexpected IMAP command {command}")

    def expunge(self) -> tuple:
        return "OK", [b""]

    def close(self) -> tuple:
        return "OK", [b""]

    def logout(self) -> tuple:
        self.logged_out = True
        return "BYE", [b""]


def test_imap_polling_stores_each_message_once_and_marks_it_seen(cast, case, settings):
    from cases.tasks import _store_and_route

    settings.INBOUND_IMAP_HOST, settings.INBOUND_MAX_BYTES = "imap.test", 2000
    server = FakeImapServer(
        {
            b"7": eml("reply-thunderbird-plain.eml", case),
            b"8": eml("reply-outlook-attachments.eml", case),  # over the limit: headers only
            b"9": eml("new-unknown-sender.eml", MESSAGE_ID="imap-9"),
        }
    )
    assert poll_imap(_store_and_route, connect=server) == 3
    assert all("\\Seen" in flags for flags in server.flags.values())
    assert server.logged_out
    statuses = dict(
        InboundEmail.objects.values_list("source", "status")
        .order_by("id")
        .values_list("sender", "status")
    )
    assert statuses["ann@acme.test"] in {"processed", "rejected"}
    assert InboundEmail.objects.filter(status="processed").count() == 1
    too_large = InboundEmail.objects.get(outcome__startswith="Too large")
    assert too_large.raw.read().split(b"\n", 1)[1].startswith(b"Received: from EXCH01")
    # The server forgot the flags (or a second poller ran): nothing is handled twice.
    server.flags = {uid: set() for uid in server.messages}
    poll_imap(_store_and_route, connect=server)
    assert InboundEmail.objects.count() == 3
    assert case.comments.filter(channel="email").count() == 1
