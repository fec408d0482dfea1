"""What every case service shares: the row lock, the access and role checks, the
guarded transition, the versioned save, the timeline event and closing with a reason."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from cases.attachments import UploadLike, clean_filename, guess_content_type
from cases.models import Attachment, Case, CaseEvent, CloseReason, Comment
from cases.selectors import cases_for
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from tenants.roles import Role, has_role, is_support_staff

User = AbstractBaseUser

_VERB_WORDS = {
    "start_work": "taken into work",
    "request_info": "put on hold for information",
    "customer_reply": "resumed by a reply",
    "propose_solution": "given a proposed solution",
    "accept_solution": "closed by accepting a solution",
    "reject_solution": "sent back by rejecting a solution",
    "cancel": "cancelled",
    "close": "closed",
    "close_for_no_response": "closed for no response",
    "close_after_silence": "closed after silence",
    "reopen": "reopened",
}


def locked_case(actor: User | None, case_id: int) -> Case:
    """The case, row-locked for the rest of the transaction; NotFound outside access."""
    base = Case.objects.all() if actor is None else cases_for(actor)
    try:
        # of=("self",): lock the case only, not the tenant and plan rows joined for reading,
        # which every case of the tenant (and of every tenant on the plan) would queue behind.
        return base.select_for_update(of=("self",)).select_related("tenant__plan").get(id=case_id)
    except Case.DoesNotExist:
        raise NotFound("No such case.") from None


def check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise StateConflict(
            f"{case.reference} was changed by someone else since you opened it. "
            "Reload it to see the change, then try again."
        )


def run_transition(case: Case, actor: User | None, verb: str) -> str:
    """Run the fsm transition `verb` after checking state and role; return the old state."""
    method = getattr(case, verb)
    if not can_proceed(method):
        raise StateConflict(
            f"{case.reference} is {case.get_state_display().lower()}, "
            f"so it cannot be {_VERB_WORDS[verb]}."
        )
    if actor is not None and not has_transition_perm(method, actor):
        raise NotPermitted(f"You may not do this: a case is {_VERB_WORDS[verb]} by the other side.")
    previous = case.state
    method()
    return previous


def save_case(case: Case, *fields: str) -> None:
    case.version = F("version") + 1
    case.save(update_fields=[*fields, "version", "updated_at"])
    case.refresh_from_db(fields=["version"])


def record_event(
    case: Case,
    actor: User | None,
    kind: str,
    *,
    public: bool = True,
    from_state: str = "",
    message: str = "",
    comment: Comment | None = None,
    **data: object,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor,
        kind=kind,
        public=public,
        from_state=from_state,
        to_state=case.state if from_state else "",
        message=message[:500],
        comment=comment,
        data=data,
    )


def store_attachments(
    case: Case, actor: User, files: Iterable[UploadLike], *, comment: Comment | None, public: bool
) -> list[Attachment]:
    stored = []
    for upload in files:
        filename = clean_filename(upload.name)
        attachment = Attachment(
            case=case,
            comment=comment,
            filename=filename,
            content_type=guess_content_type(filename, getattr(upload, "content_type", None)),
            size=upload.size,
            uploaded_by=actor,
            public=public,
        )
        if hasattr(upload, "seek"):
            upload.seek(0)
        attachment.file.save(filename, ContentFile(upload.read()), save=False)
        attachment.save()
        record_event(case, actor, CaseEvent.Kind.ATTACHMENT_ADDED, public=public, message=filename)
        stored.append(attachment)
    return stored


def require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, field_errors={field: [message]})
    return value


def require_staff(actor: User, role: Role = Role.ENGINEER) -> None:
    if not has_role(actor, role):
        raise NotPermitted(f"Only a {role.value.lower()} may do this.")


def close_with_reason(
    case: Case,
    actor: User | None,
    verb: str,
    reason: str,
    note: str,
    *,
    extra_fields: Iterable[str] = (),
    **data: object,
) -> Case:
    """Close a locked case through the fsm transition `verb`, with a closing note for the
    customer and the reason on the timeline; `extra_fields` are saved with it."""
    from_state = run_transition(case, actor, verb)
    case.close_reason = reason
    case.closed_at = timezone.now()
    save_case(case, "state", "close_reason", "closed_at", *extra_fields)
    comment = None
    if note:
        comment = Comment.objects.create(
            case=case,
            author=actor or case.reporter,
            body=note,
            public=True,
            by_staff=actor is None or is_support_staff(actor),
        )
    record_event(
        case,
        actor,
        CaseEvent.Kind.CLOSED,
        from_state=from_state,
        comment=comment,
        message=f"Closed: {CloseReason(reason).label}",
        reason=reason,
        **data,
    )
    return case
