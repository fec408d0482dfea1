"""Routing inbound mail to the case services: one entry point for IMAP and the MTA pipe.

`receive_email(raw)` stores the message, parses it (notifications.inbound, which never
raises) and decides:

- auto-replies, out-of-office messages and bounces never create, reopen or update a case
  and are never answered (a bounce is linked to the case its returned message was about);
- a reply (signed reply token, or a thread of ours) becomes a public comment by the
  sender through `case_comment`, only when the sender may see that case;
- new mail from a known contact opens a case through `case_create` at the plan's lowest
  priority; mailing-list mail gets no acknowledgement;
- mail from anyone else opens nothing and gets at most one polite answer a day.

Nothing raises out of here: whatever happens is recorded on the InboundEmail row and
logged in one line.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.context import audit_source
from cases.attachments import validate_uploads
from cases.models import Case, Channel, EnvironmentAccess
from cases.notify import thread_id
from cases.selectors import cases_for
from cases.services import case_comment, case_create
from notifications.events import UNKNOWN_SENDER_REPLY
from notifications.inbound import InboundAttachment, InboundMessage, parse_message
from notifications.mailbox import inbound_claim, inbound_finish, inbound_store, read_raw
from notifications.models import InboundEmail, Notification
from notifications.outbox import mail_domain, outbox_enqueue
from notifications.reply_tokens import read_reply_token, support_email_address
from supportdesk.errors import ServiceError
from tenants.access import tenants_for
from tenants.roles import is_support_staff

logger = logging.getLogger(__name__)

User = AbstractBaseUser
Status = InboundEmail.Status

_THREAD_ROOT = re.compile(r"^<case\.([a-z0-9][a-z0-9-]*)@(.+)>$")


@dataclass(frozen=True)
class Routed:
    status: str
    outcome: str
    case_id: int | None = None


def receive_email(
    raw: bytes, *, source: str, complete: bool = True, size: int | None = None
) -> InboundEmail:
    """Store, parse and route one message. `complete=False` means only the headers of a
    message too large to download were given. Raises only when the message could not
    even be stored (the database is down), so the MTA or the mailbox keeps it."""
    parsed = parse_message(raw, max_bytes=settings.INBOUND_MAX_BYTES)
    record, new = inbound_store(raw, source=source, parsed=parsed)
    if not new and record.status not in (Status.RECEIVED, Status.FAILED):
        logger.info(
            "inbound mail %s already received (%s); nothing to do",
            record.message_id or f"#{record.id}",
            record.status,
        )
        return record
    return route_record(record, parsed=parsed, complete=complete, size=size)


def route_record(
    record: InboundEmail,
    *,
    parsed: InboundMessage | None = None,
    complete: bool = True,
    size: int | None = None,
) -> InboundEmail:
    """Route a stored message once (a record another process is routing is left alone)."""
    if not inbound_claim(record):
        return record
    try:
        if parsed is None:
            parsed = parse_message(read_raw(record), max_bytes=settings.INBOUND_MAX_BYTES)
        with transaction.atomic():
            routed = _route(parsed, complete=complete, size=size or record.size)
            return inbound_finish(
                record, status=routed.status, outcome=routed.outcome, case_id=routed.case_id
            )
    except Exception as error:
        logger.exception("inbound mail #%d could not be routed", record.id)
        return inbound_finish(
            record,
            status=Status.FAILED,
            outcome="Could not be processed; kept for staff to look at.",
            error=f"{type(error).__name__}: {error}"[:5000],
        )


def _route(parsed: InboundMessage, *, complete: bool, size: int) -> Routed:
    problems = "; ".join(parsed.problems)
    if not complete or parsed.truncated:
        return Routed(
            Status.REJECTED,
            f"Too large ({size:,} bytes, the limit is {settings.INBOUND_MAX_BYTES:,}); "
            "left in the mailbox for staff.",
        )
    if parsed.is_bounce:
        return _bounce(parsed)
    if parsed.is_auto_reply:
        case = _case_of_thread(parsed)
        return Routed(
            Status.IGNORED,
            f"Automatic reply ({parsed.classification_reason}); not answered.",
            case.id if case else None,
        )
    sender = parsed.sender_email
    if not sender or "@" not in sender or " " in sender:
        return Routed(Status.REJECTED, f"No usable sender address. {problems}".strip())
    if sender.lower() == support_email_address().lower():
        return Routed(Status.IGNORED, "Sent from our own support address; ignored.")

    case = _case_of_thread(parsed)
    users = _users_with_address(sender)
    if case is not None:
        return _reply(parsed, case, users)
    return _new_case(parsed, users)


# --- Replies.


def _case_of_thread(parsed: InboundMessage) -> Case | None:
    """The case a message answers: its signed reply token, else one of our Message-IDs it
    refers to (a mail client that dropped the plus-address kept the thread)."""
    if parsed.reply_token:
        case_id = read_reply_token(parsed.reply_token)
        if case_id is not None:
            return Case.objects.filter(id=case_id).first()
    ids = parsed.thread_message_ids
    if not ids:
        return None
    notification = (
        Notification.objects.filter(message_id__in=ids, case__isnull=False)
        .select_related("case")
        .first()
    )
    if notification is not None:
        return notification.case
    domain = mail_domain().lower()
    for message_id in ids:
        match = _THREAD_ROOT.match(message_id.lower())
        if match and match.group(2) == domain:
            case = Case.objects.filter(reference__iexact=match.group(1)).first()
            if case is not None and thread_id(case).lower() == message_id.lower():
                return case
    return None


def _users_with_address(address: str) -> list[User]:
    return list(
        get_user_model()
        .objects.filter(Q(email__iexact=address) | Q(username__iexact=address), is_active=True)
        .order_by("id")
    )


def _reply(parsed: InboundMessage, case: Case, users: list[User]) -> Routed:
    allowed = [user for user in users if cases_for(user).filter(id=case.id).exists()]
    if not allowed:
        _polite_answer(parsed, reason="not_allowed")
        return Routed(
            Status.REJECTED,
            f"{parsed.sender_email} may not act on {case.reference}; the case was not changed.",
        )
    actor = allowed[0]
    if not case.is_open and not is_support_staff(actor):
        return _new_case(parsed, [actor], follows=case)
    files, refused = _uploads(parsed.files)
    body = _body(parsed.new_text, files, refused)
    if not body:
        return Routed(Status.IGNORED, "Empty reply; nothing added.", case.id)
    try:
        with audit_source(actor=actor, verb="email received"):
            case_comment(
                case_id=case.id,
                actor=actor,
                body=body,
                public=True,
                channel=Channel.EMAIL,
                attachments=files,
            )
    except ServiceError as error:
        return Routed(Status.REJECTED, f"{case.reference}: {error.message}", case.id)
    attached = f" with {len(files)} attachment(s)" if files else ""
    return Routed(Status.PROCESSED, f"Reply added to {case.reference}{attached}.", case.id)


def _uploads(attachments: Iterable[InboundAttachment]) -> tuple[list, list[str]]:
    """The attachments as uploads, each checked by the portal's rules; a file we do not
    take is left out (and named in the comment) rather than losing the whole message."""
    accepted, refused = [], []
    for attachment in attachments:
        upload = SimpleUploadedFile(
            attachment.filename, attachment.content, content_type=attachment.content_type
        )
        try:
            validate_uploads([upload])
        except ServiceError as error:
            refused.append(error.message)
        else:
            accepted.append(upload)
    return accepted, refused


def _body(text: str, files: list, refused: list[str]) -> str:
    body = text.strip()
    if not body and files:
        body = "Sent by email with attachments: " + ", ".join(f.name for f in files) + "."
    if refused and (body or files):
        body += "\n\n[Not attached: " + " ".join(refused) + "]"
    return body


# --- New mail.


def _new_case(parsed: InboundMessage, users: list[User], follows: Case | None = None) -> Routed:
    for user in users:
        if is_support_staff(user):
            continue
        tenant_ids = list(tenants_for(user).values_list("id", flat=True)[:2])
        if len(tenant_ids) == 1:
            return _open_case(parsed, user, tenant_ids[0], follows)
        if len(tenant_ids) > 1:
            _polite_answer(parsed, reason="several_customers")
            return Routed(
                Status.REJECTED,
                f"{parsed.sender_email} acts for several customers; mail cannot tell which.",
            )
    if any(is_support_staff(user) for user in users):
        return Routed(Status.IGNORED, "Staff mail without a case to reply to; ignored.")
    _polite_answer(parsed, reason="unknown_sender")
    return Routed(Status.REJECTED, f"{parsed.sender_email} is not a contact; no case opened.")


def _open_case(parsed: InboundMessage, user: User, tenant_id: int, follows: Case | None) -> Routed:
    files, refused = _uploads(parsed.files)
    summary = " ".join(parsed.subject.split())[:200] or _first_line(parsed.text) or "(no subject)"
    description = _body(parsed.text, files, refused)
    try:
        with audit_source(actor=user, verb="email received"):
            case = case_create(
                actor=user,
                tenant_id=tenant_id,
                summary=summary,
                category=settings.INBOUND_CASE_CATEGORY,
                priority=None,
                environment_access=EnvironmentAccess.REFUSED,
                channel=Channel.EMAIL,
                attachments=files,
                acknowledge=parsed.should_auto_acknowledge,
                description=description,
                related_cases=follows.reference if follows else "",
            )
    except ServiceError as error:
        return Routed(Status.REJECTED, f"No case opened: {error.message}")
    after = f", following closed {follows.reference}" if follows else ""
    return Routed(Status.PROCESSED, f"Opened {case.reference}{after}.", case.id)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


# --- Automatic mail.


def _bounce(parsed: InboundMessage) -> Routed:
    """A bounce of one of our messages: note it on the message and link the case; never
    answer it and never touch the case."""
    returned = Notification.objects.filter(message_id__in=parsed.bounced_message_ids)
    case_id = next((n.case_id for n in returned if n.case_id), None)
    if case_id is None:
        case = _case_of_thread(parsed)
        case_id = case.id if case else None
    for notification in returned:
        Notification.objects.filter(id=notification.id).update(
            last_error=f"Bounced: {parsed.subject}"[:2000]
        )
    which = f" of {returned.count()} message(s) we sent" if returned else ""
    return Routed(
        Status.IGNORED, f"Bounce{which} ({parsed.classification_reason}); not answered.", case_id
    )


def _polite_answer(parsed: InboundMessage, *, reason: str) -> None:
    """At most one automatic answer per sender per day (the outbox's unique key is the
    record of it), and none to automatic mail, lists or no-reply addresses."""
    if not parsed.should_auto_acknowledge:
        return
    sender = parsed.sender_email.lower()
    references = [*parsed.references, parsed.message_id] if parsed.message_id else []
    outbox_enqueue(
        recipient=sender,
        event=UNKNOWN_SENDER_REPLY,
        template="inbound_not_accepted",
        context={
            "reason": reason,
            "sender": sender,
            "subject": parsed.subject,
            "support_address": support_email_address(),
        },
        dedup_key=f"{UNKNOWN_SENDER_REPLY}:{sender}:{timezone.localdate().isoformat()}",
        references=[r for r in references if r][-10:],
    )
