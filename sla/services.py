"""Changes to business calendars that the rest of the desk must follow.

A calendar's rows are edited in the admin; what follows is a service, so every path that
edits a calendar makes the same things happen. `sla` may not import `cases`: it announces
the change with `calendar_changed`, and `cases` recomputes the due times of the open cases
that count on the calendar in the same transaction, answering with what it did.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal

from sla.models import Calendar

calendar_changed = Signal()
"""Sent with `calendar_id` after a calendar's hours, holidays or zone changed; a receiver
answers with a `Reapplied`."""


@dataclass(frozen=True)
class Reapplied:
    """What the open cases did when the rules they run under changed: how many took new
    queue ranks, how many due times were recomputed now and how many are left to the
    sweep, and the priority codes (with their counts) the plan no longer defines."""

    moved: int = 0
    recomputed: int = 0
    left: int = 0
    unranked: dict[str, int] = field(default_factory=dict)

    @classmethod
    def total(cls, answers: Iterable[object]) -> "Reapplied":
        moved = recomputed = left = 0
        unranked: dict[str, int] = {}
        for answer in answers:
            if not isinstance(answer, Reapplied):
                continue
            moved += answer.moved
            recomputed += answer.recomputed
            left += answer.left
            for code, count in answer.unranked.items():
                unranked[code] = unranked.get(code, 0) + count
        return cls(moved, recomputed, left, unranked)


def reapply(signal: Signal, sender: type, **context: object) -> Reapplied:
    """Send `signal` inside a transaction and add up the receivers' answers."""
    with transaction.atomic():
        answers = signal.send(sender=sender, **context)
    return Reapplied.total(answer for _receiver, answer in answers)


def calendar_reapply(*, calendar_id: int) -> Reapplied:
    """After a calendar was edited: the open cases that count on it get new due times."""
    return reapply(calendar_changed, Calendar, calendar_id=calendar_id)
