"""Cases and known issues: linking a case to a known defect, recording a new known issue
from a case, and resolving a known issue, which closes its open cases.

Resolution lives here rather than in `knowledge` because it changes cases; this is the
one place where linked cases are closed as "known issue resolved" (their customers get
the closure email), and where the customers of linked open cases are told when the
known issue moves to another development stage.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, CloseReason
from cases.notify import customer_addresses, known_issue_url, notify_known_issue_stage
from cases.services.common import (
    check_version,
    locked_case,
    record_event,
    save_case,
)
from cases.services.lifecycle import close_with_reason
from cases.services.permissions import StaffAction, require_permission
from knowledge.models import KnownIssue
from knowledge.services import (
    known_issue_create,
    known_issue_followers_notify,
    known_issue_history_record,
    known_issue_update,
)
from knowledge.trackers import stage_for_status, tracker_link_clean
from supportdesk.errors import InvalidInput, NotFound, StateConflict, require_text
from supportdesk.types import User

# A customer's summary this long, found inside a known issue's public text, is a quote.
MIN_QUOTED_SUMMARY = 20


def _locked_known_issue(known_issue_id: int) -> KnownIssue:
    """Linking and resolving both lock the known issue first (then cases), so a case
    cannot be linked to an issue at the moment its linked cases are being closed."""
    try:
        return KnownIssue.objects.select_for_update().get(id=known_issue_id)
    except KnownIssue.DoesNotExist:
        raise NotFound("No such known issue.") from None


def _link(case: Case, actor: User, issue: KnownIssue) -> None:
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; reopen it before linking it.")
    if issue.is_resolved:
        raise StateConflict(
            f"{issue} is already resolved. If the problem is back, record a new known issue."
        )
    if case.known_issue_id == issue.id:
        raise StateConflict(f"{case.reference} is already linked to {issue}.")
    previous = case.known_issue
    case.known_issue = issue
    save_case(case, "known_issue")
    record_event(
        case,
        actor,
        CaseEvent.Kind.KNOWN_ISSUE_LINKED,
        message=f"Identified as known issue {issue}",
        known_issue=issue.id,
        previous_known_issue=previous.id if previous else None,
        # Updates are no longer due while the known issue is worked on (the contracts' rule).
        recompute_clocks=True,
    )


@transaction.atomic
def case_link_known_issue(
    *, case_id: int, actor: User, known_issue_id: int, expected_version: int | None = None
) -> Case:
    """The case is an instance of a known defect; it closes when the defect is resolved."""
    require_permission(actor, StaffAction.WORK_CASES)
    issue = _locked_known_issue(known_issue_id)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    _link(case, actor, issue)
    return case


@transaction.atomic
def case_unlink_known_issue(
    *, case_id: int, actor: User, reason: str, expected_version: int | None = None
) -> Case:
    require_permission(actor, StaffAction.WORK_CASES)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    reason = require_text(reason, "reason", "Say why the case is not this known issue after all.")
    if case.known_issue is None:
        raise StateConflict(f"{case.reference} is not linked to a known issue.")
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; its known issue stays on record.")
    issue = case.known_issue
    case.known_issue = None
    save_case(case, "known_issue")
    record_event(
        case,
        actor,
        CaseEvent.Kind.KNOWN_ISSUE_UNLINKED,
        message=f"Not known issue {issue} after all: {reason}",
        known_issue=issue.id,
        reason=reason,
        recompute_clocks=True,
    )
    return case


@transaction.atomic
def case_create_known_issue(
    *,
    case_id: int,
    actor: User,
    title: str,
    public_summary: str,
    internal_notes: str = "",
    product: str = "",
    stage: str = KnownIssue.Stage.INVESTIGATING,
    target_date: dt.date | None = None,
    expected_version: int | None = None,
) -> KnownIssue:
    """Record a new known issue from the case in front of you, and link the case to it.

    Known issues are public to every customer, so nothing of the case's own text is
    carried over (not even its product, which the customer typed), and a title or public
    summary that repeats the customer's summary is refused."""
    require_permission(actor, StaffAction.WORK_CASES)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    if not case.is_open:
        raise StateConflict(f"{case.reference} is closed; reopen it before linking it.")
    _refuse_customer_words(case, title=title, public_summary=public_summary)
    issue = known_issue_create(
        actor=actor,
        title=title,
        public_summary=public_summary,
        internal_notes=internal_notes,
        product=product,
        stage=stage,
        target_date=target_date,
    )
    _link(case, actor, issue)
    return issue


def _normalized(text: str) -> str:
    return " ".join((text or "").casefold().split())


def _refuse_customer_words(case: Case, *, title: str, public_summary: str) -> None:
    summary = _normalized(case.summary)
    if not summary:
        return
    message = (
        "Every customer reads known issues: describe the defect in product terms, "
        f"not in the words of {case.reference}'s summary."
    )
    errors = {
        field: [message]
        for field, text in (("title", title), ("public_summary", public_summary))
        if _normalized(text) == summary
        or (len(summary) >= MIN_QUOTED_SUMMARY and summary in _normalized(text))
    }
    if errors:
        raise InvalidInput(message, field_errors=errors)


@transaction.atomic
def known_issue_resolve(*, known_issue_id: int, actor: User, note: str) -> list[Case]:
    """Mark the known issue resolved and close every open case linked to it with the reason
    "known issue resolved"; `note` is the closing note each customer reads."""
    require_permission(actor, StaffAction.RESOLVE_KNOWN_ISSUE)
    issue = _locked_known_issue(known_issue_id)
    note = require_text(note, "note", "Tell the customers how the issue was resolved.")
    if issue.is_resolved:
        raise StateConflict(f"{issue} was already resolved on {issue.resolved_at:%d %b %Y}.")
    issue.stage = KnownIssue.Stage.RESOLVED
    issue.resolved_at = timezone.now()
    issue.resolution_note = note
    issue.save(update_fields=["stage", "resolved_at", "resolution_note", "updated_at"])
    known_issue_history_record(issue)
    closed: list[Case] = []
    # Ids in order, so two resolutions sharing a case lock in the same order.
    open_ids = list(
        Case.objects.filter(known_issue=issue)
        .exclude(state="closed")
        .order_by("id")
        .values_list("id", flat=True)
    )
    # The customers of the closed cases read the resolution in their closure email.
    told = customer_addresses(
        Case.objects.filter(id__in=open_ids).select_related("tenant", "reporter")
    )
    for case_id in open_ids:
        case = locked_case(actor, case_id)
        closed.append(
            close_with_reason(
                case,
                actor,
                "close",
                CloseReason.KNOWN_ISSUE_RESOLVED,
                f"{issue.title}: {note}",
                known_issue=issue.id,
            )
        )
    known_issue_followers_notify(
        issue=issue, known_issue_url=known_issue_url(issue), already_told=told
    )
    return closed


@transaction.atomic
def known_issue_edit(
    *,
    known_issue_id: int,
    actor: User,
    title: str,
    public_summary: str,
    stage: str,
    internal_notes: str = "",
    product: str = "",
    target_date: dt.date | None = None,
) -> KnownIssue:
    """Edit a known issue (`knowledge.services.known_issue_update` decides what is valid);
    when its stage or target date moves, the customers of every open linked case are told,
    in the same transaction."""
    before = KnownIssue.objects.filter(id=known_issue_id).values("stage", "target_date").first()
    issue = known_issue_update(
        known_issue_id=known_issue_id,
        actor=actor,
        title=title,
        public_summary=public_summary,
        internal_notes=internal_notes,
        product=product,
        stage=stage,
        target_date=target_date,
    )
    if before is not None and (before["stage"], before["target_date"]) != (
        issue.stage,
        issue.target_date,
    ):
        _tell_linked_cases(issue)
    return issue


def _tell_linked_cases(issue: KnownIssue) -> None:
    """The customers of every open linked case hear the known issue's new stage, then its
    followers who were not told through a case of theirs."""
    url = known_issue_url(issue)
    linked = list(
        Case.objects.filter(known_issue=issue)
        .exclude(state="closed")
        .select_related("tenant", "reporter")
    )
    for case in linked:
        notify_known_issue_stage(case, issue, known_issue_url=url)
    known_issue_followers_notify(
        issue=issue, known_issue_url=url, already_told=customer_addresses(linked)
    )


@transaction.atomic
def known_issue_tracker_status(*, kind: str, key: str, status: str) -> list[KnownIssue]:
    """A development tracker said its issue `key` has a new status (its webhook, checked
    by the receiver): every unresolved known issue linked to it moves to the stage the
    status stands for (`knowledge.trackers.stage_for_status`), and the customers of their
    open cases are told, as when staff move it. A status we do not map, or the stage the
    issue is at already, changes nothing; a tracker never resolves a known issue (that
    closes cases, a person's decision) nor moves one scheduled for release back."""
    stage = stage_for_status(status)
    if not stage:
        return []
    moved = []
    issues = (
        KnownIssue.objects.select_for_update()
        .filter(tracker_kind=kind, tracker_key=key)
        .exclude(stage__in=[KnownIssue.Stage.RESOLVED, KnownIssue.Stage.SCHEDULED])
        .order_by("id")
    )
    for issue in issues:
        if issue.stage == stage:
            continue
        issue.stage = stage
        issue.save(update_fields=["stage", "updated_at"])
        known_issue_history_record(issue)
        _tell_linked_cases(issue)
        moved.append(issue)
    return moved


@transaction.atomic
def case_link_tracker(
    *,
    case_id: int,
    actor: User,
    url: str,
    key: str = "",
    kind: str = "",
    expected_version: int | None = None,
) -> Case:
    """Link a case to an issue in a development tracker (an empty URL unlinks); staff
    only, recorded on the case's internal timeline. A page that showed an older version
    of the case is refused (`check_version`)."""
    require_permission(actor, StaffAction.WORK_CASES)
    link = tracker_link_clean(url=url, key=key, kind=kind)
    case = locked_case(actor, case_id)
    check_version(case, expected_version)
    if (case.tracker_kind, case.tracker_key, case.tracker_url) == (link.kind, link.key, link.url):
        raise StateConflict(f"{case.reference} already links to {link.key or 'no issue'}.")
    case.tracker_kind, case.tracker_key, case.tracker_url = link.kind, link.key, link.url
    save_case(case, "tracker_kind", "tracker_key", "tracker_url")
    record_event(
        case,
        actor,
        CaseEvent.Kind.TRACKER_LINKED,
        public=False,
        message=f"Linked to {link.key}" if link.key else "Unlinked from the tracker",
        tracker_kind=link.kind,
        tracker_key=link.key,
    )
    return case
