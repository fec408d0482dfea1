"""Replies lose nothing: a reply whose quote stripping leaves nothing is kept whole,
refused files are noted once, and a new case from a replied thread keeps the thread
beside its description."""

import pytest

from cases.models import Case
from cases.services import inbound_receive
from cases.services.inbound import HISTORY_FILE
from notifications.models import InboundEmail
from notifications.reply_tokens import reply_address
from tests.cases.helpers import file_case
from tests.inbound_mail import from_our_mta

pytestmark = pytest.mark.django_db

PIPE = InboundEmail.Source.PIPE


@pytest.fixture
def case(cast) -> Case:
    return file_case(cast)


def mail(body: str, *, to: str = "support@supportdesk.local", parts: str = "") -> bytes:
    if parts:
        return from_our_mta(
            (
                f"From: ann@acme.test\nTo: {to}\nSubject: Re: Export\nMessage-ID: <f1@acme.test>\n"
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
                f"--XX\nContent-Type: text/plain\n\n{body}\n{parts}--XX--\n"
            ).encode()
        )
    return from_our_mta(
        f"From: ann@acme.test\nTo: {to}\nSubject: Re: Export\nMessage-ID: <f1@acme.test>\n\n"
        f"{body}\n".encode()
    )


def test_reply_of_quoted_text_only_is_kept_whole_not_dropped(case):
    body = "> Which browser do you use?\n> Eve"
    record = inbound_receive(mail(body, to=reply_address(case.id)), source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    assert "whole message was kept" in record.outcome
    assert case.comments.get(channel="email").body == body


@pytest.mark.parametrize("lines", [1, 2, 3])
def test_short_reply_without_a_blank_line_before_the_attribution_is_added_whole(case, lines):
    reply = "\n".join(f"Line {n} of the answer." for n in range(1, lines + 1))
    body = f"{reply}\nOn Tue, Apr 2, 2012 at 2:20 PM, Eve <eve@support.test> wrote:\n> Which?"
    record = inbound_receive(mail(body, to=reply_address(case.id)), source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    assert case.comments.get(channel="email").body == reply


def test_refused_files_are_noted_once_in_the_comment(case):
    part = (
        "--XX\nContent-Type: application/octet-stream; name={name}\n"
        "Content-Disposition: attachment; filename={name}\n"
        "Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA\n"
    )
    parts = "".join(part.format(name=f"tool{n}.exe") for n in range(3))
    record = inbound_receive(
        mail("Logs attached.", to=reply_address(case.id), parts=parts), source=PIPE
    )
    comment = case.comments.get(channel="email")
    assert record.status == InboundEmail.Status.PROCESSED
    assert comment.body.count("[Not attached:") == 1
    assert comment.body.count("Allowed:") == 1


def test_new_case_from_a_replied_thread_keeps_the_thread_in_a_file(cast):
    body = (
        "Our export fails again, see the thread below.\n\n"
        "On Mon, Apr 1, 2012 at 9:00 AM, Carl <carl@acme.test> wrote:\n"
        "> The export fails with a timeout.\n> Carl"
    )
    record = inbound_receive(mail(body), source=PIPE)
    new = Case.objects.get(id=record.case_id)
    assert new.description.startswith("Our export fails again, see the thread below.")
    assert "The export fails with a timeout" not in new.description
    (history,) = new.attachments.filter(filename=HISTORY_FILE)
    assert "> The export fails with a timeout." in history.file.read().decode()


def test_new_case_from_plain_new_mail_has_no_history_file(cast):
    record = inbound_receive(mail("The export fails."), source=PIPE)
    new = Case.objects.get(id=record.case_id)
    assert new.description == "The export fails."
    assert not new.attachments.exists()
