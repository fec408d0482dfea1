"""Two engineers on one case: what happened since the version a page showed, and when
that stops a write.

Every staff write carries the case version its page showed. The action panels
(request information, close, priority ...) are strict: any change since refuses them
(`check_version`), because they act on the state the engineer saw. A reply or a note is
looser: it stops only for what changes what the engineer would write, someone else's
newer **public** message on the case (the customer's, a colleague's reply, a reached
phone call) or **state change** (`activity_since(..., blocking_only=True)`). A colleague's
internal note, an owner, priority or group change, or an SLA warning does not stop it:
the reply still answers the same conversation, and the timeline shows those when the page
reloads. One's own activity (another tab) never stops one's reply.

Either refusal is a `NewActivity` listing who did what and when, so the page can show
it beside the kept text and offer "send anyway": the same write again, carrying the
version the refusal showed, which still refuses if yet more happens in between.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from cases.models import Case, CaseEvent, State
from supportdesk.errors import VersionConflict
from supportdesk.types import User

# Longer text of a new message is cut: the refusal shows enough to decide, the page the rest.
EXCERPT = 300


@dataclass(frozen=True)
class Activity:
    """One timeline event as the refusal shows it to staff."""

    who: str
    what: str
    when: datetime
    public: bool
    text: str = ""
    version: int | None = None


class NewActivity(VersionConflict):
    """The write was based on an older version and the case has activity since; the API
    answers it as any stale version (412), the staff page lists `activity`."""

    def __init__(
        self, message: str, *, activity: list[Activity], current_version: int | None = None
    ):
        super().__init__(message)
        self.activity = activity
        self.current_version = current_version


def blocking_q() -> Q:
    """The events that stop a reply: a public message or a change of state."""
    message = Q(comment__isnull=False) | Q(kind=CaseEvent.Kind.PHONE_CALL)
    return (Q(public=True) & message) | ~Q(from_state="")


def events_since(
    case: Case, version: int, *, blocking_only: bool = False, besides: User | None = None
) -> QuerySet[CaseEvent]:
    events = case.events.filter(version__gt=version)
    if besides is not None:
        # One's own reply from another tab is no news to oneself.
        events = events.exclude(actor=besides)
    return events.filter(blocking_q()) if blocking_only else events


def activity_since(
    case: Case, version: int, *, blocking_only: bool = False, besides: User | None = None
) -> list[Activity]:
    """The case's timeline after `version`, oldest first, as staff see it; with `besides`,
    without that user's own events."""
    events = events_since(case, version, blocking_only=blocking_only, besides=besides)
    return [
        _activity(event)
        for event in events.select_related("actor", "comment").order_by("created_at", "id")
    ]


def new_activity_count(case: Case, version: int, *, besides: User | None = None) -> int:
    """How many public messages and state changes others made since `version`."""
    return events_since(case, version, blocking_only=True, besides=besides).count()


def _activity(event: CaseEvent) -> Activity:
    actor = event.actor
    who = "SupportDesk" if actor is None else actor.get_full_name() or actor.get_username()
    what = event.get_kind_display()
    if event.from_state:
        what = f"{what}: {_state(event.from_state)} → {_state(event.to_state)}"
    elif event.message:
        what = event.message
    text = event.comment.body if event.comment is not None else ""
    if len(text) > EXCERPT:
        text = text[: EXCERPT - 1] + "…"
    return Activity(
        who=who,
        what=what,
        when=event.created_at,
        public=event.public,
        text=text,
        version=event.version,
    )


def _state(value: str) -> str:
    return str(State(value).label) if value in State.values else value


def check_version(case: Case, expected_version: int | None) -> None:
    """Strict: any change since `expected_version` refuses, naming what happened."""
    if expected_version is None or expected_version == case.version:
        return
    raise NewActivity(
        f"{case.reference} was changed by someone else since you opened it. "
        "Reload it to see the change, then try again.",
        activity=activity_since(case, expected_version),
        current_version=case.version,
    )


def check_seen_version(case: Case, seen_version: int | None, actor: User) -> None:
    """For replies and notes: only someone else's newer public message or state change
    refuses."""
    if seen_version is None or seen_version == case.version:
        return
    news = activity_since(case, seen_version, blocking_only=True, besides=actor)
    if news:
        raise NewActivity(
            f"{case.reference} has new activity since you opened it: read it, then send "
            "anyway or change your text. Nothing was sent.",
            activity=news,
            current_version=case.version,
        )
