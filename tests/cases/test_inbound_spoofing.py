"""Mail from the internet acts as a person only when authenticated: forged staff replies,
forged contact replies, forged new cases, two-address From, guessed thread ids and
backscatter are each held (or answered as nothing), and change nothing."""

import base64
import email.utils

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core import mail
from django.urls import reverse

from cases.models import Case, CaseEvent, Comment
from cases.notify import thread_id
from cases.services import inbound_accept, inbound_receive
from notifications.models import InboundEmail, Notification
from notifications.reply_tokens import reply_address
from notifications.tasks import send_pending_notifications
from supportdesk.errors import NotPermitted
from tests.cases.helpers import file_case
from tests.inbound_mail import from_our_mta

pytestmark = pytest.mark.django_db

PIPE = InboundEmail.Source.PIPE
HELD = InboundEmail.Status.HELD


@pytest.fixture
def case(cast) -> Case:
    return file_case(cast)


def message(
    sender: str,
    body: str = "Please see the attached log.",
    *,
    to: str = "support@supportdesk.local",
    subject: str = "Export",
    message_id: str = "m1@example.test",
    headers: str = "",
) -> bytes:
    return (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nMessage-ID: <{message_id}>\n"
        f"Date: {email.utils.format_datetime(email.utils.localtime())}\n{headers}"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def snapshot(case: Case) -> tuple:
    fresh = Case.objects.get(id=case.id)
    return (
        fresh.state,
        fresh.version,
        fresh.first_responded_at,
        fresh.events.count(),
        fresh.comments.count(),
        Notification.objects.filter(case=case).count(),
    )


def test_forged_staff_reply_by_thread_id_is_held_and_is_no_first_response(cast, case):
    before = snapshot(case)
    raw = message(
        "Eve <eve@support.test>",
        "We fixed it, please close the case.",
        headers=f"In-Reply-To: {thread_id(case)}\n",
    )
    record = inbound_receive(raw, source=PIPE)
    assert record.status == HELD
    assert record.case_id == case.id  # shown to staff beside the case it names
    assert record.authentication == InboundEmail.Authentication.NONE
    assert snapshot(case) == before


def test_staff_reply_with_a_token_but_no_authentication_is_held(cast, case):
    before = snapshot(case)
    raw = message("eve@support.test", "Public answer", to=reply_address(case.id))
    record = inbound_receive(raw, source=PIPE)
    assert record.status == HELD
    assert "staff address" in record.outcome
    assert snapshot(case) == before


def test_staff_mail_is_held_even_where_authentication_is_not_required(settings, cast, case):
    settings.INBOUND_REQUIRE_DMARC = False
    before = snapshot(case)
    record = inbound_receive(
        message("eve@support.test", "Answer", to=reply_address(case.id)), source=PIPE
    )
    assert record.status == HELD
    assert snapshot(case) == before


def test_authenticated_staff_reply_with_a_token_becomes_a_staff_reply(cast, case):
    raw = from_our_mta(message("eve@support.test", "Public answer", to=reply_address(case.id)))
    record = inbound_receive(raw, source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    comment = Comment.objects.get(case=case, channel="email")
    assert (comment.author, comment.public) == (cast.engineer, True)


def test_forged_contact_reply_is_held_and_changes_nothing(cast, case):
    before = snapshot(case)
    raw = message("Ann Archer <ann@acme.test>", "Please close it", to=reply_address(case.id))
    record = inbound_receive(raw, source=PIPE)
    assert record.status == HELD
    assert snapshot(case) == before


def test_forged_new_case_opens_nothing_and_answers_nobody(cast):
    record = inbound_receive(message("ann@acme.test", "Everything is down"), source=PIPE)
    assert record.status == HELD
    assert not Case.objects.exists()
    assert not Notification.objects.exists()


def test_mail_whose_domain_fails_dmarc_is_held_with_the_verdict(cast):
    raw = from_our_mta(message("ann@acme.test", "Hello"), result="dmarc=fail")
    record = inbound_receive(raw, source=PIPE)
    assert (record.status, record.authentication) == (HELD, InboundEmail.Authentication.FAIL)
    assert "DMARC fail" in record.authentication_reason
    assert not Case.objects.exists()


def test_authentication_results_of_another_server_are_not_trusted(cast):
    raw = from_our_mta(message("ann@acme.test", "Hello"), authserv_id="mx.attacker.test")
    record = inbound_receive(raw, source=PIPE)
    assert record.status == HELD
    assert not Case.objects.exists()


def test_dkim_pass_of_an_unaligned_domain_does_not_authenticate(cast):
    raw = from_our_mta(message("ann@acme.test", "Hello"), result="dkim=pass header.d=attacker.test")
    assert inbound_receive(raw, source=PIPE).status == HELD


@pytest.mark.parametrize(
    "sender",
    ["ann@acme.test, attacker@evil.test", "attacker@evil.test, ann@acme.test"],
)
def test_two_addresses_in_from_are_never_taken_as_the_first(cast, sender):
    raw = from_our_mta(message(sender, "Open a case for me"))
    record = inbound_receive(raw, source=PIPE)
    assert record.status == HELD
    assert "ambiguous" in record.outcome
    assert not Case.objects.exists()
    assert not Notification.objects.exists()


def test_a_sender_header_other_than_from_is_held(cast):
    raw = from_our_mta(message("ann@acme.test", "Hello", headers="Sender: bot@evil.test\n"))
    assert inbound_receive(raw, source=PIPE).status == HELD
    assert not Case.objects.exists()


def test_guessed_thread_id_of_another_tenants_case_gets_the_same_answer_as_none(cast, case):
    """Bob (Globex) names Acme's case by its guessable thread id: he gets exactly what a
    made-up reference gets, and Acme's case is untouched."""
    before = snapshot(case)
    guessed = inbound_receive(
        from_our_mta(
            message(
                "bob@globex.test",
                "Status?",
                message_id="g1@globex.test",
                headers=f"In-Reply-To: {thread_id(case)}\n",
            )
        ),
        source=PIPE,
    )
    made_up = inbound_receive(
        from_our_mta(
            message(
                "bob@globex.test",
                "Status?",
                message_id="g2@globex.test",
                headers=f"In-Reply-To: {thread_id(case).replace('00001', '99999')}\n",
            )
        ),
        source=PIPE,
    )
    assert snapshot(case) == before
    guessed_case = Case.objects.get(id=guessed.case_id)
    made_up_case = Case.objects.get(id=made_up.case_id)
    assert guessed.status == made_up.status == InboundEmail.Status.PROCESSED
    assert guessed_case.related_cases == made_up_case.related_cases == ""
    assert guessed_case.tenant == cast.tenant_b
    assert case.reference not in guessed.outcome


def test_unknown_unauthenticated_sender_gets_no_answer(cast):
    """Backscatter: an answer to a forged address would go to an innocent third party."""
    record = inbound_receive(message("victim@innocent.test", "Buy now"), source=PIPE)
    assert record.status == HELD
    assert not Notification.objects.exists()


def test_unknown_authenticated_sender_gets_one_answer_with_a_fixed_subject(cast):
    raw = from_our_mta(
        message("bill@initrode.test", "Quote?", subject="=?utf-8?q?SPAM_=F0=9F=92=B0?=")
    )
    assert inbound_receive(raw, source=PIPE).status == InboundEmail.Status.REJECTED
    send_pending_notifications()
    (answer,) = mail.outbox
    assert answer.subject == "Your message to our support address"
    assert "SPAM" not in answer.body


def test_unauthenticated_mail_acts_only_where_the_deployment_allows_it(settings, cast):
    """Development deployments may turn the requirement off; forged-looking mail still
    never answers an unknown sender."""
    settings.INBOUND_REQUIRE_DMARC = False
    opened = inbound_receive(message("ann@acme.test", "Reports are empty"), source=PIPE)
    assert opened.status == InboundEmail.Status.PROCESSED
    unknown = inbound_receive(message("x@innocent.test", "Hi", message_id="m2@x"), source=PIPE)
    assert unknown.status == InboundEmail.Status.REJECTED
    assert not Notification.objects.filter(recipient="x@innocent.test").exists()


def test_triage_lead_accepts_held_mail_as_its_sender(cast, case):
    held = inbound_receive(
        message("ann@acme.test", "Here is the log", to=reply_address(case.id)), source=PIPE
    )
    assert held.status == HELD
    with pytest.raises(NotPermitted):
        inbound_accept(inbound_id=held.id, actor=cast.engineer)
    accepted = inbound_accept(inbound_id=held.id, actor=cast.triage_lead)
    assert accepted.status == InboundEmail.Status.PROCESSED
    assert accepted.outcome.startswith("Accepted by tom@support.test as ann@acme.test.")
    comment = Comment.objects.get(case=case, channel="email")
    assert comment.author == cast.contact_a
    assert CaseEvent.objects.filter(case=case, comment=comment).exists()


# --- The desk's own DKIM check, with DNS answered by a stub.

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_PRIVATE_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption(),
)
_PUBLIC_DER = _KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)
DNS = {b"sel._domainkey.acme.test.": b"v=DKIM1; k=rsa; p=" + base64.b64encode(_PUBLIC_DER)}
LOOKUPS: list[bytes] = []


def stub_dns_txt(name: bytes, timeout: int = 5) -> bytes | None:
    """The only DNS the tests use: a dict, never the network."""
    LOOKUPS.append(name)
    return DNS.get(name)


@pytest.fixture
def desk_checks_dkim(settings):
    settings.INBOUND_VERIFY_DKIM = True
    settings.INBOUND_DNS_TXT_LOOKUP = f"{__name__}.stub_dns_txt"
    LOOKUPS.clear()


def signed(raw: bytes, domain: bytes = b"acme.test") -> bytes:
    signature = dkim.sign(raw, b"sel", domain, _PRIVATE_PEM, include_headers=[b"from", b"subject"])
    return signature + raw


def test_desk_verifies_an_aligned_dkim_signature_through_the_dns_stub(desk_checks_dkim, cast):
    record = inbound_receive(signed(message("ann@acme.test", "Reports are empty")), source=PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    assert record.authentication == InboundEmail.Authentication.PASS
    assert LOOKUPS == [b"sel._domainkey.acme.test."]


def test_a_tampered_body_fails_the_desks_dkim_check(desk_checks_dkim, cast):
    raw = signed(message("ann@acme.test", "Reports are empty")).replace(b"empty", b"FULL!")
    record = inbound_receive(raw, source=PIPE)
    assert (record.status, record.authentication) == (HELD, InboundEmail.Authentication.FAIL)
    assert not Case.objects.exists()


def test_a_signature_by_an_unknown_key_fails_the_desks_dkim_check(desk_checks_dkim, cast):
    raw = signed(message("ann@acme.test", "Hello"), domain=b"other.test")
    record = inbound_receive(raw, source=PIPE)
    assert record.status == HELD
    assert not Case.objects.exists()


def test_held_mail_is_accepted_from_the_inbound_admin_by_a_triage_lead(client, cast, case):
    held = inbound_receive(
        message("ann@acme.test", "Log attached", to=reply_address(case.id)), source=PIPE
    )
    changelist = reverse("admin:notifications_inboundemail_changelist")
    client.force_login(cast.engineer)
    client.post(changelist, {"action": "accept_as_sender", "_selected_action": [held.id]})
    held.refresh_from_db()
    assert held.status == HELD
    assert not Comment.objects.filter(case=case).exists()
    client.force_login(cast.triage_lead)
    response = client.get(changelist, {"status__exact": "held"})
    assert b"ann@acme.test" in response.content
    client.post(changelist, {"action": "accept_as_sender", "_selected_action": [held.id]})
    held.refresh_from_db()
    assert held.status == InboundEmail.Status.PROCESSED
    assert Comment.objects.get(case=case).author == cast.contact_a


def test_held_list_mail_is_accepted_as_the_from_address_after_a_look(cast):
    """Mailing-list mail carries the list in Sender: held, then accepted as its From."""
    raw = from_our_mta(
        message("ann@acme.test", "Reports are empty", headers="Sender: list@lists.test\n")
    )
    held = inbound_receive(raw, source=PIPE)
    assert held.status == HELD
    accepted = inbound_accept(inbound_id=held.id, actor=cast.triage_lead)
    assert accepted.status == InboundEmail.Status.PROCESSED
    assert Case.objects.get(id=accepted.case_id).reporter == cast.contact_a
