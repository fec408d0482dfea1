"""Routing inbound mail to the case services: one entry point for IMAP and the MTA pipe.

`inbound_receive(raw)` stores the message, parses it (notifications.inbound, which never
raises), decides whether its sender is authenticated (notifications.inbound.authentication:
DMARC or aligned DKIM, never the From header alone) and then:

- auto-replies, out-of-office messages and bounces never create, reopen or update a case
  and are never answered (a bounce is linked to the case its returned message was about);
- mail that does not authenticate acts as nobody: while `INBOUND_REQUIRE_DMARC` is on
  (always in production) it is held for staff, who may accept it as its sender after a
  look (`inbound_accept`); mail from a staff address, or with an ambiguous sender (several
  From addresses, a Sender that differs), is held whatever the setting;
- a reply with a valid signed reply token becomes a public comment by the sender through
  `case_comment`, only when the sender may see that case. Our Message-IDs in
  In-Reply-To/References are guessable, so they only link a held message to its case for
  staff; a reply without a token is new mail from its sender;
- new mail from a known contact opens a case through `case_create` at the plan's lowest
  priority; mailing-list mail gets no acknowledgement;
- mail from anyone else opens nothing and gets at most one polite answer a day, only when
  its sender is authenticated (no backscatter to forged addresses). A case reference the
  sender may not see is answered exactly like one that does not exist.

Nothing raises out of here: whatever happens is recorded on the InboundEmail row and
logged in one line.
"""

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.context import audit_source
from cases.attachments import UploadLike, as_uploads, upload_rules, validate_uploads
from cases.models import Case, Channel, EnvironmentAccess
from cases.notify import thread_id
from cases.selectors import cases_for
from cases.services.intake import intake_from_mail
from cases.services.lifecycle import case_comment, case_create
from cases.services.permissions import StaffAction, require_permission
from notifications.events import UNKNOWN_SENDER_REPLY
from notifications.inbound import InboundAttachment, InboundMessage, parse_message
from notifications.inbound.authentication import SenderAuthentication, authenticate_sender
from notifications.mailbox import read_raw
from notifications.models import InboundEmail, Notification
from notifications.outbox import mail_domain
from notifications.reply_tokens import read_reply_token, support_email_address
from notifications.services import (
    inbound_claim,
    inbound_finish,
    inbound_reopen,
    inbound_store,
    notifications_note_bounce,
    outbox_enqueue,
)
from supportdesk.errors import NotPermitted, ServiceError, StateConflict, TooLarge
from supportdesk.types import User
from tenants.access import tenants_for
from tenants.models import SupportPlan, Tenant
from tenants.roles import Role, has_role, is_support_staff

logger = logging.getLogger(__name__)

Status = InboundEmail.Status

# The whole text of reply-shaped mail that opened a case, kept beside the new text.
HISTORY_FILE = "earlier-messages.txt"
_THREAD_ROOT = re.compile(r"^<case\.([a-z0-9][a-z0-9-]*)@(.+)>$")


@dataclass(frozen=True)
class Routed:
    status: str
    outcome: str
    case_id: int | None = None


def inbound_receive(
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
    return inbound_route(record, parsed=parsed, raw=raw, complete=complete, size=size)


def inbound_process_again(*, actor: User, inbound_id: int) -> InboundEmail:
    """Staff who work cases route a kept message again (it may add to a case in the
    sender's name, so Security and staff without a role may not)."""
    require_permission(actor, StaffAction.WORK_CASES)
    return inbound_route(inbound_reopen(inbound_id=inbound_id))


def inbound_route(
    record: InboundEmail,
    *,
    parsed: InboundMessage | None = None,
    raw: bytes | None = None,
    complete: bool = True,
    size: int | None = None,
    accepted_by: User | None = None,
) -> InboundEmail:
    """Route a stored message once (a record another process is routing is left alone).
    `accepted_by` is the staff member who looked at a held message and vouched for its
    sender."""
    if not inbound_claim(record):
        return record
    try:
        if parsed is None:
            raw = raw if raw is not None else read_raw(record)
            parsed = parse_message(raw, max_bytes=settings.INBOUND_MAX_BYTES)
        elif raw is None and settings.INBOUND_VERIFY_DKIM:
            raw = read_raw(record)
        authentication = authenticate_sender(parsed, raw)
        with transaction.atomic():
            routed = _route(
                parsed,
                authentication,
                complete=complete,
                size=size or record.size,
                accepted_by=accepted_by,
            )
            return inbound_finish(
                record,
                status=routed.status,
                outcome=routed.outcome,
                case_id=routed.case_id,
                authentication=authentication.verdict,
                authentication_reason=authentication.reason,
            )
    except Exception as error:
        logger.exception("inbound mail #%d could not be routed", record.id)
        return inbound_finish(
            record,
            status=Status.FAILED,
            outcome="Could not be processed; kept for staff to look at.",
            error=f"{type(error).__name__}: {error}"[:5000],
        )


def inbound_accept(*, inbound_id: int, actor: User) -> InboundEmail:
    """A triage lead looked at a held message and vouches that it comes from its sender:
    it is routed again as if authenticated (every other rule still applies)."""
    if not has_role(actor, Role.TRIAGE_LEAD):
        raise NotPermitted("Only a triage lead or a manager may accept held mail.")
    held = InboundEmail.objects.filter(id=inbound_id).first()
    if held is None or held.status != Status.HELD:
        raise StateConflict("Only a message held for review can be accepted.")
    return inbound_route(inbound_reopen(inbound_id=inbound_id), accepted_by=actor)


def _route(
    parsed: InboundMessage,
    authentication: SenderAuthentication,
    *,
    complete: bool,
    size: int,
    accepted_by: User | None,
) -> Routed:
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

    users = _users_with_address(sender)
    case = _case_of_token(parsed)
    vouched = authentication.authenticated or accepted_by is not None
    accepted = f"Accepted by {accepted_by.get_username()} as {sender}. " if accepted_by else ""
    held = _held(parsed, authentication, users, case, vouched)
    if held is not None:
        return held
    routed = _reply(parsed, case, users) if case is not None else None
    if routed is None:
        routed = _new_case(parsed, users, related=_thread_seen_by(parsed, users), answer=vouched)
    return Routed(routed.status, accepted + routed.outcome, routed.case_id)


def _thread_seen_by(parsed: InboundMessage, users: list[User]) -> Case | None:
    """The case a message without a valid token seems to answer, when the sender may see
    it: the new case names it as related. A case the sender may not see is not named, so
    the answer is the same as for a thread that does not exist."""
    case = _case_of_thread(parsed)
    if case is None or not any(cases_for(user).filter(id=case.id).exists() for user in users):
        return None
    return case


def _held(
    parsed: InboundMessage,
    authentication: SenderAuthentication,
    users: list[User],
    case: Case | None,
    vouched: bool,
) -> Routed | None:
    """Why the message may not act as its sender, if it may not; None when it may."""
    shown = case or _case_of_thread(parsed)
    on_case = shown.id if shown is not None else None
    if authentication.ambiguous and not vouched:
        return Routed(Status.HELD, f"{authentication.reason} Held for review.", on_case)
    if any(is_support_staff(user) for user in users) and not (vouched and case is not None):
        return Routed(
            Status.HELD,
            "Mail from a staff address needs a valid reply token and an authenticated "
            f"sender ({authentication.reason}) before it becomes a staff reply. Held for review.",
            on_case,
        )
    if not vouched and settings.INBOUND_REQUIRE_DMARC:
        return Routed(
            Status.HELD,
            f"Sender not authenticated ({authentication.reason}); held for review.",
            on_case,
        )
    return None


# --- Replies.


def _case_of_token(parsed: InboundMessage) -> Case | None:
    """The case a message answers, by its signed reply token only."""
    if not parsed.reply_token:
        return None
    case_id = read_reply_token(parsed.reply_token)
    return Case.objects.filter(id=case_id).first() if case_id is not None else None


def _case_of_thread(parsed: InboundMessage) -> Case | None:
    """The case a message seems to be about, by its token or one of our Message-IDs it
    refers to. The ids can be guessed from a case reference, so this links a message to
    a case for staff to see (a held message, a bounce), never lets it act on the case."""
    case = _case_of_token(parsed)
    if case is not None:
        return case
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


def _reply(parsed: InboundMessage, case: Case, users: list[User]) -> Routed | None:
    """The reply added to its case; None when the sender may not see the case, so that the
    message is handled as new mail, exactly as if the token named no case."""
    allowed = [user for user in users if cases_for(user).filter(id=case.id).exists()]
    if not allowed:
        return None
    actor = allowed[0]
    if not case.is_open and not is_support_staff(actor):
        return _new_case(parsed, [actor], related=case)
    files, refused = _uploads(parsed.files)
    text, kept_whole = _reply_text(parsed)
    if not _body(text, files, refused):
        return Routed(Status.IGNORED, "Empty reply (no text, no file); nothing added.", case.id)

    def reply(body: str, files: list) -> None:
        case_comment(
            case_id=case.id,
            actor=actor,
            body=body,
            public=True,
            channel=Channel.EMAIL,
            attachments=files,
        )

    try:
        with audit_source(actor=actor, verb="email received"):
            files = _with_files_if_room(reply, text, files, refused)
    except ServiceError as error:
        return Routed(Status.REJECTED, f"{case.reference}: {error.message}", case.id)
    attached = f" with {len(files)} attachment(s)" if files else ""
    whole = " Only quoted text was found, so the whole message was kept." if kept_whole else ""
    return Routed(Status.PROCESSED, f"Reply added to {case.reference}{attached}.{whole}", case.id)


def _reply_text(parsed: InboundMessage) -> tuple[str, bool]:
    """What the sender wrote; when stripping the quote leaves nothing although the message
    has text, the whole text (nothing a customer sent is dropped by a wrong guess), and
    whether that happened."""
    if parsed.new_text.strip() or not parsed.text.strip():
        return parsed.new_text, False
    return parsed.text, True


def _uploads(attachments: Iterable[InboundAttachment]) -> tuple[list, list[str]]:
    """The attachments as uploads, each checked by the portal's rules; a file we do not
    take is left out (and named in the comment) rather than losing the whole message.
    Refusals for the same reason become one note naming every file it applies to."""
    accepted: list[UploadLike] = []
    refused: dict[str, list[str]] = {}
    for attachment in attachments:
        [upload] = as_uploads(
            [
                SimpleUploadedFile(
                    attachment.filename, attachment.content, content_type=attachment.content_type
                )
            ]
        )
        try:
            validate_uploads([*accepted, upload])
        except TooLarge:
            refused.setdefault(f"{upload_rules().summary} per message.", []).append(upload.name)
        except ServiceError as error:
            reason = error.message.removeprefix(f"{upload.name}: ")
            refused.setdefault(reason, []).append(upload.name)
        else:
            accepted.append(upload)
    notes = [
        reason if reason.startswith(names[0]) else f"{', '.join(names)}: {reason}"
        for reason, names in refused.items()
    ]
    return accepted, notes


def _with_files_if_room(
    send: Callable[[str, list], object], text: str, files: list, refused: list[str]
) -> list:
    """Send the message with its files; if they would pass the plan's storage quota, send
    it without them, naming them and why in the text. Returns the files that were kept."""
    try:
        send(_body(text, files, refused), files)
    except TooLarge as error:
        left_out = f"{', '.join(upload.name for upload in files)}: {error.message}"
        send(_body(text, files, [*refused, left_out]), [])
        return []
    return files


def _body(text: str, files: list, refused: list[str]) -> str:
    body = text.strip()
    if not body and files:
        body = "Sent by email with attachments: " + ", ".join(f.name for f in files) + "."
    if refused and (body or files):
        body += "\n\n[Not attached: " + " ".join(refused) + "]"
    return body


# --- New mail.


def _new_case(
    parsed: InboundMessage, users: list[User], related: Case | None = None, *, answer: bool = True
) -> Routed:
    """A case opened for the one customer the sender acts for, naming `related` (a closed
    case replied to, or the thread a reply without a token belongs to); `answer` is
    whether the sender may be sent a polite refusal (only an authenticated one: no
    backscatter)."""
    for user in users:
        if is_support_staff(user):
            continue
        tenant_ids = list(tenants_for(user).values_list("id", flat=True)[:2])
        if len(tenant_ids) == 1:
            return _open_case(parsed, user, tenant_ids[0], related)
        if len(tenant_ids) > 1:
            if answer:
                _polite_answer(parsed, reason="several_customers")
            return Routed(
                Status.REJECTED,
                f"{parsed.sender_email} acts for several customers; mail cannot tell which.",
            )
    if any(is_support_staff(user) for user in users):
        return Routed(Status.IGNORED, "Staff mail without a case to reply to; ignored.")
    if answer:
        _polite_answer(parsed, reason="unknown_sender")
    return Routed(Status.REJECTED, f"{parsed.sender_email} is not a contact; no case opened.")


def _open_case(parsed: InboundMessage, user: User, tenant_id: int, related: Case | None) -> Routed:
    files, refused = _uploads(parsed.files)
    summary = " ".join(parsed.subject.split())[:200] or _first_line(parsed.text) or "(no subject)"
    text, history = _new_text_and_history(parsed)
    if history is not None:
        files.append(history)
    opened: list[Case] = []
    plan = Tenant.objects.select_related("plan").get(id=tenant_id).plan
    category = mail_category(plan)
    answers, problems = intake_from_mail(plan, category, text)

    def open_case(description: str, files: list) -> None:
        opened.append(
            case_create(
                actor=user,
                tenant_id=tenant_id,
                summary=summary,
                category=category,
                custom_fields=answers,
                intake_problems=problems,
                priority=None,
                environment_access=EnvironmentAccess.REFUSED,
                channel=Channel.EMAIL,
                attachments=files,
                acknowledge=parsed.should_auto_acknowledge,
                description=description,
                related_cases=related.reference if related else "",
            )
        )

    try:
        with audit_source(actor=user, verb="email received"):
            _with_files_if_room(open_case, text, files, refused)
        case = opened[-1]
    except ServiceError as error:
        return Routed(Status.REJECTED, f"No case opened: {error.message}")
    after = f", related to {related.reference}" if related else ""
    return Routed(Status.PROCESSED, f"Opened {case.reference}{after}.", case.id)


def mail_category(plan: SupportPlan) -> str:
    """Mail names no category: it files under INBOUND_CASE_CATEGORY when the plan offers
    it, else under the plan's first category (the case service refuses a plan with none)."""
    offered = plan.offered_categories()
    if settings.INBOUND_CASE_CATEGORY in offered or not offered:
        return settings.INBOUND_CASE_CATEGORY
    return next(iter(offered))


def _new_text_and_history(parsed: InboundMessage) -> tuple[str, SimpleUploadedFile | None]:
    """A new case from reply-shaped mail (a forwarded or replied thread sent to the support
    address) is described by what the sender wrote; the thread it quoted is kept whole as
    a text file on the case rather than filling the description."""
    new_text, whole = parsed.new_text.strip(), parsed.text.strip()
    if not new_text or new_text == whole:
        return parsed.text, None
    history = SimpleUploadedFile(HISTORY_FILE, whole.encode("utf-8"), content_type="text/plain")
    return (
        f"{new_text}\n\n[The quoted or forwarded messages are attached as {HISTORY_FILE}.]",
        history,
    )


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
    notifications_note_bounce(message_ids=parsed.bounced_message_ids, subject=parsed.subject)
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
            "support_address": support_email_address(),
        },
        dedup_key=f"{UNKNOWN_SENDER_REPLY}:{sender}:{timezone.localdate().isoformat()}",
        references=[r for r in references if r][-10:],
    )
