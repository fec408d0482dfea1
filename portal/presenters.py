"""How a case reads to a customer: the due times in their words and the timeline as
one list. Presentation only; the data comes from `cases.selectors`."""

import datetime as dt
from dataclasses import dataclass

from cases.models import Attachment, Case, CaseEvent, Comment, State


@dataclass(frozen=True)
class DueTime:
    """One promise on a case: "We will update you by Tue 10:00 CET", or whose turn it is."""

    kind: str  # "response", "update", "resolution", "waiting", "triage", "working"
    text: str
    at: dt.datetime | None = None
    met_at: dt.datetime | None = None


def next_due(case: Case) -> DueTime | None:
    """The one line the dashboard shows: what happens next and by when."""
    if case.state == State.CLOSED:
        return None
    if case.state == State.AWAITING_INFORMATION:
        return DueTime("waiting", "Waiting for your reply")
    if case.state == State.SOLUTION_PROPOSED:
        return DueTime("waiting", "Waiting for you to accept or reject the solution")
    if case.first_responded_at is None and case.initial_response_due:
        return DueTime("response", "We will respond by", case.initial_response_due)
    if case.next_update_due:
        return DueTime("update", "We will update you by", case.next_update_due)
    if case.state == State.NEW:
        return DueTime("triage", "Being triaged")
    return DueTime("working", "We are working on it")


def due_times(case: Case) -> list[DueTime]:
    """Every promise the case page shows, first response through resolution."""
    if case.state == State.CLOSED:
        return []
    lines = []
    if case.first_responded_at is not None:
        lines.append(DueTime("response", "We first responded on", met_at=case.first_responded_at))
    elif case.initial_response_due:
        lines.append(DueTime("response", "We will respond by", case.initial_response_due))
    current = next_due(case)
    if current is not None and current.kind in ("waiting", "update"):
        lines.append(current)
    if case.resolution_due:
        lines.append(DueTime("resolution", "Resolution target", case.resolution_due))
    return lines


@dataclass(frozen=True)
class Entry:
    """One line of the public timeline, with the comment (and its files) it carries."""

    event: CaseEvent
    comment: Comment | None
    attachments: list[Attachment]

    @property
    def by_support(self) -> bool:
        if self.comment is not None:
            return self.comment.by_staff
        return self.event.actor is None or self.event.actor.is_staff


def timeline(
    events: list[CaseEvent], comments: list[Comment], files: list[Attachment] | None = None
) -> list[Entry]:
    """Events in order, each with its comment when there is one. File events are left
    out: files show with the comment (or the intake) they came with."""
    by_id = {comment.id: comment for comment in comments}
    entries = []
    for event in events:
        if event.kind == CaseEvent.Kind.ATTACHMENT_ADDED:
            continue
        comment = by_id.get(event.comment_id) if event.comment_id else None
        if event.comment_id and comment is None:
            continue  # an internal note's event; events_for already hides most
        if comment is None:
            shown = []
        elif files is None:
            shown = [a for a in comment.attachments.all() if a.public]
        else:
            shown = [a for a in files if a.comment_id == comment.id and a.public]
        entries.append(Entry(event=event, comment=comment, attachments=shown))
    return entries
