"""The shared corpus of real-world mail (../shared/email-corpus, described in its INDEX.md)
through the whole intake: stored, parsed, routed, never a crash. Skipped where the corpus
is not checked out beside the repository."""

import os
from pathlib import Path

import pytest

from cases import services
from cases.models import Case
from cases.services import inbound_receive
from notifications.inbound import parse_message
from notifications.models import InboundEmail, Notification
from notifications.reply_tokens import reply_address
from tests.factories import ContactFactory, UserFactory
from tests.inbound_mail import from_our_mta

ROOT = Path(__file__).resolve().parents[2]


def _corpus() -> Path | None:
    candidates = [os.environ.get("SUPPORTDESK_EMAIL_CORPUS", "")]
    candidates += [str(ROOT.parent / "shared" / "email-corpus")]
    candidates += [str(ROOT.parent.parent / "shared" / "email-corpus")]
    return next((Path(c) for c in candidates if c and (Path(c) / "INDEX.md").is_file()), None)


CORPUS = _corpus()
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(CORPUS is None, reason="the shared email corpus is not checked out"),
]

AUTOMATIC = {"33", "36"}
BOUNCES = {"37", "39"}
LIST_MAIL = {"15", "21", "23", "27"}
NO_SENDER = {"44", "45"}
REPLIES = {"19": "Hello", "24": "Hello", "25": "Hello"}


def corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.eml")) if CORPUS else []


def _sender_differs_from_from(raw: bytes) -> bool:
    parsed = parse_message(raw)
    return bool(parsed.sender_header) and parsed.sender_header != parsed.sender_email


@pytest.fixture
def everyone_is_a_contact(cast):
    """Every sender of the corpus is an authorized contact of Acme, so normal mail opens
    cases and automatic mail is the only thing left out."""
    senders = {parse_message((CORPUS / name).read_bytes()).sender_email for name in corpus_files()}
    for address in sorted(senders):
        if address and " " not in address and '"' not in address:
            ContactFactory(tenant=cast.tenant_a, user=UserFactory(username=address))
    return cast


@pytest.mark.parametrize("name", corpus_files())
def test_corpus_message_is_stored_and_routed_as_its_kind_demands(everyone_is_a_contact, name):
    cast = everyone_is_a_contact
    number = name[:2]
    raw = (CORPUS / name).read_bytes()
    case = None
    if number in REPLIES or number in AUTOMATIC:
        case = services.case_create(
            actor=cast.contact_a,
            tenant_id=cast.tenant_a.id,
            summary="Test",
            category="bug",
            priority="P3",
            environment_access="granted",
        )
        # The MTA records the plus-address the reply was delivered to.
        raw = f"Delivered-To: {reply_address(case.id)}\n".encode() + raw
    if number == "37":
        case = Case.objects.create(
            tenant=cast.tenant_a,
            number=99,
            reference="ACME-00099",
            summary="Auto-acknowledged",
            category="bug",
            priority="P3",
            priority_rank=3,
            environment_access="granted",
            reporter=cast.contact_a,
        )
        Notification.objects.create(
            recipient="sender@example.com",
            event="case.received",
            template="case_received",
            case=case,
            dedup_key="corpus-37",
            message_id="<20170526150141.232.13312@example.zammad.loc>",
            status=Notification.Status.SENT,
        )
    cases_before = Case.objects.count()
    comments_before = sum(c.comments.count() for c in Case.objects.all())

    record = inbound_receive(from_our_mta(raw), source=InboundEmail.Source.PIPE)

    assert record.status != InboundEmail.Status.FAILED, record.error
    if number in AUTOMATIC | BOUNCES:
        assert record.status == InboundEmail.Status.IGNORED
        assert Case.objects.count() == cases_before
        assert sum(c.comments.count() for c in Case.objects.all()) == comments_before
        assert not Notification.objects.filter(event="inbound.unknown_sender").exists()
        if number == "37":
            assert record.case_id == case.id
    elif number in NO_SENDER:
        assert record.status == InboundEmail.Status.REJECTED
        assert Case.objects.count() == cases_before
    elif _sender_differs_from_from(raw):
        # Mailing lists and "on behalf of" mail: no single person to act as.
        assert record.status == InboundEmail.Status.HELD, record.outcome
        assert Case.objects.count() == cases_before
    elif number in REPLIES:
        assert record.status == InboundEmail.Status.PROCESSED, record.outcome
        comment = case.comments.get(channel="email")
        assert comment.body.splitlines()[0] == REPLIES[number]
        assert "wrote" not in comment.body
    else:
        assert record.status == InboundEmail.Status.PROCESSED, record.outcome
        new = Case.objects.get(id=record.case_id)
        assert new.channel == "email"
        assert "\x00" not in new.description
        receipts = Notification.objects.filter(case=new, event="case.received")
        assert receipts.exists() == (number not in LIST_MAIL)
